"""Notebook 06 over HTTP: the reference served by `playbook serve` shows the same leaks as in
process, and a team's service with an API of its own gets a verdict on every check or a skip that
names the field to declare."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from playbook.engagement import DEMO_TEMPLATE, load_engagement
from playbook.gaps import security
from playbook.golden import engagement_golden
from playbook.targets import connect
from playbook.targets.capabilities import Serving, capability
from tests.gaps.data.world import build_world
from tests.gaps.team_rag import TeamRag
from tests.service.team_service import HOOK_MODULE, serving, team_app

pytestmark = pytest.mark.service

KEYS = {"key-ana-5f1e2c": "u-ana", "key-eli-09ab77": "u-eli"}


def leaks_of(run) -> set[tuple[str, str]]:
    return {(ask.user, ask.probe.doc_id) for ask in run.access.leaks}


@pytest.mark.parametrize("profile", ["prototype", "production"])
def test_the_served_reference_leaks_what_the_in_process_one_leaks(tmp_path, profile):
    engagement = load_engagement(DEMO_TEMPLATE).with_overrides(depth="quick")
    items, _ = engagement_golden(engagement)
    in_process = connect(f"reference:{profile}", engagement, workdir=tmp_path / "in")
    served = capability(in_process, Serving).open(tmp_path / "served")
    try:
        over_http = security.run_security(served, engagement, items, engagement.budget, tmp_path)
        direct = security.run_security(in_process, engagement, items, engagement.budget, tmp_path)
    finally:
        served.close()
        in_process.close()
    assert leaks_of(over_http) == leaks_of(direct)
    outsiders = {(ask.user, ask.probe.doc_id) for ask in direct.access.outsiders}
    assert leaks_of(direct) == (outsiders if profile == "prototype" else set())
    http_checks = {c.id: c for c in security.security_checks(over_http)}
    # over HTTP the history endpoint is read as each user, with their own token
    privacy = http_checks["security.query_privacy"]
    assert privacy.status == ("fail" if profile == "prototype" else "pass"), privacy.detail
    assert "history" in privacy.detail


@pytest.fixture
def team_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = build_world(tmp_path / "acme", "http://127.0.0.1:9/placeholder")
    shutil.copy(DEMO_TEMPLATE / "decisions.yaml", root / "decisions.yaml")
    (root / "team_hooks.py").write_text(HOOK_MODULE, encoding="utf-8")
    service = TeamRag(hardened=True)
    service.configure(root / "users.yaml", None)
    service.ingest(load_engagement(root).resolved_sources())
    monkeypatch.setenv("ACME_KEY_ANA", "key-ana-5f1e2c")
    monkeypatch.setenv("ACME_KEY_ELI", "key-eli-09ab77")
    monkeypatch.syspath_prepend(str(root))
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
                "history": {
                    "url": "/api/history",
                    "entries": "items",
                    "question": "q",
                    "answer": "a",
                },
                "protected": ["POST /api/admin/reindex"],
            },
            "ingest_hook": "python:team_hooks:reingest",
            "access_hook": "python:team_hooks:set_groups",
            "logs": "service.log.jsonl",
        }
        data["security"] = {"poisoned": "samples:poisoned"}
        (root / "engagement.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
        yield load_engagement(root)


def test_a_team_service_gets_a_verdict_or_the_field_to_declare(team_world, tmp_path):
    engagement = team_world
    items, _ = engagement_golden(engagement)
    target = connect(engagement.target.spec, engagement, workdir=tmp_path / "work")
    try:
        run = security.run_security(target, engagement, items, engagement.budget, tmp_path)
    finally:
        target.close()
    checks = {c.id: c for c in security.security_checks(run)}
    statuses = {cid: c.status for cid, c in checks.items()}
    assert statuses["security.access_filter"] == "pass", checks["security.access_filter"].detail
    assert statuses["security.allowed_access"] == "pass"
    assert statuses["security.query_privacy"] == "pass"
    assert statuses["security.pii_exposure"] == "pass"
    assert "history seen by others" in checks["security.pii_exposure"].detail
    # its re-index endpoint runs for anyone (and fails on the probe's body with a 500): found
    # through target.http.protected
    auth = checks["security.authentication"]
    assert auth.status == "fail" and "/api/admin/reindex" in auth.detail
    # documents planted through its ingest hook: its extractive "model" passes invisible tag
    # characters through to the user
    injection = checks["security.prompt_injection"]
    assert injection.status == "fail" and "ascii-smuggling 2/3" in injection.detail
    # a deletion through its ingest hook, a group removal through its access hook
    revocation = checks["security.revocation"]
    assert revocation.status == "pass", revocation.detail
    assert "document deleted, group removed" in revocation.detail
