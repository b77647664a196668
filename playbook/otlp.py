"""Trace spans over the standard protocol: OTLP protobuf and OTLP/JSON decoded into SpanRecords,
trace files read from disk, and an OTLP/HTTP receiver on loopback.

A team's service sends its spans the way any OpenTelemetry SDK does: point its
`OTEL_EXPORTER_OTLP_ENDPOINT` at `OtlpReceiver.url` and its exporter posts
`ExportTraceServiceRequest`s to `/v1/traces`. Or its Collector writes them to a file (the file
exporter's JSON Lines, one request per line) and `read_trace_files` reads them back. Either way a
check gets `SpanRecord`s, the same ones the reference system's in-process spans become
(`spans_from_sdk`).

Where a choice had to be made:

- OTLP/JSON carries trace and span ids as hex (the specification). A file written with
  protobuf's own `MessageToJson` carries them as base64; the two cannot be confused (32 or 16
  hex digits, 24 or 12 base64 characters), so both are read. Field names may be lowerCamelCase
  (the specification) or snake_case; int64 values may be strings or numbers; enums numbers or
  names. Unknown fields are ignored, as the specification asks of receivers.
- Array attributes become tuples (what the SDK keeps in process), key-value lists dicts, bytes
  bytes, an empty value None.
- The receiver is a small asyncio server over h11, like the fault proxy, not uvicorn: one route,
  and it bounds each body (raw and decompressed) before anything parses it, in a thread and loop
  of its own, so it starts and stops inside a notebook kernel.
- The receiver keeps at most `max_spans` spans (the newest) and counts the ones it dropped;
  errors follow the OTLP/HTTP specification: a `google.rpc.Status` in the request's encoding.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import math
import socket
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h11
from google.protobuf.message import DecodeError
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from playbook.errors import PlaybookError
from playbook.loopback import BackgroundServer, listen
from playbook.safe_files import MAX_DOCUMENT_BYTES, FileProblem, parse_json, read_text
from playbook.targets.capabilities import SpanRecord

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan

    from playbook.targets.capabilities import Spans

HOST = "127.0.0.1"
TRACES_PATH = "/v1/traces"
PROTOBUF = "application/x-protobuf"
JSON = "application/json"
MAX_SPANS = 100_000  # kept by a receiver, or read from trace files; the newest win
MAX_BODY_BYTES = 64 * 1024 * 1024  # the SDK exporter's own request limit, before compression
MAX_TRACE_FILE_BYTES = MAX_DOCUMENT_BYTES
TRACE_SUFFIXES = (".json", ".jsonl", ".ndjson")
READ_TIMEOUT_S = 30.0  # to receive one request, and to wait for the next on a kept-alive one
STATUS_NAMES = {0: "unset", 1: "ok", 2: "error"}
EXPECTED_FILE = (
    "expected OTLP/JSON trace data: an ExportTraceServiceRequest object with 'resourceSpans', "
    "or JSON Lines of them (as the OpenTelemetry Collector's file exporter writes)"
)
# gRPC status codes of the google.rpc.Status an OTLP/HTTP error reply carries
_GRPC_CODES = {400: 3, 404: 5, 405: 12, 413: 8, 415: 3}


# ---- decoding ----------------------------------------------------------------------------------


def spans_from_protobuf(payload: bytes) -> list[SpanRecord]:
    """The spans of an `ExportTraceServiceRequest` in protobuf (what OTLP/HTTP exporters post)."""
    try:
        request = ExportTraceServiceRequest.FromString(bytes(payload))
    except (DecodeError, RuntimeError) as exc:  # upb raises DecodeError; nesting: RuntimeError
        raise ValueError(f"not an OTLP ExportTraceServiceRequest in protobuf ({exc})") from None
    records = []
    for r, resource_spans in enumerate(request.resource_spans):
        service = ""
        for attribute in resource_spans.resource.attributes:
            if attribute.key == "service.name":
                service = str(_pb_value(attribute.value) or "")
        for s, scope_spans in enumerate(resource_spans.scope_spans):
            for n, span in enumerate(scope_spans.spans):
                where = f"resourceSpans[{r}].scopeSpans[{s}].spans[{n}]"
                records.append(
                    SpanRecord(
                        trace_id=_pb_id(span.trace_id, 16, f"{where}.traceId"),
                        span_id=_pb_id(span.span_id, 8, f"{where}.spanId"),
                        parent_id=(
                            _pb_id(span.parent_span_id, 8, f"{where}.parentSpanId")
                            if span.parent_span_id
                            else None
                        ),
                        name=span.name,
                        start_ns=span.start_time_unix_nano,
                        end_ns=span.end_time_unix_nano,
                        attributes={a.key: _pb_value(a.value) for a in span.attributes},
                        status=STATUS_NAMES.get(span.status.code, "unset"),
                        service=service,
                    )
                )
    return records


def spans_from_json(document: Mapping[str, Any] | str | bytes) -> list[SpanRecord]:
    """The spans of an `ExportTraceServiceRequest` in OTLP/JSON (a parsed object, or its text)."""
    if isinstance(document, bytes | bytearray):
        try:
            document = bytes(document).decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("not UTF-8 text: OTLP/JSON is UTF-8 JSON") from None
    if isinstance(document, str):
        document = parse_json(document.removeprefix("\ufeff"))  # FileProblem is a ValueError
    if not isinstance(document, Mapping):
        raise ValueError(
            f"a JSON {_json_type(document)}, expected an object with 'resourceSpans' (OTLP/JSON)"
        )
    records = []
    for r, resource_spans in enumerate(_list(document, "resourceSpans", "")):
        where = f"resourceSpans[{r}]"
        resource = _object(resource_spans, "resource", where)
        service = _attributes(resource, f"{where}.resource").get("service.name")
        service = "" if service is None else str(service)
        for s, scope_spans in enumerate(_list(resource_spans, "scopeSpans", where)):
            for n, span in enumerate(_list(scope_spans, "spans", f"{where}.scopeSpans[{s}]")):
                records.append(_json_span(span, f"{where}.scopeSpans[{s}].spans[{n}]", service))
    return records


def spans_from_sdk(spans: Iterable[ReadableSpan]) -> list[SpanRecord]:
    """SpanRecords of finished OpenTelemetry SDK spans (a local tracer provider's, in process)."""
    records = []
    for span in spans:
        context = span.get_span_context()
        if context is None:
            continue
        resource = span.resource.attributes if span.resource is not None else {}
        parent = span.parent
        records.append(
            SpanRecord(
                trace_id=format(context.trace_id, "032x"),
                span_id=format(context.span_id, "016x"),
                parent_id=format(parent.span_id, "016x") if parent is not None else None,
                name=span.name,
                start_ns=span.start_time or 0,
                end_ns=span.end_time or span.start_time or 0,
                attributes=dict(span.attributes or {}),
                status=span.status.status_code.name.lower(),
                service=str(resource.get("service.name", "")),
            )
        )
    return records


def _pb_id(value: bytes, size: int, where: str) -> str:
    if len(value) != size:
        raise ValueError(f"{where}: {len(value)} bytes, expected {size}")
    return value.hex()


def _pb_value(value: Any) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return tuple(_pb_value(item) for item in value.array_value.values)
    if kind == "kvlist_value":
        return {item.key: _pb_value(item.value) for item in value.kvlist_value.values}
    if kind in ("string_value", "bool_value", "int_value", "double_value", "bytes_value"):
        return getattr(value, kind)
    return None  # empty, or a dictionary index only profiles use


def _snake(name: str) -> str:
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in name)


def _get(obj: Mapping[str, Any], name: str) -> Any:
    """A field by its lowerCamelCase name (OTLP/JSON) or its snake_case one (protobuf's)."""
    value = obj.get(name)
    return obj.get(_snake(name)) if value is None else value


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _object(parent: Any, name: str, where: str) -> Mapping[str, Any]:
    if not isinstance(parent, Mapping):
        raise ValueError(f"{where}: a JSON {_json_type(parent)}, expected an object")
    value = _get(parent, name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{_at(where, name)}: a JSON {_json_type(value)}, expected an object")
    return value


def _list(parent: Any, name: str, where: str) -> list[Any]:
    if not isinstance(parent, Mapping):
        raise ValueError(
            f"{where or 'the document'}: a JSON {_json_type(parent)}, expected an object"
        )
    value = _get(parent, name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{_at(where, name)}: a JSON {_json_type(value)}, expected an array")
    return value


def _at(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _json_span(span: Any, where: str, service: str) -> SpanRecord:
    if not isinstance(span, Mapping):
        raise ValueError(f"{where}: a JSON {_json_type(span)}, expected a span object")
    parent = _get(span, "parentSpanId")
    status = _object(span, "status", where)
    name = _get(span, "name")
    if name is not None and not isinstance(name, str):
        raise ValueError(f"{where}.name: a JSON {_json_type(name)}, expected a string")
    return SpanRecord(
        trace_id=_json_id(_get(span, "traceId"), 16, f"{where}.traceId"),
        span_id=_json_id(_get(span, "spanId"), 8, f"{where}.spanId"),
        parent_id=_json_id(parent, 8, f"{where}.parentSpanId") if parent else None,
        name=name or "",
        start_ns=_json_int(_get(span, "startTimeUnixNano"), f"{where}.startTimeUnixNano"),
        end_ns=_json_int(_get(span, "endTimeUnixNano"), f"{where}.endTimeUnixNano"),
        attributes=_attributes(span, where),
        status=_json_status(_get(status, "code"), f"{where}.status.code"),
        service=service,
    )


def _json_id(value: Any, size: int, where: str) -> str:
    """An id from hex (OTLP/JSON) or base64 (protobuf's JSON mapping), as lowercase hex."""
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 2 * size:
            with contextlib.suppress(ValueError):
                return bytes.fromhex(text).hex()
        elif len(text) == 4 * math.ceil(size / 3):
            with contextlib.suppress(binascii.Error, ValueError):
                decoded = base64.b64decode(text, validate=True)
                if len(decoded) == size:
                    return decoded.hex()
    raise ValueError(f"{where}: {value!r}, expected {2 * size} hex digits")


def _json_int(value: Any, where: str) -> int:
    if value is None:
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return int(value.strip())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ValueError(f"{where}: {value!r}, expected an integer (a JSON number or a string of one)")


def _json_status(value: Any, where: str) -> str:
    if value is None:
        return "unset"
    if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
        name = value.strip().upper().removeprefix("STATUS_CODE_").lower()
        if name in STATUS_NAMES.values():
            return name
    else:
        code = _json_int(value, where)
        if code in STATUS_NAMES:
            return STATUS_NAMES[code]
    raise ValueError(f"{where}: {value!r}, expected 0 (unset), 1 (ok) or 2 (error)")


def _attributes(parent: Mapping[str, Any], where: str) -> dict[str, Any]:
    attributes = {}
    for i, item in enumerate(_list(parent, "attributes", where)):
        if not isinstance(item, Mapping) or not isinstance(item.get("key"), str):
            raise ValueError(f"{where}.attributes[{i}]: expected an object with a string 'key'")
        attributes[item["key"]] = _json_value(item.get("value"), f"{where}.attributes[{i}].value")
    return attributes


def _json_value(value: Any, where: str) -> Any:
    """An AnyValue object: `stringValue`, `intValue`, `doubleValue`, `boolValue`, `arrayValue`,
    `kvlistValue` or `bytesValue`; an empty one is None."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: a JSON {_json_type(value)}, expected an AnyValue object")
    for name in ("stringValue", "boolValue", "intValue", "doubleValue", "bytesValue"):
        found = _get(value, name)
        if found is None:
            continue
        if name == "stringValue" and isinstance(found, str):
            return found
        if name == "boolValue" and isinstance(found, bool):
            return found
        if name == "intValue":
            return _json_int(found, f"{where}.intValue")
        if name == "doubleValue":
            return _json_double(found, f"{where}.doubleValue")
        if name == "bytesValue" and isinstance(found, str):
            with contextlib.suppress(binascii.Error, ValueError):
                return base64.b64decode(found, validate=True)
        raise ValueError(f"{where}.{name}: {found!r} is not a valid {name}")
    array = _get(value, "arrayValue")
    if array is not None:
        where = f"{where}.arrayValue"
        items = _list(array, "values", where)
        return tuple(_json_value(item, f"{where}.values[{i}]") for i, item in enumerate(items))
    kvlist = _get(value, "kvlistValue")
    if kvlist is not None:
        return _attributes({"attributes": _list(kvlist, "values", f"{where}.kvlistValue")}, where)
    return None


def _json_double(value: Any, where: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return float(value)  # "NaN", "Infinity", "-Infinity" as proto3 JSON writes them
    raise ValueError(f"{where}: {value!r}, expected a number")


# ---- files -------------------------------------------------------------------------------------


def read_trace_files(
    path: Path | str, field: str | None = None, max_spans: int = MAX_SPANS
) -> list[SpanRecord]:
    """The spans of an OTLP/JSON file, a JSON Lines file of such documents, or a folder of them
    (`.json`, `.jsonl`, `.ndjson`, in name order); the newest `max_spans` when there are more.

    A file that cannot be read as trace data is a PlaybookError naming it (and `field`, the
    engagement field that named it), and what was expected.
    """
    path = Path(path)
    named = f" (field '{field}')" if field else ""
    if path.is_dir():
        files = sorted(
            file
            for file in path.rglob("*")
            if file.is_file()
            and file.suffix.lower() in TRACE_SUFFIXES
            and not any(part.startswith(".") for part in file.relative_to(path).parts)
        )
    elif path.exists():
        files = [path]
    else:
        raise PlaybookError(f"{path}: not found{named}: {EXPECTED_FILE}, or a folder of them")
    kept: deque[SpanRecord] = deque(maxlen=max_spans)
    for file in files:
        kept.extend(_read_trace_file(file, named))
    return list(kept)


def _read_trace_file(file: Path, named: str) -> list[SpanRecord]:
    try:
        text = read_text(file, MAX_TRACE_FILE_BYTES)
    except FileProblem as exc:
        rotate = " (the Collector's file exporter rotates with rotation.max_megabytes)"
        hint = rotate if "bytes, more than" in str(exc) else ""
        raise PlaybookError(f"{file}: {exc}{hint}{named}: {EXPECTED_FILE}") from None
    except OSError as exc:
        raise PlaybookError(f"{file}: cannot read it ({exc.strerror or exc}){named}") from None
    records: list[SpanRecord] = []
    for line, document in _documents(file, text, named):
        where = f"line {line}: " if line else ""
        if (
            isinstance(document, Mapping)
            and document
            and not ("resourceSpans" in document or "resource_spans" in document)
        ):
            keys = ", ".join(sorted(map(str, document))[:5])
            raise PlaybookError(
                f"{file}: {where}an object without 'resourceSpans' (keys: {keys}){named}: "
                f"{EXPECTED_FILE}"
            )
        try:
            records.extend(spans_from_json(document))
        except ValueError as exc:
            raise PlaybookError(f"{file}: {where}{exc}{named}: {EXPECTED_FILE}") from None
    return records


def _documents(file: Path, text: str, named: str) -> list[tuple[int | None, Any]]:
    """The JSON documents of a file: one (line None), or one per non-blank line (JSON Lines)."""
    if not text.strip():
        return []
    try:
        return [(None, parse_json(text))]
    except FileProblem as whole:
        lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        try:
            first = parse_json(lines[0][1])
        except FileProblem:
            first = None
        if len(lines) < 2 or not isinstance(first, Mapping):
            raise PlaybookError(f"{file}: {whole}{named}: {EXPECTED_FILE}") from None
    documents: list[tuple[int | None, Any]] = []
    for number, line in lines:
        try:
            documents.append((number, parse_json(line)))
        except FileProblem as exc:
            raise PlaybookError(
                f"{file}: line {number}: {exc} (JSON Lines: one OTLP/JSON object per line)"
                f"{named}: {EXPECTED_FILE}"
            ) from None
    return documents


def wait_for_spans(
    source: Spans,
    until: Callable[[list[SpanRecord]], bool],
    timeout_s: float = 10.0,
    interval_s: float = 0.05,
) -> list[SpanRecord]:
    """The source's spans as soon as `until(spans)` holds, else the last seen after `timeout_s`.

    Exporters send in batches (the SDK's BatchSpanProcessor waits up to 5 s by default), so the
    spans of a request arrive some time after its answer.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        spans = source.spans()
        if until(spans) or time.monotonic() >= deadline:
            return spans
        time.sleep(interval_s)


# ---- the receiver ------------------------------------------------------------------------------


@dataclass
class _Reply:
    """One response of the receiver (`close`: end the connection after it)."""

    status: int
    content_type: str
    body: bytes
    close: bool = False


class OtlpReceiver(BackgroundServer):
    """An OTLP/HTTP trace receiver on 127.0.0.1 in a background thread; `start()`, `stop()`.

    `POST /v1/traces` with `application/x-protobuf` or `application/json` (gzip or deflate
    encoded too) is answered 200 with an empty ExportTraceServiceResponse; a body that cannot be
    decoded 400 with the reason, another content type 415, a body over `max_body_bytes` 413,
    any other path 404. It keeps the newest `max_spans` spans; `dropped` counts the others.
    """

    description = "the OTLP receiver"
    thread_name = "otlp-receiver"

    def __init__(
        self, port: int = 0, max_spans: int = MAX_SPANS, max_body_bytes: int = MAX_BODY_BYTES
    ) -> None:
        super().__init__()
        self.max_body_bytes = max_body_bytes
        self._requested_port = port
        self._lock = threading.Lock()
        self._spans: deque[SpanRecord] = deque(maxlen=max_spans)
        self._dropped = 0
        self._exports = 0

    def __repr__(self) -> str:
        with self._lock:
            held, dropped = len(self._spans), self._dropped
        return f"OtlpReceiver(url={self.url!r}, spans={held}, dropped={dropped})"

    # ---- control (any thread) ------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL: set a service's OTEL_EXPORTER_OTLP_ENDPOINT to it."""
        return f"http://{HOST}:{self.port}"

    @property
    def source(self) -> str:
        """Where the spans come from, as a check's detail names it."""
        return f"the OTLP receiver at {self.url}"

    @property
    def traces_url(self) -> str:
        """The traces endpoint (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or an exporter's endpoint)."""
        return self.url + TRACES_PATH

    def spans(self) -> list[SpanRecord]:
        """The spans received since start (or `clear`), oldest first; at most `max_spans`."""
        with self._lock:
            return list(self._spans)

    def clear(self) -> None:
        """Forget the spans received so far, and the count of dropped ones."""
        with self._lock:
            self._spans.clear()
            self._dropped = 0

    @property
    def dropped(self) -> int:
        """Spans received but not kept since start (or `clear`): the oldest, past `max_spans`."""
        with self._lock:
            return self._dropped

    @property
    def exports(self) -> int:
        """Export requests accepted since start."""
        with self._lock:
            return self._exports

    def _socket(self) -> socket.socket:
        return listen(
            HOST,
            self._requested_port,
            "choose another port for the OTLP receiver (field 'target.otlp_port')",
        )

    # ---- the event loop ------------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._serve(reader, writer)
        except (asyncio.CancelledError, ConnectionError, TimeoutError, h11.ProtocolError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Requests of one connection, kept alive as exporters expect, until it closes."""
        connection = h11.Connection(h11.SERVER)
        while True:
            head = await asyncio.wait_for(_next_event(connection, reader), READ_TIMEOUT_S)
            if not isinstance(head, h11.Request):
                return
            reply = self._refuse(head)
            if reply is None:
                if connection.they_are_waiting_for_100_continue:
                    writer.write(
                        connection.send(h11.InformationalResponse(status_code=100, headers=[]))
                    )
                body = await asyncio.wait_for(
                    _read_body(connection, reader, self.max_body_bytes), READ_TIMEOUT_S
                )
                reply = (
                    self._receive(head, body)
                    if body is not None
                    else _error(head, 413, f"request body over {self.max_body_bytes:,} bytes")
                )
            if connection.their_state is not h11.DONE:
                reply.close = True  # answered before the body was read: the rest is not read
            headers = [
                ("content-type", reply.content_type),
                ("content-length", str(len(reply.body))),
            ]
            if reply.close:
                headers.append(("connection", "close"))
            writer.write(connection.send(h11.Response(status_code=reply.status, headers=headers)))
            writer.write(connection.send(h11.Data(data=reply.body)))
            writer.write(connection.send(h11.EndOfMessage()))
            await writer.drain()
            if reply.close or connection.our_state is not h11.DONE:
                return
            connection.start_next_cycle()

    def _refuse(self, head: h11.Request) -> _Reply | None:
        """The reply to a request refused on its head alone (path, method, type, size)."""
        path = head.target.decode("latin-1").split("?", 1)[0]
        if path != TRACES_PATH:
            return _error(head, 404, f"no route {path}: OTLP traces go to POST {TRACES_PATH}")
        if head.method != b"POST":
            return _error(head, 405, f"{head.method.decode('latin-1')}: expected POST")
        if _media_type(head) not in (PROTOBUF, JSON):
            return _error(
                head,
                415,
                f"content type {_media_type(head) or 'none'!r}: expected {PROTOBUF} or {JSON}",
            )
        encoding = _header(head, b"content-encoding").lower()
        if encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
            return _error(
                head, 415, f"content encoding {encoding!r}: expected gzip, deflate or none"
            )
        declared = _header(head, b"content-length")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            return _error(head, 413, f"request body over {self.max_body_bytes:,} bytes")
        return None

    def _receive(self, head: h11.Request, body: bytes) -> _Reply:
        """Decode one export request and keep its spans."""
        encoding = _header(head, b"content-encoding").lower()
        try:
            if encoding not in ("", "identity"):
                body = _inflate(body, self.max_body_bytes)
            if _media_type(head) == PROTOBUF:
                spans = spans_from_protobuf(body)
            else:
                spans = spans_from_json(body)
        except _TooLarge:
            return _error(head, 413, f"request body over {self.max_body_bytes:,} bytes inflated")
        except ValueError as exc:
            return _error(head, 400, str(exc))
        with self._lock:
            room = self._spans.maxlen or 0
            self._dropped += max(0, len(self._spans) + len(spans) - room)
            self._spans.extend(spans)
            self._exports += 1
        if _media_type(head) == PROTOBUF:
            return _Reply(200, PROTOBUF, ExportTraceServiceResponse().SerializeToString())
        return _Reply(200, JSON, b"{}")


class _TooLarge(Exception):
    pass


async def _next_event(connection: h11.Connection, reader: asyncio.StreamReader) -> Any:
    """The next h11 event that is not a request for more data."""
    while True:
        event = connection.next_event()
        if event is not h11.NEED_DATA:
            return event
        connection.receive_data(await reader.read(65_536))


async def _read_body(
    connection: h11.Connection, reader: asyncio.StreamReader, limit: int
) -> bytes | None:
    """The request body, or None once it grows past `limit` (the rest is left unread)."""
    body = bytearray()
    while True:
        event = await _next_event(connection, reader)
        if isinstance(event, h11.Data):
            body += event.data
            if len(body) > limit:
                return None
        elif isinstance(event, h11.EndOfMessage):
            return bytes(body)
        elif isinstance(event, h11.ConnectionClosed):
            raise ConnectionError("the client closed the connection mid-request")


def _header(head: h11.Request, name: bytes) -> str:
    for key, value in head.headers:
        if key == name:
            return value.decode("latin-1").strip()
    return ""


def _media_type(head: h11.Request) -> str:
    return _header(head, b"content-type").split(";", 1)[0].strip().lower()


def _inflate(data: bytes, limit: int) -> bytes:
    """A gzip or zlib (HTTP `deflate`) body inflated, at most `limit` bytes, or _TooLarge."""
    inflated = bytearray()
    while data:
        inflater = zlib.decompressobj(wbits=47)  # 32 + 15: gzip or zlib header, detected
        try:
            inflated += inflater.decompress(data, limit + 1 - len(inflated))
        except zlib.error as exc:
            raise ValueError(f"the body is not valid gzip or deflate data ({exc})") from None
        if len(inflated) > limit or inflater.unconsumed_tail:
            raise _TooLarge
        if not inflater.eof:
            raise ValueError("the compressed body is cut off")
        data = inflater.unused_data  # gzip allows several members one after another
    return bytes(inflated)


def _error(head: h11.Request, status: int, message: str) -> _Reply:
    """An OTLP/HTTP error reply: a google.rpc.Status, in protobuf when the request was."""
    code = _GRPC_CODES.get(status, 2)
    if _media_type(head) == PROTOBUF:
        body = status_pb2.Status(code=code, message=message).SerializeToString()
        return _Reply(status, PROTOBUF, body)
    return _Reply(status, JSON, json.dumps({"code": code, "message": message}).encode())


def error_reason(content_type: str, body: bytes) -> str:
    """The message of an OTLP/HTTP error reply (a google.rpc.Status in protobuf or JSON)."""
    if content_type.split(";", 1)[0].strip().lower() == PROTOBUF:
        try:
            return status_pb2.Status.FromString(body).message
        except DecodeError:
            return body.decode("utf-8", errors="replace")
    try:
        return str(json.loads(body)["message"])
    except (ValueError, KeyError, TypeError):
        return body.decode("utf-8", errors="replace")
