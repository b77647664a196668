"""A consultant's first engagement: `playbook run` on a team's HTTP service it has never seen
(an API key header, `{"q": ...}` in, `{"result": {"text", "refs"}}` out, its own log format).

The test pins which checks give verdicts through the black-box route, so a change that turns them
into skips fails the build; and a service that refuses every request stops the run after 00."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from playbook.engagement import DEMO_TEMPLATE, load_engagement
from playbook.evidence import read_run_evidence
from playbook.runner import RunOptions, run_playbook
from tests.gaps.data.world import build_world
from tests.gaps.team_rag import TeamRag
from tests.service.team_service import HOOK_MODULE, serving, team_app

pytestmark = [pytest.mark.e2e, pytest.mark.service]

KEYS = {"key-ana-5f1e2c": "u-ana", "key-eli-09ab77": "u-eli"}
VERDICTS = {
    "scope.data_sources_readable",
    "scope.golden_set",
    "scope.users_known",
    "scope.target_answers",
    "data.freshness",
    "data.validation",
    "data.change_detection",
    "data.upstream_drill",
    "data.recovery",
    "data.lineage",
    "failure.hostile_inputs",
    "failure.unanswerable_refused",
    "observability.log_completeness",
    "observability.quality_floor",
}
UNDECLARED_TELEMETRY = {  # no spans, no metrics endpoint declared
    "observability.trace_coverage": "target.otlp_port",
    "observability.metrics_exposed": "target.metrics_url",
    "observability.alert_rules": "target.metrics_url",
}
NO_FAULT_ROUTE = {
    "failure.graceful_degradation",
    "failure.no_raw_failures",
    "failure.output_validation",
    "failure.latency_under_fault",
    "failure.transient_recovery",
    "failure.retry_amplification",
    "failure.circuit_breaker",
    "failure.log_completeness",
}


@pytest.fixture
def client_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A client's engagement folder and their service, running on 127.0.0.1."""
    root = build_world(tmp_path / "acme", "http://127.0.0.1:9/placeholder")
    shutil.copy(DEMO_TEMPLATE / "decisions.yaml", root / "decisions.yaml")
    (root / "team_hooks.py").write_text(HOOK_MODULE, encoding="utf-8")
    service = TeamRag(hardened=True)
    service.configure(root / "users.yaml", None)
    service.ingest(load_engagement(root).resolved_sources())
    with serving(team_app(service, KEYS, root / "service.log.jsonl")) as url:
        monkeypatch.setenv("TEAM_SERVICE_URL", url)
        data = yaml.safe_load((root / "engagement.yaml").read_text())
        data["target"] = {
            "spec": f"{url}/api/query",
            "http": {
                "request": {"q": "{question}"},
                "response": {
                    "answer": "result.text",
                    "sources": "result.refs[*].doc",
                    "status": "outcome",
                    "trace_id": "traceId",
                },
                "auth": {
                    "header": "X-Api-Key",
                    "scheme": "",
                    "token_env": {"u-ana": "ACME_KEY_ANA", "u-eli": "ACME_KEY_ELI"},
                },
                "timeout_s": 10,
            },
            "ingest_hook": "python:team_hooks:reingest",
            "logs": "service.log.jsonl",
        }
        data["notebooks"] = {"02": {"upstream_drop": "drop"}}  # the client's own export
        (root / "engagement.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
        yield root


def run(root: Path):
    engagement = load_engagement(root)
    result = run_playbook(engagement, RunOptions(jobs=2))
    checks = {
        check.id: check for item in read_run_evidence(result.run_dir) for check in item.checks
    }
    return result, checks


def test_the_black_box_route_gives_verdicts_and_skips_only_what_it_hides(client_world, monkeypatch):
    monkeypatch.setenv("ACME_KEY_ANA", "key-ana-5f1e2c")
    monkeypatch.setenv("ACME_KEY_ELI", "key-eli-09ab77")
    result, checks = run(client_world)
    assert not result.failed, [(o.name, o.error) for o in result.failed]
    unmeasured = {
        cid: c.detail
        for cid, c in checks.items()
        if cid in VERDICTS and c.status in ("skip", "error")
    }
    assert not unmeasured, unmeasured
    for check_id in NO_FAULT_ROUTE:
        assert checks[check_id].status == "skip", (check_id, checks[check_id].detail)
    assert "target.fault_proxy" in checks["failure.graceful_degradation"].detail
    assert checks["failure.hostile_inputs"].status == "pass"
    assert checks["data.lineage"].status == "warn", checks["data.lineage"].detail
    for check_id, field in UNDECLARED_TELEMETRY.items():
        assert checks[check_id].status == "skip" and field in checks[check_id].detail
    # the service logs its failures only: an answer a user reports cannot be found in the log
    assert checks["observability.log_completeness"].status == "fail"
    assert "0 of 8 answers found in the logs" in checks["observability.log_completeness"].detail
    card = result.scorecard
    assert card.gate == "fail" and result.exit_code == 1  # a measured shortfall
    assert not card.unmeasured
    # its extractive "model" passes invisible instructions in planted pages through to users
    assert checks["security.prompt_injection"].status == "fail"
    assert "ascii-smuggling" in checks["security.prompt_injection"].detail
    assert checks["security.access_filter"].status == "pass"


def test_a_service_that_refuses_every_key_stops_the_run_after_00(client_world, monkeypatch):
    monkeypatch.setenv("ACME_KEY_ANA", "key-expired")
    monkeypatch.setenv("ACME_KEY_ELI", "key-expired")
    result, checks = run(client_world)
    smoke = checks["scope.target_answers"]
    assert smoke.status == "fail" and "header 'X-Api-Key'" in smoke.detail
    assert "key-expired" not in smoke.detail
    assert result.stopped and "answered none of the smoke questions" in result.stopped
    statuses = {outcome.name: outcome.status for outcome in result.outcomes}
    assert statuses["02_data_pipelines"] == statuses["03_failure_handling"] == "skipped"
    assert statuses["07_definition_of_done"] == "ok"
    assert "answered none" in result.scorecard.unmeasured_reasons["data"]
    assert result.exit_code == 1
