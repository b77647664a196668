"""Declared checks: one declaration gives every result its title, unit, remedy and decision, and
an area's evidence must hold each declared check exactly once."""

from __future__ import annotations

import pytest

from playbook.checks import AreaChecks, Check

FAST = Check("latency.fast", "Fast enough", unit="ms", expected="<= 100", remedy="r", decision="d")
SAFE = Check("latency.safe", "Safe", remedy="s")
AREA = AreaChecks("latency", (FAST, SAFE))


def test_a_result_carries_what_the_declaration_says() -> None:
    result = FAST.verdict(False, 140.0, "slow", expected="<= 120")
    assert (result.area, result.id, result.status, result.points) == (
        "latency",
        "latency.fast",
        "fail",
        0.0,
    )
    assert (result.unit, result.expected, result.remedy, result.decision) == (
        "ms",
        "<= 120",
        "r",
        "d",
    )
    assert FAST.verdict(False, 1, "soft", otherwise="warn").status == "warn"


def test_not_measured_is_a_skip_and_could_not_run_an_error_never_a_pass() -> None:
    assert FAST.not_measured("no load route").status == "skip"
    assert FAST.not_measured("x").points is None
    assert FAST.could_not_run("0 requests").status == "error"
    assert FAST.could_not_run("x").points == 0.0


def test_an_area_orders_its_results_and_refuses_a_missing_or_stray_check() -> None:
    safe, fast = SAFE.verdict(True, 0, ""), FAST.verdict(True, 1, "")
    assert [r.id for r in AREA.ordered([safe, fast])] == ["latency.fast", "latency.safe"]
    with pytest.raises(ValueError, match="missing latency.safe"):
        AREA.ordered([fast])
    with pytest.raises(ValueError, match="twice"):
        AREA.ordered([fast, fast, safe])
    stray = Check("latency.other", "Other").verdict(True, 0, "")
    with pytest.raises(ValueError, match="not declared latency.other"):
        AREA.ordered([fast, safe, stray])


def test_declarations_must_name_their_area() -> None:
    with pytest.raises(ValueError):
        Check("no_area", "x")
    with pytest.raises(ValueError):
        AreaChecks("data", (FAST,))
    assert AREA["fast"] is FAST and AREA["latency.safe"] is SAFE
