"""A fault proxy of the project's own: an asyncio HTTP proxy on 127.0.0.1 that injects toxics.

Put it on one HTTP hop of a team's system (typically between their service and its model
endpoint: point the service's base URL at the proxy) and the same faults the reference system
injects at its stages reach their code unchanged. Toxics are named like toxiproxy's:

- `latency`: the response is held `latency_ms` (plus or minus `jitter_ms`) before it is sent.
- `timeout`: nothing comes back; the connection is closed after `timeout_ms` (0: after the
  proxy's hold limit, so a test run can never hang for good).
- `reset_peer`: the connection is reset (TCP RST) after `timeout_ms`.
- `limit_data`: only the first `bytes` of the response get through, then the connection closes.
- `status`: the proxy answers itself with a status code (429 with `Retry-After`, 5xx) and an
  error body; the upstream is not called.
- `malformed`: a 200 whose body is cut off mid-JSON; `body`: a 200 with a body of your choice
  (a well-formed completion of nonsense, for instance).

Every request gets a number since the toxics were last set; whether a toxic with `toxicity` below
1 strikes request `n` depends only on (seed, toxic name, n), so a run replays. Each connection
carries one request (`Connection: close`): simple to reason about, and every request the proxy
counts is one call the system made to its upstream. Responses are buffered, not streamed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import socket
import struct
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import h11
import httpx

from playbook.errors import PlaybookError
from playbook.loopback import BackgroundServer, listen

ToxicType = Literal["latency", "timeout", "reset_peer", "limit_data", "status", "malformed", "body"]
TOXIC_TYPES: tuple[str, ...] = ToxicType.__args__  # type: ignore[attr-defined]
LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_REQUEST_BYTES = 8 * 1024 * 1024
READ_TIMEOUT_S = 30.0
MAX_EVENTS = 10_000
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
MALFORMED_BODY = (
    b'{"id": "chatcmpl-f4u17", "object": "chat.completion", "choices": [{"index": 0, '
    b'"message": {"role": "assistant", "content": "The annual leave allowan'
)
ERROR_TYPES = {429: "rate_limit_error", 500: "server_error", 502: "bad_gateway"}


@dataclass(frozen=True)
class Toxic:
    """One toxic: what it does (`type`), to which share of requests, with its settings."""

    type: ToxicType
    toxicity: float = 1.0
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    timeout_ms: float = 0.0
    bytes: int = 0
    status: int = 503
    retry_after: float | None = None
    body: bytes | None = None
    content_type: str = "application/json"
    name: str = ""

    def __post_init__(self) -> None:
        if self.type not in TOXIC_TYPES:
            raise PlaybookError(f"toxic: field 'type': {self.type!r} is not one of {TOXIC_TYPES}")
        if not 0.0 <= self.toxicity <= 1.0:
            raise PlaybookError(f"toxic: field 'toxicity': {self.toxicity} is not between 0 and 1")
        for field in ("latency_ms", "jitter_ms", "timeout_ms", "bytes"):
            if getattr(self, field) < 0:
                raise PlaybookError(f"toxic: field '{field}': expected a value >= 0")
        if self.type == "status" and not 100 <= self.status <= 599:
            raise PlaybookError(f"toxic: field 'status': {self.status} is not an HTTP status")

    @property
    def label(self) -> str:
        """The toxic's name, or its type when unnamed."""
        return self.name or self.type

    def strikes(self, seed: int, number: int) -> bool:
        """Whether this toxic strikes request `number` (deterministic for a seed)."""
        if self.toxicity >= 1.0:
            return True
        if self.toxicity <= 0.0:
            return False
        return random.Random(f"{seed}:{self.label}:{number}").random() < self.toxicity


@dataclass(frozen=True)
class ProxyEvent:
    """One request through the proxy: which toxic struck it and what the client got."""

    number: int  # request number since the toxics were last set
    method: str
    path: str
    toxic: str | None  # the toxic that struck, None when it passed through untouched
    status: int | None  # status sent back; None when no response was sent
    seconds: float


@dataclass(frozen=True)
class _Request:
    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


class FaultProxy(BackgroundServer):
    """An HTTP proxy on loopback in a background thread; `start()`, `set_toxics(...)`, `stop()`."""

    description = "the fault proxy"
    thread_name = "fault-proxy"

    def __init__(
        self,
        upstream: str,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        upstream_timeout_s: float = 60.0,
        max_hold_s: float = 30.0,
    ) -> None:
        try:
            parsed = httpx.URL(upstream)
        except httpx.InvalidURL:
            parsed = None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
            raise PlaybookError(
                f"fault proxy: field 'upstream': {upstream!r} is not an http(s) URL "
                "(expected e.g. https://api.example.com/v1)"
            )
        if host not in LOOPBACK:
            raise PlaybookError(
                f"fault proxy: field 'host': {host!r} is not a loopback address "
                f"(expected one of {', '.join(LOOPBACK)})"
            )
        super().__init__()
        self.upstream = str(parsed).rstrip("/")
        self.host = host
        self.seed = seed
        self._requested_port = port
        self._upstream_timeout_s = upstream_timeout_s
        self._max_hold_s = max_hold_s
        self._lock = threading.Lock()
        self._toxics: tuple[Toxic, ...] = ()
        self._number = 0
        self._received = 0
        self._events: list[ProxyEvent] = []
        self._arrivals: list[str | None] = []  # toxic of each request, recorded on arrival
        self._arrivals_dropped = 0
        self._client: httpx.AsyncClient | None = None

    # ---- control (any thread) ------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The proxy's base URL; point the system's upstream setting at it."""
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}"

    def set_toxics(self, *toxics: Toxic) -> None:
        """Put toxics in force (the first that strikes a request wins) and restart numbering."""
        with self._lock:
            self._toxics = tuple(toxics)
            self._number = 0

    def clear_toxics(self) -> None:
        """Let every request through untouched."""
        self.set_toxics()

    @property
    def toxics(self) -> tuple[Toxic, ...]:
        """The toxics in force."""
        with self._lock:
            return self._toxics

    @property
    def received(self) -> int:
        """Requests received since the proxy started: the calls the system made upstream."""
        with self._lock:
            return self._received

    def toxics_since(self, index: int) -> list[str | None]:
        """The toxic (None: untouched) of every request received after the first `index`."""
        with self._lock:
            return self._arrivals[max(0, index - self._arrivals_dropped) :]

    def events(self) -> list[ProxyEvent]:
        """The most recent requests (at most 10,000), oldest first."""
        with self._lock:
            return list(self._events)

    def _socket(self) -> socket.socket:
        return listen(
            self.host,
            self._requested_port,
            "fault proxy: set another port in field 'target.fault_proxy.port'",
        )

    # ---- the event loop ------------------------------------------------------------------------

    async def _open(self, sock: socket.socket) -> None:
        loopback = httpx.URL(self.upstream).host in LOOPBACK
        # A loopback upstream must never be sent through a proxy named in the environment.
        self._client = httpx.AsyncClient(
            timeout=self._upstream_timeout_s, trust_env=not loopback, follow_redirects=False
        )
        await super()._open(sock)

    async def _close(self) -> None:
        await super()._close()
        if self._client is not None:
            await self._client.aclose()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._serve_one(reader, writer)
        except (asyncio.CancelledError, ConnectionError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        started = time.monotonic()
        connection = h11.Connection(h11.SERVER)
        try:
            request = await asyncio.wait_for(_read_request(connection, reader), READ_TIMEOUT_S)
        except (TimeoutError, h11.RemoteProtocolError, ValueError):
            return
        if request is None:
            return
        with self._lock:
            number = self._number
            self._number += 1
            self._received += 1
            toxic = next((t for t in self._toxics if t.strikes(self.seed, number)), None)
            # Recorded before answering: a caller that gave up early still sees the strike.
            self._arrivals.append(toxic.label if toxic else None)
            if len(self._arrivals) > MAX_EVENTS:
                self._arrivals_dropped += len(self._arrivals) - MAX_EVENTS
                del self._arrivals[:-MAX_EVENTS]

        def record(status: int | None) -> None:
            # Called before the last bytes leave, so a caller that has its reply sees the event.
            event = ProxyEvent(
                number,
                request.method,
                request.target,
                toxic.label if toxic else None,
                status,
                time.monotonic() - started,
            )
            with self._lock:
                self._events.append(event)
                del self._events[:-MAX_EVENTS]

        await self._respond(connection, request, toxic, writer, record)

    async def _respond(
        self,
        connection: h11.Connection,
        request: _Request,
        toxic: Toxic | None,
        writer: asyncio.StreamWriter,
        record: Callable[[int | None], None],
    ) -> None:
        kind = toxic.type if toxic else None
        if toxic is not None and kind == "timeout":
            hold = toxic.timeout_ms / 1000.0 or self._max_hold_s
            await asyncio.sleep(min(hold, self._max_hold_s))
            record(None)
            return
        if toxic is not None and kind == "reset_peer":
            await asyncio.sleep(toxic.timeout_ms / 1000.0)
            record(None)
            _reset(writer)
            return
        if toxic is not None and kind == "status":
            status, headers, body = _error_reply(toxic)
        elif toxic is not None and kind in ("malformed", "body"):
            default = MALFORMED_BODY if kind == "malformed" else b""
            body = default if toxic.body is None else toxic.body
            status, headers = 200, [("content-type", toxic.content_type)]
        else:
            status, headers, body = await self._forward(request)
        data = _serialise(connection, status, headers, body)
        if toxic is not None and kind == "latency":
            spread = random.Random(f"{self.seed}:jitter:{time.monotonic_ns()}").uniform(-1, 1)
            delay = max(0.0, toxic.latency_ms + spread * toxic.jitter_ms) / 1000.0
            await asyncio.sleep(delay)
        if toxic is not None and kind == "limit_data":
            record(None)
            writer.write(data[: toxic.bytes])
            await writer.drain()
            return
        record(status)
        writer.write(data)
        await writer.drain()

    async def _forward(self, request: _Request) -> tuple[int, list[tuple[str, str]], bytes]:
        assert self._client is not None  # set in _open before the server accepts anything
        headers = [(k, v) for k, v in request.headers if k.lower() not in HOP_BY_HOP]
        outgoing = self._client.build_request(
            request.method, self.upstream + request.target, headers=headers, content=request.body
        )
        try:
            response = await self._client.send(outgoing, stream=True)
            try:
                body = b"".join([chunk async for chunk in response.aiter_raw()])
            finally:
                await response.aclose()
        except httpx.TimeoutException:
            return _proxy_error(504, "the upstream did not answer in time")
        except httpx.HTTPError as exc:
            return _proxy_error(502, f"cannot reach the upstream ({type(exc).__name__})")
        kept = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in HOP_BY_HOP]
        return response.status_code, kept, body


async def _read_request(
    connection: h11.Connection, reader: asyncio.StreamReader
) -> _Request | None:
    """The one request of a connection, body included; None when the client sent nothing."""
    head: h11.Request | None = None
    body = bytearray()
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            connection.receive_data(await reader.read(65_536))
            continue
        if isinstance(event, h11.Request):
            head = event
        elif isinstance(event, h11.Data):
            body += event.data
            if len(body) > MAX_REQUEST_BYTES:
                raise ValueError("request body too large")
        elif isinstance(event, h11.EndOfMessage):
            break
        elif isinstance(event, h11.ConnectionClosed):
            return None
    assert head is not None  # h11 yields the Request before its Data and EndOfMessage
    headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in head.headers)
    return _Request(head.method.decode(), head.target.decode("latin-1"), headers, bytes(body))


def _serialise(
    connection: h11.Connection, status: int, headers: Sequence[tuple[str, str]], body: bytes
) -> bytes:
    """The full response as bytes, with a length and `Connection: close`."""
    fields = [*headers, ("content-length", str(len(body))), ("connection", "close")]
    return (
        connection.send(h11.Response(status_code=status, headers=fields))
        + connection.send(h11.Data(data=body))
        + connection.send(h11.EndOfMessage())
    )


def _error_reply(toxic: Toxic) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [("content-type", toxic.content_type)]
    if toxic.retry_after is not None:
        headers.append(("retry-after", f"{toxic.retry_after:g}"))
    if toxic.body is not None:
        return toxic.status, headers, toxic.body
    kind = ERROR_TYPES.get(toxic.status, "server_error" if toxic.status >= 500 else "error")
    message = {"message": f"injected {toxic.status} by the fault proxy", "type": kind}
    return toxic.status, headers, json.dumps({"error": message}).encode()


def _proxy_error(status: int, message: str) -> tuple[int, list[tuple[str, str]], bytes]:
    body = json.dumps({"error": {"message": f"fault proxy: {message}", "type": "proxy_error"}})
    return status, [("content-type", "application/json")], body.encode()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with an RST instead of a FIN: a zero linger time makes the kernel reset."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
