"""Notebook 05 against a team's service it has never seen, over HTTP.

The service has its own API (`{"query"}` in, `{"reply": {"text", "citations": [{"docId"}]},
"state"}` out, the trace id in a W3C `traceparent` header), its own OpenTelemetry SDK with the
SDK's own OTLP/HTTP exporter (configured, as a team would, by `OTEL_EXPORTER_OTLP_ENDPOINT`), its
own Prometheus names and its own JSON log. Declared in engagement.yaml (`otlp_port`,
`metrics_url`, `logs`), every check gives a verdict; declared nothing, the checks that need them
skip and name the field, and the evaluation still runs on its answers alone.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import pytest
import yaml
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Status, StatusCode
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from playbook.decisions.model import Decisions, LatencyBudget
from playbook.engagement import load_engagement
from playbook.gaps import latency, observability
from playbook.gaps.latency.experiment import stages_from_spans
from playbook.golden import engagement_golden
from playbook.load import Request as LoadRequest
from playbook.load import run_open_load
from playbook.targets import connect
from playbook.targets.capabilities import Spans, capability
from tests.service.conftest import DOCUMENTS, closed_port, markdown
from tests.service.team_service import serving

pytestmark = pytest.mark.service

KEYS = {"u-alice": "key-alice-51", "u-hana": "key-hana-77"}
KEY_ENV = {user: f"TEAM_OBS_KEY_{user[2:].upper()}" for user in KEYS}
SLOW = "salary"  # the team's model times out on questions about salaries
GOLDEN = [
    ("g1", "How many days of annual leave does an employee get?", ["HB-001"], "25 days", True),
    ("g2", "When must expense claims be submitted?", ["HB-002"], "within 30 days", True),
    ("g3", "When is the Lisbon office open?", ["HB-004"], "8:00 to 19:00 on weekdays", True),
    ("g4", "What is the salary band for a senior adjuster?", ["HB-003"], "68000 to 82000", True),
    ("g5", "What colour is the moon on Tuesdays?", [], "", False),
]


def team_app(log: Path) -> FastAPI:
    """The team's service: keyword retrieval over the four documents, an extractive 'model'."""
    provider = TracerProvider(resource=Resource.create({"service.name": "team-helpdesk"}))
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(timeout=2), schedule_delay_millis=200)
    )
    tracer = provider.get_tracer("team.helpdesk")
    registry = CollectorRegistry()
    requests = Counter("helpdesk_http_requests", "Requests", ["code"], registry=registry)
    failures = Counter("helpdesk_failures", "Failures", ["type"], registry=registry)
    no_hits = Counter("helpdesk_retrieval_empty", "Searches with no hit", registry=registry)
    latency = Histogram("helpdesk_answer_seconds", "Answer time", registry=registry)
    lock = threading.Lock()
    documents = {doc_id: (body, groups) for doc_id, _, body, groups in DOCUMENTS.values()}
    users = {KEYS["u-alice"]: {"all-staff"}, KEYS["u-hana"]: {"all-staff", "hr"}}
    app = FastAPI()

    def words(text: str) -> set[str]:
        return {word for word in re.findall(r"[a-z0-9]+", text.lower()) if len(word) > 3}

    @app.post("/v2/helpdesk/ask")
    async def ask(request: Request, x_team_key: str | None = Header(None)) -> JSONResponse:
        groups = users.get(x_team_key or "")
        if groups is None:
            return JSONResponse({"detail": "unknown key"}, status_code=403)
        query = (await request.json())["query"]
        with latency.time(), tracer.start_as_current_span("POST /v2/helpdesk/ask") as root:
            context = root.get_span_context()
            trace_id = format(context.trace_id, "032x")
            with tracer.start_as_current_span(
                "search handbook",
                attributes={"gen_ai.operation.name": "retrieval", "gen_ai.request.model": "kw"},
            ):
                hits = [
                    doc_id
                    for doc_id, (body, allowed) in documents.items()
                    if groups & set(allowed) and len(words(query) & words(body)) >= 2
                ]
            state, text, cited, error = "ok", "", hits[:1], None
            if not hits:
                no_hits.inc()
                state, text = "declined", "Nothing in the handbook answers that."
            else:
                with tracer.start_as_current_span(
                    "chat extractor-1",
                    attributes={
                        "gen_ai.operation.name": "chat",
                        "gen_ai.request.model": "extractor-1",
                    },
                ) as chat:
                    if SLOW in query.lower():
                        error = "timeout"
                        chat.set_status(Status(StatusCode.ERROR))
                        chat.set_attribute("error.type", error)
                        state, text, cited = "partial", "The model is busy; see the handbook.", []
                    else:
                        text = documents[hits[0]][0]
            requests.labels(code="200").inc()
            if error:
                failures.labels(type=error).inc()
            with lock, log.open("a", encoding="utf-8") as stream:
                entry = {"ts": "2026-11-30T10:00:00Z", "traceId": trace_id, "outcome": state}
                if error:
                    entry["errorType"] = error
                stream.write(json.dumps(entry) + "\n")
        reply = {"reply": {"text": text, "citations": [{"docId": d} for d in cited]}}
        headers = {"traceparent": f"00-{trace_id}-{format(context.span_id, '016x')}-01"}
        return JSONResponse({**reply, "state": state}, headers=headers)

    @app.get("/internal/prometheus")
    async def metrics() -> PlainTextResponse:
        return PlainTextResponse(generate_latest(registry).decode())

    app.state.provider = provider
    return app


def engagement_folder(folder: Path, url: str, declared: dict) -> Path:
    (folder / "handbook").mkdir(parents=True)
    for name, (doc_id, title, body, groups) in DOCUMENTS.items():
        (folder / "handbook" / name).write_text(markdown(doc_id, title, body, groups))
    users = {
        "groups": {"all-staff": "everyone", "hr": "people team"},
        "users": [
            {"id": "u-alice", "name": "Alice", "groups": []},
            {"id": "u-hana", "name": "Hana", "groups": ["hr"]},
        ],
    }
    (folder / "users.yaml").write_text(yaml.safe_dump(users))
    with (folder / "golden.jsonl").open("w") as stream:
        for gid, question, gold, reference, answerable in GOLDEN:
            item = {
                "id": gid,
                "question": question,
                "user": "u-hana",
                "gold_docs": gold,
                "reference_answer": reference,
                "answerable": answerable,
                "tags": ["hr"],
            }
            stream.write(json.dumps(item) + "\n")
    target = {
        "spec": f"{url}/v2/helpdesk/ask",
        "http": {
            "request": {"query": "{question}"},
            "response": {
                "answer": "reply.text",
                "sources": "reply.citations[*].docId",
                "status": "state",
            },
            "auth": {"header": "X-Team-Key", "scheme": "", "token_env": KEY_ENV},
        },
        **declared,
    }
    data = {
        "name": "team-helpdesk",
        "depth": "quick",
        "target": target,
        "data_sources": [{"name": "handbook", "path": "handbook", "format": "markdown"}],
        "users": "users.yaml",
        "golden_set": "golden.jsonl",
    }
    (folder / "engagement.yaml").write_text(json.dumps(data))
    return folder


def observe(folder: Path) -> tuple[observability.ObservabilityRun, dict]:
    engagement = load_engagement(folder)
    items, _ = engagement_golden(engagement)
    decisions = Decisions()
    run_dir = folder / "runs" / "r1"
    run_dir.mkdir(parents=True)
    target = connect(engagement.target.spec, engagement, workdir=run_dir / "work")
    try:
        run = observability.run_observability(
            target, engagement, items, decisions, engagement.budget, run_dir
        )
    finally:
        target.close()
    checks = observability.observability_checks(run, decisions)
    return run, {check.id: check for check in checks}


@pytest.fixture
def keys_in_env(monkeypatch):
    for user, variable in KEY_ENV.items():
        monkeypatch.setenv(variable, KEYS[user])


def test_a_declared_black_box_gets_a_verdict_on_every_check(tmp_path, monkeypatch, keys_in_env):
    port = closed_port()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{port}")
    log = tmp_path / "engagement" / "helpdesk.jsonl"
    app = team_app(log)
    with serving(app) as url:
        declared = {
            "otlp_port": port,
            "metrics_url": f"{url}/internal/prometheus",
            "logs": "helpdesk.jsonl",
        }
        run, checks = observe(engagement_folder(tmp_path / "engagement", url, declared))
    app.state.provider.shutdown()
    statuses = {check_id: check.status for check_id, check in checks.items()}
    assert statuses == {
        "observability.trace_coverage": "pass",
        "observability.log_completeness": "pass",
        "observability.metrics_exposed": "warn",  # the team has no cache to count
        "observability.quality_floor": "fail",  # the salary question times out
        "observability.golden_regression": "skip",
        "observability.alert_rules": "pass",
    }, {check_id: check.detail for check_id, check in checks.items()}
    # spans came through the SDK's own exporter to the playbook's receiver
    assert run.span_source == f"the OTLP receiver at http://127.0.0.1:{port}"
    assert all(trace.complete for trace in run.traces)
    # the failure followed is the team's own timeout: its log line and its error span
    assert run.followed.how == "failed during the evaluation"
    assert run.followed.log_entries[0]["errorType"] == "timeout"
    assert any(span.status == "error" for span in run.followed.spans)
    assert "not found: cache hits" in checks["observability.metrics_exposed"].detail
    timeout_rule = next(rule for rule in run.rules if rule.watches == "timeout")
    assert timeout_rule.series == "helpdesk_failures_total"


def test_an_undeclared_black_box_skips_what_it_hides_and_is_still_evaluated(tmp_path, keys_in_env):
    app = team_app(tmp_path / "unused.jsonl")
    with serving(app) as url:
        run, checks = observe(engagement_folder(tmp_path / "engagement", url, {}))
    app.state.provider.shutdown()
    for check_id, field in (
        ("observability.trace_coverage", "target.otlp_port"),
        ("observability.log_completeness", "target.logs"),
        ("observability.metrics_exposed", "target.metrics_url"),
        ("observability.alert_rules", "target.metrics_url"),
    ):
        assert checks[check_id].status == "skip", checks[check_id].detail
        assert field in checks[check_id].detail
    quality = checks["observability.quality_floor"]
    assert quality.status == "fail"  # the salary question times out: hit@5 3 of 4
    assert "hit@5 0.75 on 4 questions" in quality.detail
    assert run.evaluation.counts["refusal_correct"] == 5


def test_a_black_box_that_exports_spans_gets_its_stage_timings_from_them(
    tmp_path, monkeypatch, keys_in_env
):
    """Notebook 04's per-stage check on the same service: its answers carry no timings, its
    spans reach the playbook's receiver, and their stages give the breakdown."""
    port = closed_port()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{port}")
    app = team_app(tmp_path / "helpdesk.jsonl")
    budget = LatencyBudget(p95_ms=2500, retrieval_ms=300, generation_ms=1800, peak_rps=10)
    with serving(app) as url:
        folder = engagement_folder(tmp_path / "engagement", url, {"otlp_port": port})
        engagement = load_engagement(folder)
        target = connect(engagement.target.spec, engagement, workdir=tmp_path / "work")
        try:
            requests = [LoadRequest(GOLDEN[0][1], "u-alice"), LoadRequest(GOLDEN[1][1], "u-hana")]
            spans = capability(target, Spans)  # the receiver listens from here on
            measured = run_open_load(target, requests, 10, 2.0, 20, seed=3)
            assert measured.valid and not measured.stages  # the answers say nothing of stages
            run = stages_from_spans(measured, spans)
        finally:
            target.close()
    app.state.provider.shutdown()
    assert run.stage_source == f"the spans of {len(run.samples)} of {len(run.samples)} answers"
    assert set(run.stages) == {"retrieval", "generation"}
    assert 0 < run.stage_ms("retrieval") < run.latency_ms(95)
    check = latency.check_stages(run, budget)
    assert check.status == "pass", check.detail
