"""Load: an open-model generator that measures latency from each request's scheduled time,
and the results every latency check and table reads (Locust's runs included)."""

from playbook.load.generator import (
    Arrivals,
    Request,
    arrival_offsets,
    run_closed_loop,
    run_open_load,
)
from playbook.load.results import MAX_LAG_S, SUMMARY_COLUMNS, LoadRun, Sample, capacity_rps

__all__ = [
    "MAX_LAG_S",
    "SUMMARY_COLUMNS",
    "Arrivals",
    "LoadRun",
    "Request",
    "Sample",
    "arrival_offsets",
    "capacity_rps",
    "run_closed_loop",
    "run_open_load",
]
