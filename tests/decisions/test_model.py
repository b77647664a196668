"""The decisions model, decisions.yaml and the decision records carry the same values."""

from __future__ import annotations

from pathlib import Path

import pytest

from playbook.decisions import (
    REQUIRED_DECISIONS,
    Decisions,
    load_decisions,
    load_records,
    parse_record,
    save_decisions,
    write_records,
)
from playbook.errors import PlaybookError

from .conftest import changed


def test_demo_decisions_expose_the_values_later_notebooks_test(demo: Decisions):
    assert demo.system == "Northwind Mutual support assistant"
    assert demo.latency_budget.p95_ms == 2500
    assert demo.latency_budget.stages == {"retrieval": 300, "generation": 1800}
    assert demo.latency_budget.time_to_first_token_ms is None
    assert (demo.freshness.warn_after_hours, demo.freshness.error_after_hours) == (24, 72)
    assert demo.update_cadence.cadence_hours == 24
    assert demo.failure_policy.target_graceful_share == 0.99
    assert demo.failure_policy.max_retry_amplification == 2.0
    assert demo.failure_policy.action_for("empty_retrieval") == "refuse"
    assert demo.access_model.identity_source == "corporate SSO (OIDC)"
    assert demo.access_model.document_groups is True
    assert demo.access_model.query_privacy == "per-user"
    assert demo.access_model.log_viewers == "platform on-call"
    assert demo.ownership.maintainer_after_handover
    assert all(decision.status == "accepted" for decision in demo.all_decisions())
    assert "latency.p95_within_budget" in demo.get("latency-budget").confirmed_by


def test_every_required_decision_has_its_stable_id_in_record_order(demo: Decisions):
    assert tuple(decision.id for decision in demo.required()) == REQUIRED_DECISIONS
    assert REQUIRED_DECISIONS == (
        "data-location",
        "update-cadence",
        "failure-policy",
        "access-model",
        "latency-budget",
        "observability",
        "ownership",
    )


def test_unknown_decision_or_failure_mode_is_a_playbook_error(demo: Decisions):
    with pytest.raises(PlaybookError, match="unknown decision 'cost-budget'"):
        demo.get("cost-budget")
    with pytest.raises(PlaybookError, match="unknown failure mode"):
        demo.failure_policy.action_for("meteor")


def test_decisions_survive_a_round_trip_through_yaml(demo: Decisions, tmp_path: Path):
    edited = changed(demo, "latency_budget", p95_ms=3100, time_to_first_token_ms=700)
    edited = changed(edited, "data_location", context="line one\nline two: with a colon")
    path = save_decisions(edited, tmp_path / "decisions.yaml")
    loaded = load_decisions(path)
    assert loaded.ok, loaded.problems
    assert loaded.decisions == edited
    assert loaded.decisions != demo
    assert "context: |-\n    line one\n    line two: with a colon" in path.read_text()


def test_decisions_survive_a_round_trip_through_the_markdown_records(
    demo: Decisions, tmp_path: Path
):
    edited = changed(demo, "update_cadence", warn_after_hours=30.5, status="superseded")
    edited = changed(edited, "ownership", handover_date=None, consequences=["a\nb"])
    write_records(edited, tmp_path / "adr")
    back = load_records(tmp_path / "adr")
    assert back.ok, back.problems
    assert back.decisions == edited
    assert back.decisions != demo


def test_an_empty_decision_renders_and_reads_back_as_empty(tmp_path: Path):
    [record, *_] = write_records(Decisions(), tmp_path / "adr")
    text = record.read_text()
    assert "_Not recorded yet._" in text and "No check confirms this decision yet" in text
    data = parse_record(text)
    assert data["context"] == "" and data["options"] == [] and data["confirmed_by"] == []
    assert load_records(tmp_path / "adr").decisions == Decisions()


def test_a_record_without_front_matter_is_named_as_a_problem(demo: Decisions, tmp_path: Path):
    folder = tmp_path / "adr"
    write_records(demo, folder)
    (folder / "0005-latency-budget.md").write_text("# just prose\n")
    back = load_records(folder)
    assert any(problem.field == "0005-latency-budget.md" for problem in back.problems)
    assert any(problem.field == "latency-budget" for problem in back.problems)
    assert back.decisions.data_location == demo.data_location
