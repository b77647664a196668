"""Readiness: points per check, the weakest measured area, coverage, and a gate that never passes
on areas that were not measured."""

import pytest

from playbook.evidence import CheckResult, Evidence
from playbook.notebooks import SCORED_AREAS
from playbook.scorecard import LEVELS, build_scorecard, level_for


def check(area: str, number: int, status: str) -> CheckResult:
    return CheckResult(area=area, id=f"{area}.c{number}", title="t", status=status, detail="why")


def evidence(area: str, *statuses: str) -> Evidence:
    checks = tuple(check(area, n, s) for n, s in enumerate(statuses))
    return Evidence(area=area, notebook=f"nb_{area}", target="reference:prototype", checks=checks)


def test_points_are_one_half_and_zero_and_skips_do_not_count():
    card = build_scorecard(
        [evidence("failure", "pass", "warn", "fail", "error", "skip")], 0.8, ["failure"]
    )
    (area,) = card.areas
    assert area.counted == 4
    assert area.score == pytest.approx(1.5 / 4)
    assert area.statuses == {"pass": 1, "warn": 1, "fail": 1, "error": 1, "skip": 1}


def test_readiness_is_the_weakest_measured_area_not_the_average():
    card = build_scorecard(
        [evidence("data", "pass", "pass"), evidence("latency", "pass", "fail")],
        0.8,
        ["data", "latency"],
    )
    assert card.readiness == pytest.approx(0.5)
    assert card.weakest.area == "latency"
    assert card.gate == "fail"


def test_the_gate_passes_at_the_threshold_with_every_area_measured_and_fails_just_below():
    card = build_scorecard([evidence("data", "pass", "pass", "pass", "warn")], 0.875, ["data"])
    assert card.readiness == pytest.approx(0.875)
    assert card.gate == "pass"
    assert build_scorecard([evidence("data", "pass", "warn")], 0.76, ["data"]).gate == "fail"


def test_an_area_without_evidence_is_not_measured_never_zero_and_the_gate_is_incomplete():
    card = build_scorecard(
        [evidence("data", "pass")],
        0.5,
        ["data", "security"],
        reasons={"security": "notebook 06_security_access is not built yet"},
    )
    assert {a.area: a.score for a in card.areas} == {"data": 1.0, "security": None}
    assert card.readiness == 1.0 and card.coverage == 0.5
    assert card.gate == "incomplete"
    assert card.unmeasured_reasons == {"security": "notebook 06_security_access is not built yet"}
    assert "1.00 over 1 of 2 areas" in card.verdict() and "not measured: security" in card.verdict()


def test_a_measured_shortfall_fails_the_gate_even_while_other_areas_are_unmeasured():
    card = build_scorecard([evidence("data", "fail")], 0.5, ["data", "security"])
    assert card.gate == "fail"


def test_an_area_whose_every_check_was_skipped_is_not_measured_with_the_skip_reason():
    card = build_scorecard(
        [evidence("data", "pass"), evidence("latency", "skip")], 0.5, ["data", "latency"]
    )
    latency = next(a for a in card.areas if a.area == "latency")
    assert not latency.measured and latency.score is None
    assert "every check skipped" in latency.reason and "why" in latency.reason
    assert card.readiness == 1.0 and card.gate == "incomplete"


def test_no_evidence_at_all_is_incomplete_with_no_readiness():
    card = build_scorecard([], 0.0)
    assert card.readiness is None and card.level == "not measured"
    assert card.gate == "incomplete"
    assert card.unmeasured == list(SCORED_AREAS)


def test_a_run_of_one_notebook_never_passes_the_gate():
    card = build_scorecard([evidence("scope", "pass", "pass")], 0.8)
    assert card.readiness == 1.0
    assert card.gate == "incomplete" and len(card.unmeasured) == len(SCORED_AREAS) - 1


def test_levels_are_non_overlapping_bands_covering_zero_to_one():
    floors = [floor for floor, _ in LEVELS]
    assert floors == sorted(floors) and floors[0] == 0.0
    for floor, name in LEVELS:
        assert level_for(floor) == name
    assert level_for(1.0) == LEVELS[-1][1]
    assert level_for(LEVELS[1][0] - 1e-9) == LEVELS[0][1]


def test_the_run_json_block_has_the_contract_keys_and_null_for_unmeasured_areas():
    block = build_scorecard([evidence("data", "pass")], 0.8, ["data", "failure"]).to_contract()
    assert set(block) >= {"areas", "readiness", "coverage", "level", "gate"}
    assert block["areas"] == {"data": 1.0, "failure": None}
    assert block["coverage"] == 0.5 and block["gate"] == "incomplete"
    assert block["not_measured"] == {"failure": "no evidence was recorded"}


def test_areas_are_listed_in_playbook_order_whatever_the_evidence_order():
    card = build_scorecard([evidence("failure", "fail"), evidence("data", "pass")], 0.8)
    assert [area.area for area in card.areas] == list(SCORED_AREAS)
    assert "done" not in card.unmeasured
