"""Each consistency rule fires on a contradicting set of decisions and not on a consistent one."""

from __future__ import annotations

import pytest

from playbook.decisions.consistency import (
    CHECKS,
    check_confirmed_by_checks,
    check_file_valid,
    check_freshness_vs_cadence,
    check_groups_need_identity,
    check_latency_budget_sum,
    check_owner_after_handover,
    check_required_made,
    check_retry_vs_amplification,
    consistency_checks,
)
from playbook.decisions.files import NOT_MADE, Problem, load_decisions_text
from playbook.decisions.model import Decisions

from .conftest import changed


def test_the_demo_decisions_pass_every_check(demo: Decisions):
    checks = consistency_checks(demo, [])
    assert [check.status for check in checks] == ["pass"] * len(checks)
    assert {check.area for check in checks} == {"decisions"}
    assert len({check.id for check in checks}) == len(checks)
    for check in checks:
        assert check.decision, check.id
        assert check.expected, check.id
        assert check.observed is not None, check.id


def test_the_declared_checks_are_the_ones_returned_in_the_same_order(demo: Decisions):
    for decisions in (demo, Decisions()):
        results = consistency_checks(decisions, [])
        assert CHECKS.ids == tuple(result.id for result in results)
        assert CHECKS.ordered(results) == results
        for declared, result in zip(CHECKS, results, strict=True):
            assert (result.title, result.unit, result.remedy) == (
                declared.title,
                declared.unit,
                declared.remedy,
            )


def test_expectations_that_depend_on_the_decisions_are_stated_by_each_run(demo: Decisions):
    tight = changed(demo, "latency_budget", p95_ms=3100)
    assert check_latency_budget_sum(tight).expected == "<= 3100 ms (the end-to-end p95 budget)"
    every_id = [decision.id for decision in demo.all_decisions()]
    assert "answer-citations" in every_id
    assert check_file_valid(demo, []).decision == ",".join(every_id)
    accepted = [decision_id for decision_id in every_id if decision_id != "ownership"]
    confirmed = check_confirmed_by_checks(changed(demo, "ownership", status="proposed"))
    assert confirmed.expected == f"{len(accepted)} of {len(accepted)} accepted decisions"
    assert confirmed.decision == ",".join(accepted)
    nothing_accepted = check_confirmed_by_checks(Decisions())
    assert (nothing_accepted.expected, nothing_accepted.decision) == (
        "0 of 0 accepted decisions",
        "",
    )


@pytest.mark.parametrize(
    ("values", "status", "phrase"),
    [
        ({"cadence_hours": 24, "warn_after_hours": 6, "error_after_hours": 12}, "fail", "shorter"),
        ({"cadence_hours": 24, "warn_after_hours": 48, "error_after_hours": 36}, "fail", "warning"),
        ({"cadence_hours": 24, "warn_after_hours": 12, "error_after_hours": 72}, "warn", "before"),
        ({"cadence_hours": 24, "warn_after_hours": 24, "error_after_hours": 24}, "pass", ""),
        ({"cadence_hours": 168, "warn_after_hours": 192, "error_after_hours": 336}, "pass", ""),
    ],
)
def test_freshness_window_shorter_than_the_update_cadence_is_a_contradiction(
    demo: Decisions, values: dict, status: str, phrase: str
):
    check = check_freshness_vs_cadence(changed(demo, "update_cadence", **values))
    assert check.status == status
    assert phrase in check.detail
    assert check.decision == "update-cadence"


@pytest.mark.parametrize(
    ("values", "status"),
    [
        ({"p95_ms": 2000, "retrieval_ms": 300, "generation_ms": 1800}, "fail"),
        ({"p95_ms": 2100, "retrieval_ms": 300, "generation_ms": 1800}, "pass"),
        ({"p95_ms": 2500, "time_to_first_token_ms": 3000}, "fail"),
        ({"p95_ms": 2500, "time_to_first_token_ms": 800}, "pass"),
    ],
)
def test_latency_budget_smaller_than_its_stages_is_a_contradiction(
    demo: Decisions, values: dict, status: str
):
    check = check_latency_budget_sum(changed(demo, "latency_budget", **values))
    assert check.status == status
    assert check.decision == "latency-budget"
    assert check.observed == sum(
        changed(demo, "latency_budget", **values).latency_budget.stages.values()
    )


@pytest.mark.parametrize(
    ("values", "status"),
    [
        ({"document_groups": True, "identity_source": ""}, "fail"),
        ({"document_groups": True, "identity_source": "none"}, "fail"),
        ({"document_groups": False, "query_privacy": "per-user", "identity_source": ""}, "fail"),
        ({"document_groups": False, "query_privacy": "shared", "identity_source": ""}, "pass"),
        ({"document_groups": True, "identity_source": "Entra ID"}, "pass"),
    ],
)
def test_documents_restricted_by_group_need_an_identity_source(
    demo: Decisions, values: dict, status: str
):
    check = check_groups_need_identity(changed(demo, "access_model", **values))
    assert check.status == status
    assert check.decision == "access-model"


@pytest.mark.parametrize(
    ("values", "status"),
    [
        ({"maintainer_after_handover": ""}, "fail"),
        ({"maintainer_after_handover": "TBD"}, "fail"),
        ({"owner": " "}, "fail"),
        ({"owner": "Dana", "maintainer_after_handover": "Ops team"}, "pass"),
    ],
)
def test_a_system_without_a_maintainer_after_hand_over_fails(
    demo: Decisions, values: dict, status: str
):
    check = check_owner_after_handover(changed(demo, "ownership", **values))
    assert check.status == status
    assert check.decision == "ownership"


def test_retries_without_a_retry_budget_are_a_contradiction(demo: Decisions):
    no_budget = changed(demo, "failure_policy", max_retry_amplification=1.0)
    assert check_retry_vs_amplification(no_budget).status == "fail"
    assert "timeout" in check_retry_vs_amplification(no_budget).detail
    never_retries = changed(
        no_budget, "failure_policy", policies={"timeout": "fallback", "rate_limit": "degrade"}
    )
    assert check_retry_vs_amplification(never_retries).status == "pass"
    assert check_retry_vs_amplification(demo).status == "pass"


def test_a_required_decision_still_proposed_is_not_made(demo: Decisions):
    check = check_required_made(changed(demo, "observability", status="proposed"))
    assert check.status == "fail"
    assert "observability is proposed" in check.detail
    assert check.observed == 6
    assert check_required_made(demo).status == "pass"


def test_a_partly_filled_file_has_required_decisions_not_made():
    loaded = load_decisions_text("latency-budget: {status: accepted}\n")
    check = check_required_made(loaded.decisions)
    assert check.status == "fail"
    assert check.observed == 1


def test_an_accepted_decision_with_no_confirming_check_fails(demo: Decisions):
    unconfirmed = changed(demo, "data_location", confirmed_by=[])
    check = check_confirmed_by_checks(unconfirmed)
    assert check.status == "fail"
    assert "data-location" in check.detail
    proposed = changed(unconfirmed, "data_location", status="proposed")
    assert check_confirmed_by_checks(proposed).status == "pass"


def test_invalid_fields_fail_the_file_check_but_absent_decisions_do_not(demo: Decisions):
    bad = [Problem("latency-budget.p95_ms", "expected a valid integer (got 'fast')")]
    check = check_file_valid(demo, bad, "team-a/decisions.yaml")
    assert check.status == "fail"
    assert check.observed == 1
    assert "team-a/decisions.yaml" in check.detail and "latency-budget.p95_ms" in check.detail
    assert check_file_valid(demo, [("ownership", NOT_MADE)]).status == "pass"
    assert check_file_valid(demo, []).status == "pass"
