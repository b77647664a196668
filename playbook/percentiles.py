"""Percentiles by the nearest-rank method: the value of an actual sample, exact on small samples.

Equal to numpy's `percentile(..., method="inverted_cdf")`; written here so that every area (fault
latency, load tests, benchmarks) reads a p95 the same way without carrying numpy's other methods.
"""

from __future__ import annotations

import math
from collections.abc import Iterable


def percentile(values: Iterable[float], q: float) -> float:
    """The `q`-th percentile (0 < q <= 100) of `values`; NaN when there are none."""
    if not 0 < q <= 100:
        raise ValueError(f"percentile {q} is not in (0, 100]")
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = math.ceil(q / 100 * len(ordered))
    return ordered[max(0, rank - 1)]


def p50(values: Iterable[float]) -> float:
    """The median by nearest rank."""
    return percentile(values, 50)


def p95(values: Iterable[float]) -> float:
    """The 95th percentile by nearest rank."""
    return percentile(values, 95)


def p99(values: Iterable[float]) -> float:
    """The 99th percentile by nearest rank."""
    return percentile(values, 99)
