"""Nearest-rank percentiles agree with numpy's inverted-CDF method on known samples."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from playbook.percentiles import p50, p95, p99, percentile


@pytest.mark.parametrize("size", [1, 2, 7, 20, 101, 1000])
@pytest.mark.parametrize("q", [1, 50, 90, 95, 99, 100])
def test_percentiles_equal_numpys_inverted_cdf(size: int, q: float) -> None:
    values = [random.Random(size).lognormvariate(0, 1) for _ in range(size)]
    assert percentile(values, q) == np.percentile(values, q, method="inverted_cdf")


def test_a_p99_of_a_hundred_samples_is_the_99th_not_an_interpolation() -> None:
    values = list(range(1, 101))
    assert (p50(values), p95(values), p99(values)) == (50, 95, 99)


def test_a_percentile_of_nothing_is_nan_and_a_bad_rank_is_refused() -> None:
    assert math.isnan(p95([]))
    with pytest.raises(ValueError):
        percentile([1.0], 0)
