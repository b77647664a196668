"""Telemetry on and off, redaction of logged queries, and secrets kept out of everything."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from playbook.reference.llm import LlmConfig

QUESTION = "How many days of annual leave do I get?"
PII_QUESTION = "I am Hana Ito, mail hana.ito@example.com or call +1 212 555 0199: annual leave?"
SECRET = "sk-test-7f1c9e2b4d6a8f0e"


def test_telemetry_gives_genai_spans_metrics_and_structured_logs(make_system, tmp_path) -> None:
    log_file = tmp_path / "logs" / "reference.jsonl"
    system = make_system("production", log_path=log_file)
    answer = system.ask(QUESTION, "u-sam")
    assert answer.trace_id and len(answer.trace_id) == 32
    spans = {span.name: span for span in system.spans()}
    root = spans["invoke_agent reference-assistant"]
    assert format(root.context.trace_id, "032x") == answer.trace_id
    assert spans["retrieval reference-store"].attributes["gen_ai.retrieval.documents"][0] == (
        "HB-001"
    )
    chat = spans["chat extractive"]
    assert chat.attributes["gen_ai.operation.name"] == "chat"
    assert chat.attributes["gen_ai.request.model"] == "extractive"
    assert chat.parent.span_id == root.context.span_id
    metrics = system.metrics_text()
    assert 'reference_requests_total{status="ok"} 1.0' in metrics
    assert 'reference_stage_seconds_count{stage="retrieval"} 1.0' in metrics
    entry = system.logs[-1]
    assert entry["trace_id"] == answer.trace_id and entry["status"] == "ok"
    assert set(entry["timings"]) == {"retrieval", "generation", "total"}
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert [line["event"] for line in lines] == ["ingest", "answer"]


def test_without_telemetry_there_are_no_spans_no_metrics_and_only_print_lines(make_system) -> None:
    system = make_system("production", switches={"telemetry": False})
    answer = system.ask(QUESTION, "u-sam")
    assert answer.trace_id is None and system.spans() == [] and system.metrics_text() == ""
    assert all(isinstance(entry, str) for entry in system.logs)
    assert "status='ok'" in system.logs[-1] and "trace" not in system.logs[-1]


def test_failures_are_marked_with_error_type_on_the_spans(make_system) -> None:
    from playbook.faults import Fault, FaultPlan

    system = make_system("production", faults=FaultPlan.of(Fault("exception", "generation")))
    answer = system.ask(QUESTION, "u-sam")
    spans = {span.name: span for span in system.spans()}
    assert spans["chat extractive"].attributes["error.type"] == "InjectedError"
    assert spans["invoke_agent reference-assistant"].attributes["error.type"] == "InjectedError"
    assert system.logs[-1]["error.type"] == "InjectedError" and answer.status == "degraded"


def test_log_redaction_keeps_personal_data_out_of_logged_queries(make_system) -> None:
    redacting = make_system("production")
    raw = make_system("production", switches={"log_redaction": False})
    for system in (redacting, raw):
        system.ask(PII_QUESTION, "u-hana")
    logged = redacting.logs[-1]["query"]
    assert "hana.ito@example.com" not in logged and "555 0199" not in logged
    assert "Hana Ito" not in logged and "annual leave" in logged
    assert "<EMAIL_ADDRESS>" in logged
    assert raw.logs[-1]["query"] == PII_QUESTION


def test_log_redaction_applies_to_print_style_lines_too(make_system) -> None:
    system = make_system("production", switches={"telemetry": False})
    system.ask(PII_QUESTION, "u-hana")
    assert "hana.ito@example.com" not in system.logs[-1]


class _FakeModel(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that misbehaves: it echoes the caller's key back."""

    mode = "ok"

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        length = int(self.headers.get("content-length", 0))
        payload = json.loads(self.rfile.read(length))
        key = self.headers.get("authorization", "")
        if self.server.mode == "error":  # type: ignore[attr-defined]
            body = json.dumps({"error": f"bad key {key}"}).encode()
            self.send_response(500)
        else:
            passages = payload["messages"][1]["content"]
            doc = passages.split("[", 1)[1].split("]", 1)[0]
            content = f"Every employee receives 25 days of annual leave per year [{doc}]. {key}"
            body = json.dumps({"choices": [{"message": {"content": content}}]}).encode()
            self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_model() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeModel)
    server.mode = "ok"  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


def _llm(server: ThreadingHTTPServer) -> LlmConfig:
    host, port = server.server_address[:2]
    return LlmConfig(f"http://{host}:{port}/v1", "tiny-model", "PLAYBOOK_TEST_KEY", timeout_s=5)


def test_llm_endpoint_answers_with_citations_when_configured(
    make_system, fake_model, monkeypatch
) -> None:
    monkeypatch.setenv("PLAYBOOK_TEST_KEY", SECRET)
    system = make_system("production", llm=_llm(fake_model))
    answer = system.ask(QUESTION, "u-sam")
    assert answer.status == "ok" and answer.sources == ("HB-001",)
    assert {span.name for span in system.spans()} >= {"chat tiny-model"}


@pytest.mark.parametrize("profile", ["prototype", "production"])
@pytest.mark.parametrize("mode", ["ok", "error"])
def test_no_secret_in_logs_spans_or_answers(
    make_system, fake_model, monkeypatch, tmp_path: Path, profile: str, mode: str
) -> None:
    monkeypatch.setenv("PLAYBOOK_TEST_KEY", SECRET)
    fake_model.mode = mode
    log_file = tmp_path / "log.jsonl"
    system = make_system(
        profile, llm=_llm(fake_model), log_path=log_file, switches={"telemetry": True}
    )
    answer = system.ask(QUESTION, "u-sam")
    assert answer.status == (
        "ok" if mode == "ok" else "degraded" if profile == "production" else "error"
    )
    seen = [answer.text, answer.error or "", log_file.read_text(), repr(system.logs)]
    seen += [json.dumps(dict(span.attributes), default=str) for span in system.spans()]
    assert not any(SECRET in text for text in seen)
    if mode == "ok":
        assert "[REDACTED]" in answer.text  # the echoed key was cut out of the answer


def test_llm_is_never_required_and_a_missing_key_is_reported_by_name(
    make_system, fake_model, monkeypatch
) -> None:
    monkeypatch.delenv("PLAYBOOK_TEST_KEY", raising=False)
    system = make_system("prototype", llm=_llm(fake_model))
    answer = system.ask(QUESTION, "u-sam")
    assert answer.status == "error" and "PLAYBOOK_TEST_KEY" in answer.text
    assert make_system("prototype").ask(QUESTION, "u-sam").status == "ok"
