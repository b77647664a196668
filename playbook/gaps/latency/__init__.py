"""Latency (notebook 04): load the target the way a serving team would, at the decided peak.

An open-model generator (`playbook.load`) sends golden questions on a Poisson schedule and
measures each answer from its scheduled time; the load runs at the decided peak rate, then over
a sweep of rates to find the capacity. Where the target can be scaled (`CorpusScaling`, the
reference system) the load runs at the corpus size decided for production, and latency is
measured at growing corpus sizes for both profiles. Repeated questions (from the query log)
show what a cache saves; the decided usage turns the mean wait into hours a month.

The stages live in their own modules: `experiment`, `checks`, `tables`; `playbook.charts.latency`
draws them.
"""

from playbook.gaps.latency.checks import (
    AREA,
    CHECKS,
    MAX_GROWTH_EXPONENT,
    MIN_CACHE_HIT_RATE,
    check_capacity,
    check_corpus_scaling,
    check_errors,
    check_first_token,
    check_p95,
    check_p99,
    check_repeat_cache,
    check_stages,
    latency_checks,
)
from playbook.gaps.latency.experiment import (
    LatencyExperiment,
    LatencySettings,
    RepeatMix,
    Scaling,
    ScalingPoint,
    Sweep,
    WaitingCost,
    ask_twice,
    corpus_scaling,
    latency_settings,
    load_requests,
    peak_load,
    production_size_target,
    rate_sweep,
    repeated_mix,
    run_latency,
    served,
    waiting_cost,
)
from playbook.gaps.latency.tables import (
    cost_table,
    load_table,
    repeat_table,
    scaling_table,
    stage_table,
    sweep_table,
)

__all__ = [
    "AREA",
    "CHECKS",
    "MAX_GROWTH_EXPONENT",
    "MIN_CACHE_HIT_RATE",
    "LatencyExperiment",
    "LatencySettings",
    "RepeatMix",
    "Scaling",
    "ScalingPoint",
    "Sweep",
    "WaitingCost",
    "ask_twice",
    "check_capacity",
    "check_corpus_scaling",
    "check_errors",
    "check_first_token",
    "check_p95",
    "check_p99",
    "check_repeat_cache",
    "check_stages",
    "corpus_scaling",
    "cost_table",
    "latency_checks",
    "latency_settings",
    "load_requests",
    "load_table",
    "peak_load",
    "production_size_target",
    "rate_sweep",
    "repeat_table",
    "repeated_mix",
    "run_latency",
    "scaling_table",
    "served",
    "stage_table",
    "sweep_table",
    "waiting_cost",
]
