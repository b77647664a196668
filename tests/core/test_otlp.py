"""OTLP decoding: protobuf, OTLP/JSON and in-process SDK spans give the same SpanRecords; trace
files are read as the Collector's file exporter writes them, and bad ones are named."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

import pytest
from google.protobuf.json_format import MessageToDict, MessageToJson
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

from playbook.errors import PlaybookError
from playbook.otlp import (
    read_trace_files,
    spans_from_json,
    spans_from_protobuf,
    spans_from_sdk,
)
from playbook.targets.capabilities import Spans, capability


def traced(service: str = "team-assistant", question: str = "annual leave?") -> list:
    """The finished SDK spans of one request: a root, a retrieval child, a failed chat child."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("tests")
    with tracer.start_as_current_span(
        "invoke_agent team", attributes={"gen_ai.operation.name": "invoke_agent"}
    ) as root:
        root.set_attribute("question.length", len(question))
        with tracer.start_as_current_span("retrieval store") as retrieval:
            retrieval.set_attribute("gen_ai.retrieval.documents", ["HB-001", "HB-004"])
            retrieval.set_attribute("retrieval.score", 0.75)
            retrieval.set_attribute("retrieval.cached", False)
        with tracer.start_as_current_span("chat model") as chat:
            chat.set_attribute("error.type", "TimeoutError")
            chat.set_status(Status(StatusCode.ERROR, "timed out"))
        root.set_status(Status(StatusCode.OK))
    provider.shutdown()
    return list(exporter.get_finished_spans())


def otlp_json(spans: list) -> dict:
    """The OTLP/JSON document of an export request: protobuf's JSON with hex ids, as specified."""
    document = MessageToDict(encode_spans(spans))
    for resource_spans in document["resourceSpans"]:
        for scope_spans in resource_spans["scopeSpans"]:
            for span in scope_spans["spans"]:
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = base64.b64decode(span[key]).hex()
    return document


def test_protobuf_json_and_sdk_spans_decode_to_the_same_records() -> None:
    spans = traced()
    from_sdk = spans_from_sdk(spans)
    from_protobuf = spans_from_protobuf(encode_spans(spans).SerializeToString())
    from_json = spans_from_json(otlp_json(spans))
    assert from_protobuf == from_sdk and from_json == from_sdk
    by_name = {span.name: span for span in from_json}
    root, retrieval, chat = (
        by_name["invoke_agent team"],
        by_name["retrieval store"],
        by_name["chat model"],
    )
    assert root.parent_id is None and len(root.trace_id) == 32 and len(root.span_id) == 16
    assert retrieval.parent_id == root.span_id and chat.parent_id == root.span_id
    assert retrieval.trace_id == root.trace_id
    assert retrieval.attributes == {
        "gen_ai.retrieval.documents": ("HB-001", "HB-004"),
        "retrieval.score": 0.75,
        "retrieval.cached": False,
    }
    assert root.attributes["question.length"] == len("annual leave?")
    assert (root.status, retrieval.status, chat.status) == ("ok", "unset", "error")
    assert {span.service for span in from_json} == {"team-assistant"}
    assert root.end_ns >= chat.end_ns > chat.start_ns > 0


def test_protobufs_own_json_with_base64_ids_and_snake_case_reads_the_same() -> None:
    spans = traced()
    request = encode_spans(spans)
    camel = json.loads(MessageToJson(request))
    snake = json.loads(MessageToJson(request, preserving_proto_field_name=True))
    assert spans_from_json(camel) == spans_from_sdk(spans)
    assert spans_from_json(json.dumps(snake)) == spans_from_sdk(spans)


def test_json_values_follow_the_otlp_encoding() -> None:
    document = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}]
                },
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": "5B8EFFF798038103D269B633813FC60C",
                                "spanId": "EEE19B7EC3C1B174",
                                "parentSpanId": "",
                                "name": "op",
                                "startTimeUnixNano": "1544712660000000000",
                                "endTimeUnixNano": 1544712661000000000,
                                "status": {"code": "STATUS_CODE_ERROR"},
                                "attributes": [
                                    {"key": "n", "value": {"intValue": "9007199254740993"}},
                                    {"key": "x", "value": {"doubleValue": "NaN"}},
                                    {"key": "b", "value": {"boolValue": True}},
                                    {"key": "raw", "value": {"bytesValue": "aGk="}},
                                    {"key": "none", "value": {}},
                                    {
                                        "key": "kv",
                                        "value": {
                                            "kvlistValue": {
                                                "values": [{"key": "k", "value": {"intValue": 3}}]
                                            }
                                        },
                                    },
                                    {
                                        "key": "list",
                                        "value": {
                                            "arrayValue": {
                                                "values": [{"stringValue": "a"}, {"intValue": "2"}]
                                            }
                                        },
                                    },
                                ],
                            }
                        ]
                    }
                ],
            }
        ]
    }
    (span,) = spans_from_json(document)
    assert span.trace_id == "5b8efff798038103d269b633813fc60c" and span.parent_id is None
    assert span.seconds == 1.0 and span.status == "error" and span.service == "svc"
    attributes = dict(span.attributes)
    assert attributes.pop("x") != attributes.get("x")  # NaN
    assert attributes == {
        "n": 9007199254740993,
        "b": True,
        "raw": b"hi",
        "none": None,
        "kv": {"k": 3},
        "list": ("a", 2),
    }


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ([], "expected an object with 'resourceSpans'"),
        ({"resourceSpans": {}}, "resourceSpans: a JSON object, expected an array"),
        ({"resourceSpans": [{"scopeSpans": [{"spans": [{"spanId": "ab"}]}]}]}, "traceId"),
        (
            {
                "resourceSpans": [
                    {"scopeSpans": [{"spans": [{"traceId": "0" * 32, "spanId": "zz" * 8}]}]}
                ]
            },
            "spans[0].spanId: 'zzzzzzzzzzzzzzzz', expected 16 hex digits",
        ),
        (
            {
                "resourceSpans": [
                    {
                        "scopeSpans": [
                            {
                                "spans": [
                                    {
                                        "traceId": "1" * 32,
                                        "spanId": "2" * 16,
                                        "startTimeUnixNano": "soon",
                                    }
                                ]
                            }
                        ]
                    }
                ]
            },
            "startTimeUnixNano: 'soon', expected an integer",
        ),
        ("{not json", "not valid JSON"),
    ],
)
def test_malformed_otlp_json_is_a_value_error_saying_where(document, reason: str) -> None:
    with pytest.raises(ValueError) as raised:
        spans_from_json(document)
    assert reason in str(raised.value)


def test_malformed_protobuf_is_a_value_error_not_a_protobuf_traceback() -> None:
    good = encode_spans(traced()).SerializeToString()
    for payload in (b"\xff\xff\xff", good[: len(good) // 2], b'{"resourceSpans": []}'):
        with pytest.raises(ValueError, match="not an OTLP ExportTraceServiceRequest") as raised:
            spans_from_protobuf(payload)
        assert type(raised.value) is ValueError


def test_a_protobuf_span_with_a_short_trace_id_is_refused() -> None:
    request = encode_spans(traced())
    request.resource_spans[0].scope_spans[0].spans[0].trace_id = b"\x01\x02"
    with pytest.raises(ValueError, match=r"spans\[0\]\.traceId: 2 bytes, expected 16"):
        spans_from_protobuf(request.SerializeToString())


def test_trace_files_read_a_document_json_lines_and_a_folder(tmp_path: Path) -> None:
    first, second = traced(question="one"), traced(question="two?")
    expected = spans_from_sdk(first) + spans_from_sdk(second)
    single = tmp_path / "one.json"
    single.write_text(json.dumps(otlp_json(first), indent=2), encoding="utf-8")
    lines = tmp_path / "collector" / "traces.jsonl"
    lines.parent.mkdir()
    lines.write_text(
        "\n".join(json.dumps(otlp_json(spans)) for spans in (first, second)) + "\n\n",
        encoding="utf-8",
    )
    assert read_trace_files(single) == spans_from_sdk(first)
    assert read_trace_files(lines) == expected
    (lines.parent / "notes.txt").write_text("not traces")
    (lines.parent / ".hidden.json").write_text("{broken")
    (lines.parent / "empty.json").write_text("")
    assert read_trace_files(lines.parent) == expected
    assert read_trace_files(lines, max_spans=2) == expected[-2:]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "not valid JSON at line 1"),
        ('{"resourceSpans": []}\n{"resourceSpans": [}\n', "line 2: not valid JSON"),
        ('{"time": "2026-01-01", "level": "info"}\n', "an object without 'resourceSpans'"),
        ('{"resourceSpans": [{"scopeSpans": [{"spans": [{}]}]}]}', "traceId: None, expected 32"),
        (b"\x00\x01binary", "binary content"),
    ],
)
def test_an_unreadable_trace_file_is_a_playbook_error_naming_it(
    tmp_path: Path, content: str | bytes, reason: str
) -> None:
    path = tmp_path / "traces.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(PlaybookError) as raised:
        read_trace_files(path, field="target.traces")
    message = str(raised.value)
    assert message.startswith(str(path)) and reason in message, message
    assert "field 'target.traces'" in message and "OTLP/JSON" in message


def test_a_missing_trace_path_is_a_playbook_error(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match="not found"):
        read_trace_files(tmp_path / "nowhere.json")


def test_a_gzip_file_is_refused_as_binary_not_read_as_garbage(tmp_path: Path) -> None:
    path = tmp_path / "traces.json"
    path.write_bytes(gzip.compress(json.dumps(otlp_json(traced())).encode()))
    with pytest.raises(PlaybookError, match="traces.json"):
        read_trace_files(path)


def test_a_declared_target_reads_its_trace_files_again_at_each_call(tmp_path: Path) -> None:
    from playbook.engagement import load_engagement
    from playbook.targets.python_callable import PythonTarget

    (tmp_path / "team_app.py").write_text("def answer(question):\n    return 'ok'\n")
    (tmp_path / "traces").mkdir()
    (tmp_path / "engagement.yaml").write_text(
        "name: t\ntarget:\n  spec: python:team_app:answer\n  traces: traces\n", encoding="utf-8"
    )
    engagement = load_engagement(tmp_path)
    target = PythonTarget("python:team_app:answer", tmp_path, engagement=engagement)
    spans = capability(target, Spans)
    assert spans is not None and spans.spans() == []
    first, second = traced(question="one"), traced(question="two?")
    file = tmp_path / "traces" / "traces.jsonl"
    file.write_text(json.dumps(otlp_json(first)) + "\n", encoding="utf-8")
    assert spans.spans() == spans_from_sdk(first)
    spans.clear()
    with file.open("a", encoding="utf-8") as stream:
        stream.write(json.dumps(otlp_json(second)) + "\n")
    assert spans.spans() == spans_from_sdk(second)
    target.close()


def test_a_team_target_without_traces_declared_offers_no_spans_and_says_what_to_set(
    tmp_path: Path,
) -> None:
    from playbook.engagement import load_engagement
    from playbook.targets.capabilities import why_missing
    from playbook.targets.python_callable import PythonTarget

    (tmp_path / "team_app.py").write_text("def answer(question):\n    return 'ok'\n")
    (tmp_path / "engagement.yaml").write_text(
        "name: t\ntarget:\n  spec: python:team_app:answer\n", encoding="utf-8"
    )
    target = PythonTarget("python:team_app:answer", tmp_path, load_engagement(tmp_path))
    assert capability(target, Spans) is None
    reason = why_missing(target, Spans)
    assert "target.otlp_port" in reason and "target.traces" in reason
