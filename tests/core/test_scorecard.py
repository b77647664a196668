import pytest

from playbook.evidence import CheckResult, Evidence
from playbook.scorecard import LEVELS, build_scorecard, level_for


def check(area: str, number: int, status: str) -> CheckResult:
    return CheckResult(area=area, id=f"{area}.c{number}", title="t", status=status)


def evidence(area: str, *statuses: str) -> Evidence:
    checks = tuple(check(area, n, s) for n, s in enumerate(statuses))
    return Evidence(area=area, notebook=f"nb_{area}", target="reference:prototype", checks=checks)


def test_points_are_one_half_and_zero_and_skips_do_not_count():
    card = build_scorecard([evidence("failure", "pass", "warn", "fail", "error", "skip")], 0.8)
    (area,) = card.areas
    assert area.counted == 4
    assert area.score == pytest.approx(1.5 / 4)
    assert area.statuses == {"pass": 1, "warn": 1, "fail": 1, "error": 1, "skip": 1}


def test_readiness_is_the_weakest_area_not_the_average():
    card = build_scorecard(
        [evidence("data", "pass", "pass"), evidence("latency", "pass", "fail")], 0.8
    )
    assert card.readiness == pytest.approx(0.5)
    assert card.weakest.area == "latency"
    assert card.gate == "fail"


def test_the_gate_passes_at_the_threshold_and_fails_just_below():
    card = build_scorecard([evidence("data", "pass", "pass", "pass", "warn")], 0.875)
    assert card.readiness == pytest.approx(0.875)
    assert card.gate == "pass"
    assert build_scorecard([evidence("data", "pass", "warn")], 0.76).gate == "fail"


def test_an_expected_area_without_evidence_scores_zero():
    card = build_scorecard([evidence("data", "pass")], 0.5, expected_areas=["data", "security"])
    assert {a.area: a.score for a in card.areas} == {"data": 1.0, "security": 0.0}
    assert card.readiness == 0.0


def test_an_area_where_every_check_was_skipped_is_unmeasured_and_scores_zero():
    card = build_scorecard([evidence("data", "pass"), evidence("latency", "skip")], 0.5)
    latency = next(a for a in card.areas if a.area == "latency")
    assert not latency.measured
    assert card.readiness == 0.0


def test_no_evidence_at_all_fails_the_gate():
    card = build_scorecard([], 0.0)
    assert card.readiness == 0.0
    assert card.gate == "fail"


def test_levels_are_non_overlapping_bands_covering_zero_to_one():
    floors = [floor for floor, _ in LEVELS]
    assert floors == sorted(floors) and floors[0] == 0.0
    for floor, name in LEVELS:
        assert level_for(floor) == name
    assert level_for(1.0) == LEVELS[-1][1]
    assert level_for(LEVELS[1][0] - 1e-9) == LEVELS[0][1]


def test_the_run_json_block_has_the_contract_keys():
    block = build_scorecard([evidence("data", "pass")], 0.8).to_contract()
    assert set(block) >= {"areas", "readiness", "level", "gate"}
    assert block["areas"] == {"data": 1.0}


def test_areas_no_notebook_scored_are_listed_as_unmeasured():
    card = build_scorecard([evidence("data", "pass"), evidence("failure", "fail")], 0.8)
    assert "data" not in card.unmeasured and "failure" not in card.unmeasured
    assert {"scope", "latency", "security"} <= set(card.unmeasured)
    assert "done" not in card.unmeasured
