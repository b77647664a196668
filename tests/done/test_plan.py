"""The improvement plan: most blocking first, each row with its remedy, effort and notebook; and
every check the playbook declares names a remedy in the catalogue."""

from __future__ import annotations

import datetime as dt

import pytest

from playbook.definition_of_done import AttestedItem, AutomatedItem, DefinitionOfDone
from playbook.notebooks import SEQUENCE
from playbook.patterns import catalogue
from playbook.plan import COLUMNS, improvement_plan, next_steps

from .conftest import evidence_of, result, scorecard_of


def test_every_declared_check_names_a_remedy_pattern_in_the_catalogue():
    known = catalogue()
    declared = [
        check
        for info in SEQUENCE
        if (checks := info.declared_checks()) is not None
        for check in checks
    ]
    assert len(declared) > 40
    without = [check.id for check in declared if not check.remedy]
    assert not without, f"checks with no remedy pattern: {without}"
    unknown = {check.id: check.remedy for check in declared if check.remedy not in known}
    assert not unknown, f"remedies not in patterns/catalogue.yaml: {unknown}"


@pytest.fixture()
def run():
    """Security weakest (0.25), latency (0.5), data strong (0.875); observability unmeasured."""
    checks = (
        result("security.access_filter", "fail", observed=4, unit="leaks", expected="0",
               remedy="document-level-access-filter"),
        result("security.authentication", "warn", observed=0.9, expected="1.0",
               remedy="authenticate-every-caller"),
        result("security.prompt_injection", "fail", remedy="prompt-injection-defence"),
        result("security.pii_exposure", "error", detail="no log file", remedy="redact-pii-in-logs"),
        result("latency.p95_within_budget", "fail", observed=4200.0, unit="ms",
               expected="<= 2500 ms", remedy="latency-budget-per-stage"),
        result("latency.capacity", "pass", remedy="load-test-open-model"),
        result("data.freshness", "pass", remedy="freshness-slo"),
        result("data.validation", "pass", remedy="validate-on-ingest-quarantine"),
        result("data.recovery", "pass", remedy="versioned-rollback"),
        result("data.lineage", "warn", remedy="lineage-ids"),
        result("data.schema_drift", "skip", detail="no contract", remedy="schema-contract"),
    )  # fmt: skip
    evidence = evidence_of(*checks)
    scorecard = scorecard_of(evidence, ["data", "latency", "observability", "security"])
    return scorecard, evidence


def test_the_weakest_area_comes_first_unmeasured_before_all_fail_before_error_before_warn(run):
    scorecard, evidence = run
    plan = improvement_plan(scorecard, evidence)
    assert list(plan.columns) == COLUMNS
    assert list(plan.index) == list(range(1, len(plan) + 1))
    assert list(zip(plan["item"], plan["status"], strict=True)) == [
        ("observability", "not measured"),
        ("security.access_filter", "fail"),
        ("security.prompt_injection", "fail"),
        ("security.pii_exposure", "error"),
        ("security.authentication", "warn"),
        ("latency.p95_within_budget", "fail"),
        ("data.lineage", "warn"),
    ]  # passes and skips of measured areas are not work to do


def test_a_row_says_what_was_seen_against_what_was_expected_and_what_to_do_where(run):
    plan = improvement_plan(*run).set_index("item")
    row = plan.loc["latency.p95_within_budget"]
    assert row["observed"] == "4,200 ms" and row["expected"] == "<= 2500 ms"
    pattern = catalogue()["latency-budget-per-stage"]
    assert (row["remedy"], row["remedy text"], row["effort"]) == (
        pattern.title,
        pattern.remedy,
        pattern.effort,
    )
    assert row["notebook"] == "04_latency" and row["title"] == "latency.p95_within_budget"
    assert plan.loc["security.access_filter", "notebook"] == "06_security_access"
    assert plan.loc["security.pii_exposure", "observed"] == "could not run: no log file"
    area = plan.loc["observability"]
    assert area["kind"] == "area" and area["notebook"] == "05_observability"
    assert "no evidence was recorded" in area["observed"]


def test_unmet_items_required_for_done_come_first_and_met_ones_not_at_all(run):
    scorecard, evidence = run
    definition = DefinitionOfDone(
        automated=(
            AutomatedItem(id="data-traced", title="t", checks=("data.lineage",)),
            AutomatedItem(id="data-fresh", title="t", checks=("data.freshness",)),
            AutomatedItem(id="contract", title="t", checks=("data.schema_drift",), required=False),
            AutomatedItem(id="golden", title="t", checks=("observability.golden_regression",)),
        ),
        attested=(
            AttestedItem(id="owner-named", title="An owner is named"),
            AttestedItem(
                id="runbook-written", title="t", attested_by="Tomás", date=dt.date(2026, 11, 2)
            ),
        ),
    )
    plan = improvement_plan(scorecard, evidence, definition)
    required = plan[plan["required for done"]]
    assert list(required["item"]) == ["observability", "data.lineage", "owner-named"]
    assert list(plan.index[: len(required)]) == list(required.index)  # first overall
    assert required.iloc[0]["done items"] == "golden"  # merged into its unmeasured area's row
    assert required.iloc[1]["done items"] == "data-traced"
    attested = plan.set_index("item").loc["owner-named"]
    assert (attested["kind"], attested["status"]) == ("attested", "not attested")
    assert attested["notebook"] == "07_definition_of_done"
    assert "runbook-written" not in set(plan["item"]) and "data.freshness" not in set(plan["item"])
    # a skipped check an item needs becomes work (make it measurable), after the required rows
    skipped = plan.set_index("item").loc["data.schema_drift"]
    assert (skipped["status"], skipped["done items"], bool(skipped["required for done"])) == (
        "not measured",
        "contract",
        False,
    )
    assert "no contract" in skipped["remedy text"]


def test_next_steps_are_three_sentences_in_plan_order_one_per_remedy():
    checks = (
        result("failure.graceful_degradation", "fail", remedy="graceful-fallback"),
        result("failure.no_raw_failures", "fail", observed=56, unit="raw failures shown",
               expected="0", remedy="graceful-fallback"),
        result("failure.output_validation", "fail", remedy="output-validation"),
        result("failure.circuit_breaker", "warn", remedy="circuit-breaker"),
        result("latency.p95_within_budget", "fail", observed=4200.0, unit="ms",
               expected="<= 2500 ms", remedy="latency-budget-per-stage"),
        result("latency.capacity", "pass"),
    )  # fmt: skip
    evidence = evidence_of(*checks)
    plan = improvement_plan(scorecard_of(evidence), evidence)
    steps = next_steps(plan)
    assert len(steps) == 3
    graceful = catalogue()["graceful-fallback"].title
    assert steps[0].startswith(graceful)
    assert "failure.graceful_degradation, failure.no_raw_failures" in steps[0]
    assert "03_failure_handling" in steps[0] and "effort M (days)" in steps[0]
    assert steps[1].startswith(catalogue()["output-validation"].title)
    # failure (0.125) is weaker than latency (0.5): its warning comes before latency's failure
    assert steps[2].startswith(catalogue()["circuit-breaker"].title)
    assert "failure.circuit_breaker is warn" in steps[2]
    assert all(step.endswith(".") and "\n" not in step for step in steps)
    every = next_steps(plan, n=10)
    assert len(every) == 4
    assert every[3].startswith(catalogue()["latency-budget-per-stage"].title)
    assert "latency.p95_within_budget is fail: 4,200 ms against <= 2500 ms" in every[3]


def test_an_unmeasured_area_and_an_unsigned_attestation_read_as_plain_steps():
    evidence = evidence_of(result("data.freshness", "pass"))
    scorecard = scorecard_of(evidence, ["data", "security"])
    definition = DefinitionOfDone(attested=(AttestedItem(id="on-call-agreed", title="On call"),))
    steps = next_steps(improvement_plan(scorecard, evidence, definition))
    assert steps[0].startswith("Get 'on-call-agreed' confirmed (required for done)")
    assert "07_definition_of_done" in steps[0]
    assert steps[1].startswith("Measure the security area:")
    assert "the gate cannot pass until it is measured" in steps[1]


def test_a_run_with_nothing_left_to_do_has_an_empty_plan_and_no_steps():
    evidence = evidence_of(result("data.freshness", "pass"), result("data.lineage", "skip"))
    plan = improvement_plan(scorecard_of(evidence), evidence)
    assert plan.empty and list(plan.columns) == COLUMNS
    assert next_steps(plan) == []
