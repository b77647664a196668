"""The OTLP/HTTP receiver on 127.0.0.1: what the OpenTelemetry SDK's own exporter sends arrives
whole; `playbook serve` exports its spans to it; targets offer their spans through it."""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode

from playbook.engagement import Engagement
from playbook.errors import PlaybookError
from playbook.loopback import listen
from playbook.otlp import OtlpReceiver, error_reason, spans_from_sdk, wait_for_spans
from playbook.targets.capabilities import SpanRecord, Spans, capability
from playbook.targets.http import HttpTarget
from playbook.targets.reference import ReferenceTarget

from .conftest import SALARY, TOKENS, closed_port
from .test_serve_command import SCRIPT, wait_until_healthy

pytestmark = pytest.mark.service

GENAI_ROOT = "invoke_agent reference-assistant"


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as running:
        yield running


def export_one_request(endpoint: str, compression: Compression | None = None) -> None:
    """One request's spans sent by the SDK's own OTLP/HTTP exporter, as a service sends them."""
    provider = TracerProvider(resource=Resource.create({"service.name": "team-assistant"}))
    exporter = OTLPSpanExporter(endpoint=endpoint, compression=compression, timeout=5)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("tests")
    with tracer.start_as_current_span(
        "invoke_agent team", attributes={"gen_ai.operation.name": "invoke_agent"}
    ):
        with tracer.start_as_current_span("retrieval store") as retrieval:
            retrieval.set_attribute("gen_ai.retrieval.documents", ["HB-001", "HB-004"])
            retrieval.set_attribute("gen_ai.operation.name", "retrieval")
        with tracer.start_as_current_span("chat model") as chat:
            chat.set_attribute("error.type", "TimeoutError")
            chat.set_status(Status(StatusCode.ERROR, "timed out"))
    provider.shutdown()


def protobuf_payload() -> bytes:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    with provider.get_tracer("tests").start_as_current_span("posted by hand"):
        pass
    provider.shutdown()
    return encode_spans(memory.get_finished_spans()).SerializeToString()


@pytest.mark.parametrize("compression", [None, Compression.Gzip, Compression.Deflate])
def test_spans_from_the_sdks_own_exporter_arrive_whole(
    receiver: OtlpReceiver, compression: Compression | None
) -> None:
    export_one_request(receiver.traces_url, compression)
    spans = {span.name: span for span in receiver.spans()}
    assert set(spans) == {"invoke_agent team", "retrieval store", "chat model"}
    root, retrieval, chat = (
        spans["invoke_agent team"],
        spans["retrieval store"],
        spans["chat model"],
    )
    assert root.parent_id is None
    assert retrieval.parent_id == root.span_id and chat.parent_id == root.span_id
    assert len({span.trace_id for span in spans.values()}) == 1
    assert retrieval.attributes["gen_ai.retrieval.documents"] == ("HB-001", "HB-004")
    assert root.attributes == {"gen_ai.operation.name": "invoke_agent"}
    assert chat.status == "error" and chat.attributes["error.type"] == "TimeoutError"
    assert root.status == "unset"
    assert {span.service for span in spans.values()} == {"team-assistant"}
    assert receiver.exports == 3 and receiver.dropped == 0
    receiver.clear()
    assert receiver.spans() == []


def test_the_exporter_sees_its_export_succeed() -> None:
    from opentelemetry.sdk.trace.export import SpanExportResult
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    with provider.get_tracer("tests").start_as_current_span("one"):
        pass
    with OtlpReceiver() as receiver:
        exporter = OTLPSpanExporter(endpoint=receiver.traces_url, timeout=5)
        assert exporter.export(memory.get_finished_spans()) is SpanExportResult.SUCCESS
        elsewhere = OTLPSpanExporter(endpoint=receiver.url + "/v1/other", timeout=5)
        assert elsewhere.export(memory.get_finished_spans()) is SpanExportResult.FAILURE
        for sender in (exporter, elsewhere):
            sender.shutdown()
        assert [span.name for span in receiver.spans()] == ["one"]


def test_otlp_json_posts_are_accepted_plain_and_gzipped(receiver: OtlpReceiver) -> None:
    from tests.core.test_otlp import otlp_json, traced

    spans = traced()
    body = json.dumps(otlp_json(spans)).encode()
    with httpx.Client(trust_env=False, timeout=5) as client:  # one kept-alive connection
        plain = client.post(
            receiver.traces_url,
            content=body,
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        zipped = client.post(
            receiver.traces_url,
            content=gzip.compress(body),
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
    assert (plain.status_code, plain.json()) == (200, {})
    assert (zipped.status_code, zipped.json()) == (200, {})
    assert receiver.spans() == spans_from_sdk(spans) * 2


def post(url: str, body: bytes, content_type: str, **headers: str) -> httpx.Response:
    return httpx.post(
        url,
        content=body,
        headers={"Content-Type": content_type, **headers},
        timeout=5,
        trust_env=False,
    )


def test_a_malformed_body_is_400_with_the_reason(receiver: OtlpReceiver) -> None:
    bad_protobuf = post(receiver.traces_url, b"\xff\xff\xff", "application/x-protobuf")
    assert bad_protobuf.status_code == 400
    assert bad_protobuf.headers["content-type"] == "application/x-protobuf"
    reason = error_reason(bad_protobuf.headers["content-type"], bad_protobuf.content)
    assert "not an OTLP ExportTraceServiceRequest in protobuf" in reason
    bad_json = post(receiver.traces_url, b'{"resourceSpans": [', "application/json")
    assert bad_json.status_code == 400 and "not valid JSON" in bad_json.json()["message"]
    bad_id = post(
        receiver.traces_url,
        json.dumps(
            {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "x", "spanId": "y"}]}]}]}
        ).encode(),
        "application/json",
    )
    assert bad_id.status_code == 400
    assert "spans[0].traceId: 'x', expected 32 hex digits" in bad_id.json()["message"]
    not_gzip = post(
        receiver.traces_url, b"plain", "application/x-protobuf", **{"Content-Encoding": "gzip"}
    )
    assert not_gzip.status_code == 400
    assert "not valid gzip" in error_reason(not_gzip.headers["content-type"], not_gzip.content)
    assert receiver.spans() == [] and receiver.exports == 0
    good = post(receiver.traces_url, protobuf_payload(), "application/x-protobuf")
    assert (good.status_code, good.content) == (200, b"")
    assert [span.name for span in receiver.spans()] == ["posted by hand"]


def test_other_content_types_paths_and_methods_are_refused(receiver: OtlpReceiver) -> None:
    wrong_type = post(receiver.traces_url, b"{}", "text/plain")
    assert wrong_type.status_code == 415 and "text/plain" in wrong_type.json()["message"]
    no_type = httpx.post(receiver.traces_url, content=b"{}", trust_env=False, timeout=5)
    assert no_type.status_code == 415
    brotli = post(receiver.traces_url, b"{}", "application/json", **{"Content-Encoding": "br"})
    assert brotli.status_code == 415 and "'br'" in brotli.json()["message"]
    elsewhere = post(receiver.url + "/v1/metrics", b"{}", "application/json")
    assert elsewhere.status_code == 404 and "/v1/traces" in elsewhere.json()["message"]
    assert httpx.get(receiver.traces_url, trust_env=False, timeout=5).status_code == 405


def test_a_body_that_inflates_past_the_limit_is_413() -> None:
    with OtlpReceiver(max_body_bytes=10_000) as receiver:
        bomb = post(
            receiver.traces_url,
            gzip.compress(b"\x00" * 1_000_000),
            "application/x-protobuf",
            **{"Content-Encoding": "gzip"},
        )
        assert bomb.status_code == 413
        too_long = post(receiver.traces_url, b"\x00" * 20_000, "application/x-protobuf")
        assert too_long.status_code == 413


def test_memory_is_bounded_and_the_dropped_spans_are_counted() -> None:
    from tests.core.test_otlp import otlp_json, traced

    spans = traced()  # three spans per request
    body = json.dumps(otlp_json(spans)).encode()
    with OtlpReceiver(max_spans=4) as receiver:
        for _ in range(2):
            assert post(receiver.traces_url, body, "application/json").status_code == 200
        assert receiver.spans() == (spans_from_sdk(spans) * 2)[-4:]
        assert receiver.dropped == 2 and "dropped=2" in repr(receiver)


def test_stopping_frees_the_port_and_a_port_in_use_is_a_playbook_error() -> None:
    receiver = OtlpReceiver().start()
    port = receiver.port
    with pytest.raises(PlaybookError, match="target.otlp_port"):
        OtlpReceiver(port).start()
    receiver.stop()
    receiver.stop()  # twice is harmless
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    listen("127.0.0.1", port).close()  # the port is free again


def test_telemetry_exports_over_otlp_when_the_endpoint_is_set_and_flushes_on_close(
    receiver: OtlpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playbook.reference.telemetry import SERVICE_NAME, Telemetry

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.traces_url)
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "60000")  # only the flush at close sends
    telemetry = Telemetry(structured=True)
    with telemetry.span("invoke_agent reference-assistant", {"gen_ai.operation.name": "x"}):
        pass
    assert receiver.spans() == []
    telemetry.close()
    (span,) = receiver.spans()
    assert span.service == SERVICE_NAME == "playbook-reference"
    assert span.attributes == {"gen_ai.operation.name": "x"}
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    quiet = Telemetry(structured=True)
    with quiet.span("not exported"):
        pass
    quiet.close()
    assert len(receiver.spans()) == 1


def serve_process(engagement: Engagement, port: int, endpoint: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(engagement.folder), "production", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def stop(process: subprocess.Popen) -> tuple[str, str]:
    process.send_signal(signal.SIGINT)
    try:
        return process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()


def of_trace(trace_id: str):
    return lambda spans: any(s.trace_id == trace_id and s.name == GENAI_ROOT for s in spans)


def assert_reference_request_tree(spans: list[SpanRecord], trace_id: str) -> None:
    tree = [span for span in spans if span.trace_id == trace_id]
    by_name = {span.name: span for span in tree}
    root = by_name[GENAI_ROOT]
    assert root.parent_id is None and root.service == "playbook-reference"
    children = [span for span in tree if span is not root]
    assert children and all(span.parent_id == root.span_id for span in children)
    operations = {span.attributes.get("gen_ai.operation.name") for span in tree}
    assert {"invoke_agent", "retrieval", "chat"} <= operations
    retrieval = next(s for s in tree if s.attributes.get("gen_ai.operation.name") == "retrieval")
    assert "HB-003" in retrieval.attributes["gen_ai.retrieval.documents"]
    assert all("gen_ai.request.model" in span.attributes for span in tree)


def test_playbook_serve_exports_the_span_tree_of_a_request_to_the_otlp_endpoint(
    engagement: Engagement, receiver: OtlpReceiver
) -> None:
    port = closed_port()
    url = f"http://127.0.0.1:{port}"
    process = serve_process(engagement, port, receiver.url)
    try:
        wait_until_healthy(url, process)
        reply = httpx.post(
            f"{url}/v1/ask",
            json={"question": SALARY},
            headers={"Authorization": f"Bearer {TOKENS['u-hana']}"},
            timeout=10,
            trust_env=False,
        )
        assert reply.status_code == 200
        trace_id = reply.json()["trace_id"]
        spans = wait_for_spans(receiver, of_trace(trace_id), timeout_s=15)
    finally:
        out, err = stop(process)
    assert process.returncode == 0, err
    assert "stopped cleanly" in out
    assert_reference_request_tree(spans, trace_id)


def test_a_declared_http_target_with_otlp_port_gets_the_spans_its_service_exported(
    engagement: Engagement, tokens_in_env
) -> None:
    port, otlp_port = closed_port(), closed_port()
    spec = f"http://127.0.0.1:{port}/v1/ask"
    declared = engagement.with_overrides(target__spec=spec, target__otlp_port=otlp_port)
    target = HttpTarget(spec, declared.target.http, engagement=declared)
    process = None
    try:
        spans = capability(target, Spans)
        assert isinstance(spans, OtlpReceiver) and spans.port == otlp_port
        assert capability(target, Spans) is spans  # started once
        process = serve_process(engagement, port, f"http://127.0.0.1:{otlp_port}")
        wait_until_healthy(f"http://127.0.0.1:{port}", process)
        answer = target.ask(SALARY, "u-hana")
        assert answer.status == "ok" and answer.trace_id
        found = wait_for_spans(spans, of_trace(answer.trace_id), timeout_s=15)
        assert_reference_request_tree(found, answer.trace_id)
    finally:
        target.close()
        if process is not None:
            stop(process)
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", otlp_port), timeout=2):
        pass  # closing the target stopped its receiver


def test_the_reference_target_gives_the_spans_of_a_question_just_asked(
    engagement: Engagement, tmp_path: Path
) -> None:
    target = ReferenceTarget(engagement, "production", tmp_path / "production")
    try:
        spans = capability(target, Spans)
        assert spans is not None
        spans.clear()
        answer = target.ask(SALARY, "u-hana")
        assert_reference_request_tree(spans.spans(), answer.trace_id)
        spans.clear()
        assert spans.spans() == []
    finally:
        target.close()


def test_the_reference_target_without_telemetry_offers_spans_but_has_none(
    engagement: Engagement, tmp_path: Path
) -> None:
    target = ReferenceTarget(engagement, "production", tmp_path / "quiet", {"telemetry": False})
    try:
        spans = capability(target, Spans)
        assert spans is not None  # measured, not skipped: the system is not instrumented
        answer = target.ask(SALARY, "u-hana")
        assert answer.status == "ok" and spans.spans() == []
    finally:
        target.close()
