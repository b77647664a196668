"""`playbook serve`: the reference system as an HTTP service on loopback, with bearer-token auth.

Routes: `POST /v1/ask`, `POST /v1/ask/stream` (the same answer as Server-Sent Events),
`GET /v1/history`, `GET /metrics` (Prometheus text), `GET /healthz`.

Choices a client can rely on:

- Every Answer the system gives is HTTP 200, whatever its status: the body's `status` carries ok,
  degraded, refused or error, and on the prototype a raw failure reaches the caller as the answer
  text, which is the gap the playbook measures. The HTTP layer itself never leaks: a body over
  16 KiB is 413, a body that is not JSON is 400, a JSON body without a string `question` is 422,
  an unknown route is 404, an unexpected exception is 500 `{"error": "internal error",
  "trace_id": ...}` with no stack trace, all as JSON, in both profiles.
- Authentication is checked before the body is read. With the `authentication` switch on, a missing
  or unknown token is 401 `{"error": "unauthorised"}`; with it off, anyone is served and a caller
  without a known token is the anonymous user (None). `/healthz` and `/metrics` are open, as a
  load balancer and a Prometheus scraper expect.
- `/v1/ask/stream` takes the same body and gives the same errors, as JSON before any event. Its
  reply is `text/event-stream`: `token` events whose data is `{"text": "<a few words>"}`, then one
  `done` event whose data is the document `/v1/ask` would return. The system answers in one step
  (extractive), so the first token leaves after retrieval and extraction, as the answer does.
- History is whatever `system.history(caller)` returns: the caller's own queries with the
  `user_history` switch on, everyone's without it.
- Tokens are never logged: the access log has no headers, and the traceback of an unexpected error
  is logged with the caller's token replaced.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import re
import signal
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h11
import uvicorn
from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.protocols.http.h11_impl import H11Protocol

from playbook.loopback import listen
from playbook.safe_files import FileProblem, parse_json

if TYPE_CHECKING:
    from playbook.reference.settings import ReferenceSettings
    from playbook.reference.system import ReferenceSystem

MAX_BODY_BYTES = 16 * 1024
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LOGGER_NAME = "playbook.serve"
REDACTED = "[redacted]"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
SSE_CONTENT_TYPE = "text/event-stream"
WORDS_PER_TOKEN = 4  # words per `token` event of /v1/ask/stream
_WORD_START = re.compile(r"(?<=\s)(?=\S)")
STREAM_EXAMPLE = (  # what /v1/ask/stream sends, for the OpenAPI description
    'event: token\ndata: {"text": "Every employee receives 25 "}\n\n'
    'event: token\ndata: {"text": "days of annual leave."}\n\n'
    'event: done\ndata: {"answer": "Every employee receives 25 days of annual leave.", '
    '"sources": [{"id": "HB-001"}], "status": "ok", '
    '"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "timings": {"retrieve": 0.002}}\n\n'
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class AskRequest(BaseModel):
    """The body of `POST /v1/ask`; other fields are ignored, as most APIs do."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    # Documented for clients: text the service can store and echo (`unstorable_text` enforces
    # it with a message saying which characters).
    question: str = Field(
        json_schema_extra={"pattern": "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f]*$"}
    )


class SourceRef(BaseModel):
    """One cited document."""

    model_config = ConfigDict(frozen=True)

    id: str


class AskResponse(BaseModel):
    """The reply of `POST /v1/ask`: the Answer as the caller sees it."""

    model_config = ConfigDict(frozen=True)

    answer: str
    sources: list[SourceRef]
    status: str
    trace_id: str
    timings: dict[str, float]


class StreamToken(BaseModel):
    """The data of a `token` event of `POST /v1/ask/stream`: the next words of the answer."""

    model_config = ConfigDict(frozen=True)

    text: str


class FieldProblem(BaseModel):
    """One field of a request that was refused, and why."""

    field: str
    problem: str


class ErrorBody(BaseModel):
    """Every error the service answers: a sentence, the fields at fault, a trace id on a 500."""

    error: str
    fields: list[FieldProblem] | None = None
    trace_id: str | None = None


class HistoryItem(BaseModel):
    """One question someone asked and what they were told."""

    user: str | None
    question: str
    answer: str
    status: str
    sources: list[str]
    time: str


class HistoryReply(BaseModel):
    """The reply of `GET /v1/history`."""

    entries: list[HistoryItem]


def _stream_event_schema() -> dict[str, Any]:
    """The schema of one event of `/v1/ask/stream` (Open API 3.1: `schema` describes an event)."""

    def event(name: str, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["event", "data"],
            "properties": {
                "event": {"const": name},
                "data": {
                    "type": "string",
                    "contentMediaType": "application/json",
                    "contentSchema": data,
                },
            },
        }

    return {
        "oneOf": [
            event("token", StreamToken.model_json_schema()),
            event("done", {"$ref": "#/components/schemas/AskResponse"}),
        ]
    }


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The documented error replies of a route (every one is an `ErrorBody`)."""
    return {status: {"model": ErrorBody} for status in statuses}


class _Unauthorised(Exception):
    pass


class _BadRequest(Exception):
    def __init__(self, status: int, payload: dict[str, Any]) -> None:
        super().__init__(payload["error"])
        self.status = status
        self.payload = payload


def new_trace_id() -> str:
    """A W3C-sized trace id (32 hex digits) for a response the system gave none."""
    return uuid.uuid4().hex


def bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, token = (header or "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


async def _send_json(send: Send, status: int, payload: dict[str, Any], trace_id: str = "") -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if trace_id:
        headers.append((b"x-trace-id", trace_id.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse request bodies over `limit` bytes with 413, declared or streamed, before any parsing.

    The body is read here (it is small by construction) and replayed to the application, so a
    chunked upload cannot slip past a Content-Length check.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = {"error": f"request body over {self.limit} bytes"}
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _send_json(send, 413, too_large)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await _send_json(send, 413, too_large)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)


class InternalErrorGuard:
    """Turn any unexpected exception into 500 JSON with a trace id; log it without the token."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            trace_id = new_trace_id()
            text = "".join(traceback.format_exception(exc))
            authorization = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
            for secret in {authorization, bearer_token(authorization) or ""} - {""}:
                text = text.replace(secret, REDACTED)
            logging.getLogger(LOGGER_NAME).error(
                "unhandled %s on %s %s trace_id=%s\n%s",
                type(exc).__name__,
                scope.get("method"),
                scope.get("path"),
                trace_id,
                text,
            )
            if not started:
                await _send_json(
                    send, 500, {"error": "internal error", "trace_id": trace_id}, trace_id
                )


def _history_item(entry: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(entry) and not isinstance(entry, type):
        return jsonable_encoder(dataclasses.asdict(entry))
    return jsonable_encoder(entry)


def create_app(system: ReferenceSystem) -> FastAPI:
    """The HTTP API over one reference system (routes and error shapes in the module docstring)."""
    # The interactive docs pages load their scripts from a CDN, which is not reachable offline.
    app = FastAPI(title="gap-playbook reference system", docs_url=None, redoc_url=None)
    app.state.system = system

    def caller(request: Request) -> str | None:
        token = bearer_token(request.headers.get("authorization"))
        user = system.authenticate(token) if token else None
        if user is None and system.hardening.authentication:
            raise _Unauthorised()
        return user

    @app.exception_handler(_Unauthorised)
    async def unauthorised(request: Request, exc: _Unauthorised) -> JSONResponse:
        return JSONResponse(
            {"error": "unauthorised"}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )

    @app.exception_handler(_BadRequest)
    async def bad_request(request: Request, exc: _BadRequest) -> JSONResponse:
        return JSONResponse(exc.payload, status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"error": str(exc.detail).lower()}, status_code=exc.status_code, headers=exc.headers
        )

    # The body is read by hand (its errors have the service's own shape): the schema says what
    # it must be, so clients and property-based tests know.
    request_body = {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": AskRequest.model_json_schema()}},
        }
    }

    async def answered(request: Request, user: str | None) -> tuple[AskResponse, dict[str, str]]:
        """The reply to a request's question and its headers; bad input raises, as JSON."""
        question = _read_question(await request.body())
        answer = await run_in_threadpool(system.ask, question, user)
        trace_id = answer.trace_id or new_trace_id()
        timings = {name: float(seconds) for name, seconds in answer.timings.items()}
        reply = AskResponse(
            answer=answer.text,
            sources=[SourceRef(id=source) for source in answer.sources],
            status=answer.status,
            trace_id=trace_id,
            timings=timings,
        )
        server_timing = ", ".join(
            f"{name};dur={seconds * 1000:.3f}" for name, seconds in timings.items()
        )
        headers = {"X-Trace-Id": trace_id}
        if server_timing:
            headers["Server-Timing"] = server_timing
        return reply, headers

    @app.post(
        "/v1/ask",
        response_model=AskResponse,
        responses=_errors(400, 401, 413, 422, 500),
        openapi_extra=request_body,
    )
    async def ask(request: Request, user: str | None = Depends(caller)) -> JSONResponse:
        """The system's answer to a question, as the caller may see it."""
        reply, headers = await answered(request, user)
        return JSONResponse(reply.model_dump(), headers=headers)

    @app.post(
        "/v1/ask/stream",
        response_class=StreamingResponse,
        responses={
            200: {
                "description": "Server-Sent Events: `token` events, then one `done` event",
                "content": {
                    SSE_CONTENT_TYPE: {"schema": _stream_event_schema(), "example": STREAM_EXAMPLE}
                },
            },
            **_errors(400, 401, 413, 422, 500),
        },
        openapi_extra=request_body,
    )
    async def ask_stream(request: Request, user: str | None = Depends(caller)) -> StreamingResponse:
        """The answer of `POST /v1/ask` as Server-Sent Events: `token` events whose data is
        `{"text": "<chunk>"}` (the chunks joined are the answer), then one `done` event whose
        data is the `AskResponse` document `/v1/ask` returns. Errors are JSON, before any event.
        """
        reply, headers = await answered(request, user)
        # A plain StreamingResponse, not sse-starlette: the stream is a few events written at
        # once, with no keep-alive pings or reconnection to manage.
        return StreamingResponse(
            answer_events(reply),
            media_type=SSE_CONTENT_TYPE,
            headers={**headers, "Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.get("/v1/history", response_model=HistoryReply, responses=_errors(401, 500))
    def history(user: str | None = Depends(caller)) -> JSONResponse:
        return JSONResponse({"entries": [_history_item(entry) for entry in system.history(user)]})

    @app.get("/metrics", response_class=PlainTextResponse)
    def metrics() -> PlainTextResponse:
        return PlainTextResponse(system.metrics_text(), media_type=METRICS_CONTENT_TYPE)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    # Added last so it wraps everything, the body limit included.
    app.add_middleware(BodyLimit)
    app.add_middleware(InternalErrorGuard)
    return app


def sse_event(name: str, data: Any) -> bytes:
    """One Server-Sent Event: `data` as one line of JSON (newlines in strings are escaped)."""
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def word_groups(text: str, size: int = WORDS_PER_TOKEN) -> list[str]:
    """`text` in pieces of `size` words (with the spaces after them) that join back to `text`."""
    words = _WORD_START.split(text) if text else []
    return ["".join(words[start : start + size]) for start in range(0, len(words), size)]


async def answer_events(reply: AskResponse) -> AsyncIterator[bytes]:
    """The event stream of one reply: its text in word groups, then the whole document."""
    for chunk in word_groups(reply.answer):
        yield sse_event("token", StreamToken(text=chunk).model_dump())
    yield sse_event("done", reply.model_dump())


def _read_question(body: bytes) -> str:
    try:
        payload = parse_json(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise _BadRequest(400, {"error": "request body is not UTF-8 JSON"}) from None
    except FileProblem as exc:
        raise _BadRequest(400, {"error": f"request body is not valid JSON: {exc}"}) from None
    try:
        question = AskRequest.model_validate(payload).question
    except ValidationError as exc:
        fields = [
            {
                "field": ".".join(str(part) for part in error["loc"]) or "(body)",
                "problem": error["msg"],
            }
            for error in exc.errors(include_input=False, include_url=False)
        ]
        raise _BadRequest(
            422, {"error": 'expected a JSON object {"question": "<text>"}', "fields": fields}
        ) from None
    problem = unstorable_text(question)
    if problem:
        raise _BadRequest(
            422,
            {
                "error": "the question cannot be stored or shown back",
                "fields": [{"field": "question", "problem": problem}],
            },
        )
    return question


def unstorable_text(text: str) -> str | None:
    """Why text cannot be kept in a history and echoed as JSON (None when it can)."""
    if any("\ud800" <= char <= "\udfff" for char in text):
        return "it holds a lone surrogate, which is not Unicode text"
    control = sorted({f"U+{ord(c):04X}" for c in text if ord(c) < 32 and c not in "\t\n\r"})
    if control:
        return f"it holds control characters ({', '.join(control[:4])})"
    return None


class JsonErrorProtocol(H11Protocol):
    """uvicorn's h11 protocol, answering a malformed HTTP request in JSON like every other error."""

    def send_400_response(self, msg: str) -> None:
        body = json.dumps({"error": "malformed HTTP request"}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        self.transport.write(self.conn.send(h11.Response(status_code=400, headers=headers)))
        self.transport.write(self.conn.send(h11.Data(data=body)))
        self.transport.write(self.conn.send(h11.EndOfMessage()))
        self.transport.close()


def _stop_on_sigterm() -> None:
    """SIGTERM stops serving like Ctrl+C, so the store's temporary folder is removed: uvicorn
    re-raises the signal after its graceful shutdown, and the default action would kill the
    process before any cleanup."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)


def _server(app: FastAPI, access_log: bool, configure_logging: bool) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        http=JsonErrorProtocol,
        log_level="info",
        access_log=access_log,
        server_header=False,
        # A notebook kernel's logging must not be reconfigured by a server started inside it.
        **({} if configure_logging else {"log_config": None}),
        timeout_graceful_shutdown=5,
    )
    return uvicorn.Server(config)


@dataclass
class RunningServer:
    """A server running in a background thread; `stop()` (or leaving the `with`) ends it."""

    url: str
    system: ReferenceSystem
    _server: uvicorn.Server
    _thread: threading.Thread

    def stop(self, timeout_s: float = 10.0) -> None:
        """Ask the server to exit and wait for its thread, at most `timeout_s`."""
        self._server.should_exit = True
        self._thread.join(timeout_s)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_server(
    system: ReferenceSystem,
    host: str = "127.0.0.1",
    port: int = 0,
    access_log: bool = False,
    timeout_s: float = 10.0,
) -> RunningServer:
    """Serve `system` from a background thread (port 0: a free one); returns once it accepts."""
    sock = listen(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    server = _server(create_app(system), access_log, configure_logging=False)
    thread = threading.Thread(
        target=server.run,
        kwargs={"sockets": [sock]},
        name=f"playbook-serve-{bound_port}",
        daemon=True,
    )
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    if not server.started:
        server.should_exit = True
        thread.join(timeout_s)
        sock.close()
        raise RuntimeError(f"the reference server did not start within {timeout_s:g} s")
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    return RunningServer(f"http://{shown}:{bound_port}", system, server, thread)


def serve(
    settings: ReferenceSettings,
    host: str = "127.0.0.1",
    port: int = 8080,
    name: str = "the reference system",
) -> None:
    """Build the reference system, ingest its data and serve it until interrupted.

    The store lives in a temporary folder, removed at the end, unless `settings.workdir` is set.
    `name` is how the start-up line calls it (`reference:production`).
    """
    from playbook.reference.system import ReferenceSystem

    sock = listen(host, port)
    try:
        with tempfile.TemporaryDirectory(prefix="playbook-serve-") as scratch:
            workdir = settings.workdir if settings.workdir else Path(scratch)
            system = ReferenceSystem(settings.but(workdir=workdir))
            try:
                system.ingest()
                profile = system.hardening.profile
                if not system.hardening.authentication and host not in LOOPBACK:
                    logging.getLogger(LOGGER_NAME).warning(
                        "serving %s without authentication on %s: anyone who reaches it is served",
                        profile,
                        host,
                    )
                server = _server(create_app(system), access_log=True, configure_logging=True)
                # uvicorn names no address when handed a socket; its logger is configured by now.
                shown = f"[{host}]" if ":" in host else host
                logging.getLogger("uvicorn.error").info(
                    "Serving %s on http://%s:%d (press CTRL+C to quit)",
                    name,
                    shown,
                    sock.getsockname()[1],
                )
                _stop_on_sigterm()
                with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C is how serving stops
                    server.run(sockets=[sock])
            finally:
                system.close()
    finally:
        sock.close()
