"""Observability (notebook 05): can the team see what its system does, and when quality drops?

One pass (`experiment.run_observability`) asks the golden set and scores it
(`playbook.evaluation`), matches each answer to its trace (`traces`) and its log lines, follows
one failure from its answer to its logs and spans (`follow`), scrapes the metrics endpoint
during a short load (`metrics`), writes alert rules from the decisions (`alerts`), compares the
evaluation with the accepted baseline, and places the query log on the golden set's topics
(`drift`). `checks` turns it into evidence; `playbook.charts.observability` draws it.
"""

from playbook.gaps.observability.alerts import (
    AlertRule,
    default_rules,
    evaluation_table,
    prometheus_rules,
)
from playbook.gaps.observability.checks import (
    AREA,
    CHECKS,
    check_alert_rules,
    check_golden_regression,
    check_log_completeness,
    check_metrics_exposed,
    check_quality_floor,
    check_trace_coverage,
    observability_checks,
)
from playbook.gaps.observability.drift import Drift, drift
from playbook.gaps.observability.experiment import (
    MetricsLoad,
    ObservabilityRun,
    evaluation_history,
    metrics_under_load,
    run_observability,
    write_alert_rules,
)
from playbook.gaps.observability.follow import FollowedFailure, follow_a_failure
from playbook.gaps.observability.metrics import exposed_table, windows_table
from playbook.gaps.observability.traces import coverage_table, span_tree, traces_of

__all__ = [
    "AREA",
    "CHECKS",
    "AlertRule",
    "Drift",
    "FollowedFailure",
    "MetricsLoad",
    "ObservabilityRun",
    "check_alert_rules",
    "check_golden_regression",
    "check_log_completeness",
    "check_metrics_exposed",
    "check_quality_floor",
    "check_trace_coverage",
    "coverage_table",
    "default_rules",
    "drift",
    "evaluation_history",
    "evaluation_table",
    "exposed_table",
    "follow_a_failure",
    "metrics_under_load",
    "observability_checks",
    "prometheus_rules",
    "run_observability",
    "span_tree",
    "traces_of",
    "windows_table",
    "write_alert_rules",
]
