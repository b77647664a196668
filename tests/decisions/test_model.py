"""The decisions model: the values later notebooks test, stable ids, and its errors."""

from __future__ import annotations

import pytest

from playbook.decisions.model import REQUIRED_DECISIONS, Decisions
from playbook.errors import PlaybookError


def test_demo_decisions_expose_the_values_later_notebooks_test(demo: Decisions):
    assert demo.system == "Northwind Mutual support assistant"
    assert demo.latency_budget.p95_ms == 2500
    assert demo.latency_budget.stages == {"retrieval": 300, "generation": 1800}
    assert demo.latency_budget.time_to_first_token_ms == 1000
    assert demo.latency_budget.peak_rps == 4 and demo.latency_budget.production_documents == 10_000
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
