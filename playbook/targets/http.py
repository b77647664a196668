"""A team's own question-answering API over HTTP, measured through a field mapping, without code.

How the adapter behaves where a choice had to be made:

- The request body is the engagement's template with `{question}` and `{user}` filled in. A string
  that is exactly one placeholder becomes the value itself (so `"{user}"` is `null` for an anonymous
  call); placeholders inside longer strings are substituted as text.
- Response fields are found by JMESPath expressions: dotted keys, `[*]` over lists, `[N]` for one
  item (`result.refs[*].doc`, `choices[0].message.content`). A missing answer field on a 2xx
  response is an error Answer whose `error` names the engagement field to fix; missing sources
  mean none.
- Without a status mapping the HTTP status decides: 2xx is `ok`. With one, the playbook's statuses
  are taken as they are, a few common synonyms are translated, and anything else counts as `ok`.
- A target that is down, times out, answers non-2xx or sends a body that is not JSON gives
  `Answer(status="error")`: `text` is what a user of that API would be shown (the answer field when
  the body has one, else the raw body, else nothing) and `error` is the reason. `ask` never raises
  for anything the target does.
- Tokens are read from the environment at each call and never kept. A user listed in
  `auth.token_env` whose variable is unset or empty is a configuration mistake, not a property of
  the target: `ask` for that user raises PlaybookError naming the field and the variable, so no
  check can score a run of failed logins as a measurement. Users not listed, and `user=None`, are
  sent without credentials (the anonymous caller that access checks need).
- `timings["total"]` is measured here, from send to parsed response. Server-side stages come from a
  top-level `timings` object of seconds, or from a standard `Server-Timing` header (milliseconds);
  a server's own total is kept as `server_total`.
- With `target.http.stream` set, the question goes to the stream URL and the answer is read as it
  arrives: Server-Sent Events (text chunks at `delta` in each event's JSON data, the final reply
  in the `done_event`, mapped like a whole reply, or a `data: [DONE]` line), or a chunked plain
  text body. `timings["first_token"]` is the seconds from send to the first non-empty chunk (to
  the final reply, when it alone carries the text). A stream that breaks off or ends before it
  says it is done, an `error` event, or an event that cannot be read is an error Answer whose
  `text` is what had arrived and whose `error` says what happened. A 2xx reply to an SSE request
  that is not `text/event-stream` is an error too: the stream settings point at the wrong place.
- One request builder and one reply mapping (`Exchange`), two clients: `ask` sends with httpx;
  `capability(AsyncAnswers)` gives an aiohttp client for many requests from one asyncio loop.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import re
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import jmespath
from jmespath.exceptions import JMESPathError

from playbook.engagement import ENGAGEMENT_FILE, Engagement, HttpStream
from playbook.engagement import HttpTarget as HttpTargetConfig
from playbook.errors import PlaybookError
from playbook.faultproxy import FaultProxy
from playbook.targets.base import ANSWER_STATUSES, Answer, AnswerStatus
from playbook.targets.capabilities import AsyncAnswers, AuthProbe, FaultInjection, History
from playbook.targets.declared import Declared
from playbook.targets.http_access import HttpAuthProbe, HttpHistory
from playbook.targets.proxied_faults import ProxyFaults
from playbook.targets.spec import parse_spec

REDACTED = "[redacted]"
SSE_MEDIA_TYPE = "text/event-stream"
STATUS_SYNONYMS: dict[str, AnswerStatus] = {
    "success": "ok",
    "succeeded": "ok",
    "answered": "ok",
    "partial": "degraded",
    "fallback": "degraded",
    "refusal": "refused",
    "declined": "refused",
    "unanswerable": "refused",
    "no_answer": "refused",
    "denied": "refused",
    "forbidden": "refused",
    "blocked": "refused",
    "failed": "error",
    "failure": "error",
}
_PLACEHOLDER = re.compile(r"\{(question|user)\}")
_PROJECTIONS = ("[*]", "[]", ".*", "[?")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class FieldPath:
    """A response field path: a JMESPath expression such as `result.refs[*].doc`."""

    text: str
    expression: jmespath.parser.ParsedResult

    @property
    def many(self) -> bool:
        """Whether the path projects over a list (`[*]`, `[]`, `.*` or a filter)."""
        return any(mark in self.text for mark in _PROJECTIONS)

    def find(self, document: Any) -> list[Any]:
        """Every value the path reaches in `document`; empty when any step is missing."""
        value = self.expression.search(document)
        if value is None:
            return []
        return list(value) if self.many and isinstance(value, list) else [value]


def parse_field_path(text: str, field: str = "target.http.response") -> FieldPath:
    """Parse a JMESPath field path; a malformed one is a PlaybookError naming `field`."""
    # JMESPath, not a hand parser: the syntax teams already know from AWS CLI and Ansible.
    try:
        return FieldPath(text, jmespath.compile(text or ""))
    except JMESPathError:
        raise PlaybookError(
            f"{ENGAGEMENT_FILE}: field '{field}': cannot read path {text!r} "
            "(expected a JMESPath such as 'result.refs[*].doc' or 'choices[0].message.content')"
        ) from None


def render_request(template: Any, question: str, user: str | None) -> Any:
    """The request body: the template with `{question}` and `{user}` filled in at any depth."""
    values = {"question": question, "user": user}
    if isinstance(template, str):
        whole = _PLACEHOLDER.fullmatch(template)
        if whole:
            return values[whole.group(1)]
        # One pass, so a question that contains "{user}" is sent as written.
        return _PLACEHOLDER.sub(lambda match: values[match.group(1)] or "", template)
    if isinstance(template, Mapping):
        return {key: render_request(value, question, user) for key, value in template.items()}
    if isinstance(template, list):
        return [render_request(value, question, user) for value in template]
    return template


def coerce_status(value: Any) -> AnswerStatus:
    """The playbook status for a status value found in a response."""
    if isinstance(value, bool):
        return "ok" if value else "error"
    text = str(value).strip().lower()
    if text in ANSWER_STATUSES:
        return text  # type: ignore[return-value]  # checked against the literal's values
    return STATUS_SYNONYMS.get(text, "ok")


def coerce_sources(values: list[Any]) -> tuple[str, ...]:
    """Source ids from matched values: strings, numbers, `{"id": ...}` objects, or lists of them."""
    ids: list[str] = []
    for value in values:
        if isinstance(value, list):
            ids.extend(coerce_sources(value))
        elif isinstance(value, Mapping) and "id" in value:
            ids.append(str(value["id"]))
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            ids.append(str(value))
        elif value is not None:
            ids.append(json.dumps(value, sort_keys=True))
    return tuple(ids)


def server_timings(document: Any, headers: httpx.Headers) -> dict[str, float]:
    """Server-side stage timings in seconds, from a `timings` object or a Server-Timing header."""
    timings: dict[str, float] = {}
    for entry in headers.get_list("server-timing", split_commas=True):
        name, *params = (part.strip() for part in entry.split(";"))
        for param in params:
            key, _, number = param.partition("=")
            if key.strip().lower() == "dur" and name:
                with contextlib.suppress(ValueError):  # a malformed header entry is skipped
                    timings[name] = float(number.strip().strip('"')) / 1000.0
    body = document.get("timings") if isinstance(document, Mapping) else None
    if isinstance(body, Mapping):
        for name, seconds in body.items():
            if isinstance(seconds, int | float) and not isinstance(seconds, bool):
                timings[str(name)] = float(seconds)
    if "total" in timings:
        timings["server_total"] = timings.pop("total")
    return timings


class HttpMapping:
    """One target's request template, auth and reply mapping, read once from its configuration.

    `start` makes the Exchange of one question; every client of the target (the synchronous
    httpx client of `HttpTarget.ask`, the asyncio client of `AsyncHttpClient`) goes through it,
    so requests and answers are the same whichever client sends them.
    """

    def __init__(self, url: str, config: HttpTargetConfig, source: str) -> None:
        self.url = url
        self.config = config
        self.source = source
        response = config.response
        self.answer_path = self._path(response.answer, "response.answer")
        self.sources_path = self._optional_path(response.sources, "response.sources")
        self.status_path = self._optional_path(response.status, "response.status")
        self.trace_path = self._optional_path(response.trace_id, "response.trace_id")
        self.stream = config.stream
        self.stream_url: str | None = None
        self.delta_path: FieldPath | None = None
        named = {name.lower() for name in config.headers}
        self.headers: dict[str, str] = {}
        if "content-type" not in named:
            self.headers["Content-Type"] = "application/json"
        if config.stream is not None:
            self.stream_url = self._stream_url(config.stream.url)
            self.delta_path = self._path(config.stream.delta, "stream.delta")
            if config.stream.format == "sse" and "accept" not in named:
                self.headers["Accept"] = SSE_MEDIA_TYPE

    def _path(self, text: str, name: str) -> FieldPath:
        try:
            return parse_field_path(text, f"target.http.{name}")
        except PlaybookError as exc:
            raise PlaybookError(str(exc).replace(ENGAGEMENT_FILE, self.source, 1)) from None

    def _optional_path(self, text: str | None, name: str) -> FieldPath | None:
        return None if text is None else self._path(text, name)

    def _stream_url(self, url: str | None) -> str:
        base = httpx.URL(self.url)
        try:
            joined = (
                base.join(url) if url else base.copy_with(path=base.path.rstrip("/") + "/stream")
            )
        except httpx.InvalidURL:
            joined = None
        if joined is None or not joined.host or joined.scheme not in ("http", "https"):
            raise PlaybookError(
                f"{self.source}: field 'target.http.stream.url': cannot post to {url!r} "
                "(expected http://host:port/path, or a path on target.spec's host such as "
                "/v1/ask/stream)"
            )
        return str(joined)

    def start(self, question: str, user: str | None) -> Exchange:
        """The exchange that asks `question` as `user`; an unset token variable raises."""
        return Exchange(self, question, user)

    def token(self, user: str | None) -> str | None:
        """`user`'s token, read from the environment now; None for users without one."""
        auth = self.config.auth
        if auth is None or user is None or user not in auth.token_env:
            return None
        variable = auth.token_env[user]
        token = os.environ.get(variable, "")
        if not token:
            raise PlaybookError(
                f"{self.source}: field 'target.http.auth.token_env.{user}': environment "
                f"variable {variable} is not set (expected {user}'s API token in it)"
            )
        return token

    def credentials(self, user: str | None) -> tuple[dict[str, str], dict[str, str]]:
        """The headers (this mapping's and the credential) and query parameters that make a
        request as `user`."""
        headers, params = dict(self.headers), {}
        token, auth = self.token(user), self.config.auth
        if token is not None and auth is not None:
            if auth.query_param:
                params[auth.query_param] = token
            else:
                headers[auth.header] = f"{auth.scheme} {token}" if auth.scheme else token
        return headers, params

    def refused_credentials(self, status: int, user: str | None, token: str | None) -> str:
        """What to check when the target answers 401 or 403: never the token, always where it
        was sent and which variable it came from."""
        auth = self.config.auth
        who = f"user {user}" if user else "an anonymous caller"
        if token is None or auth is None:
            listed = sorted(auth.token_env) if auth else []
            return (
                f"HTTP {status}: no credentials were sent for {who}; name its token variable in "
                f"{self.source} field 'target.http.auth.token_env' (users with tokens: "
                f"{', '.join(listed) or 'none'})"
            )
        where = (
            f"query parameter '{auth.query_param}'"
            if auth.query_param
            else f"header '{auth.header}'"
            + (f" with scheme '{auth.scheme}'" if auth.scheme else "")
        )
        variable = auth.token_env.get(user or "", "?")
        return (
            f"HTTP {status}: the target refused the credentials of {who}, sent in {where} from "
            f"${variable}; check that the variable holds a valid token and that "
            f"target.http.auth in {self.source} names the header (or query_param) and scheme "
            "the API expects"
        )

    def trace_id(self, document: Any, headers: httpx.Headers) -> str | None:
        """The trace id at the mapped path, else from `X-Trace-Id` or `traceparent`."""
        if self.trace_path is not None:
            values = self.trace_path.find(document)
            if values and values[0] is not None:
                return str(values[0])
        if headers.get("x-trace-id"):
            return headers["x-trace-id"]
        parts = headers.get("traceparent", "").split("-")
        return parts[1] if len(parts) == 4 else None

    def answer(
        self,
        text: str,
        document: Any,
        timings: dict[str, float],
        trace_id: str | None,
        token: str | None,
    ) -> Answer:
        """The Answer of a reply that succeeded: `text`, and sources and status from `document`."""
        sources = ()
        if self.sources_path is not None and document is not None:
            sources = coerce_sources(self.sources_path.find(document))
        status: AnswerStatus = "ok"
        if self.status_path is not None and document is not None:
            values = self.status_path.find(document)
            if values and values[0] is not None:
                status = coerce_status(values[0])
        return Answer(
            text=_redact(text, token),
            sources=sources,
            status=status,
            timings=timings,
            trace_id=trace_id,
        )


class Exchange:
    """One question's trip, without the I/O: the request to send, then whatever arrives, read
    into an Answer. A client posts `content` with `headers` and `params` to `url`, then calls
    `head` with the status and headers; when it says the body streams, the client `feed`s the
    body's bytes as they come and ends with `streamed`, otherwise it hands the whole body to
    `reply`. Anything it raises on the way goes to `failed`.
    """

    def __init__(self, mapping: HttpMapping, question: str, user: str | None) -> None:
        self.mapping = mapping
        self.user = user
        self.token = mapping.token(user)
        self.url = mapping.stream_url or mapping.url
        self.headers, self.params = mapping.credentials(user)
        self.content = _json_bytes(render_request(mapping.config.request, question, user))
        self.status: int | None = None
        self.reason = ""
        self.reply_headers = httpx.Headers()
        self.reader: StreamReader | None = None
        self.started = time.perf_counter()

    def head(self, status: int, reason: str, headers: Mapping[str, str]) -> bool:
        """The reply's status and headers arrived: True when its body is to be read as a stream
        (fed to `feed`), False when it is to be read whole (and handed to `reply`)."""
        self.status, self.reason = status, reason
        self.reply_headers = httpx.Headers(headers)
        stream = self.mapping.stream
        if stream is None or not 200 <= status < 300:
            return False
        media_type = self.reply_headers.get("content-type", "").split(";")[0].strip().lower()
        if stream.format == "sse" and media_type != SSE_MEDIA_TYPE:
            return False
        assert self.mapping.delta_path is not None  # set with the stream settings
        self.reader = StreamReader(
            stream, self.mapping.delta_path, self.started, self.mapping.config.timeout_s
        )
        return True

    def feed(self, data: bytes) -> bool:
        """The next bytes of a streamed body; True once no more are needed (done, or broken)."""
        assert self.reader is not None, "feed() follows a head() that said the body streams"
        return self.reader.feed(data)

    def _timings(self, document: Any) -> dict[str, float]:
        return {
            **server_timings(document, self.reply_headers),
            "total": time.perf_counter() - self.started,
        }

    def reply(self, body: bytes) -> Answer:
        """The Answer for a whole reply body (a JSON document, or the target's failure)."""
        mapping, token, status = self.mapping, self.token, self.status or 0
        raw = _decode(body, self.reply_headers)
        try:
            document, parsed = json.loads(raw), True
        except ValueError:
            document, parsed = None, False
        timings = self._timings(document)
        trace_id = mapping.trace_id(document, self.reply_headers)
        found = mapping.answer_path.find(document) if parsed else []
        text = _as_text(found[0]) if found else None
        if status in (401, 403):
            reason = mapping.refused_credentials(status, self.user, token)
            return _failed(text or raw, reason, token, timings, trace_id)
        if not 200 <= status < 300:
            reason = f"HTTP {status} {self.reason}".strip()
            if status == 404:
                where = "target.http.stream.url" if mapping.stream else "target.spec's path"
                reason += f": nothing answers at {self.url} (check {where})"
            return _failed(text or raw, reason, token, timings, trace_id)
        if mapping.stream is not None:
            shown = self.reply_headers.get("content-type") or "none"
            reason = (
                f"HTTP {status} with content-type {shown}, not {SSE_MEDIA_TYPE}: check "
                f"target.http.stream (url, format) in {mapping.source}"
            )
            return _failed(text or raw, reason, token, timings, trace_id)
        if not parsed:
            reason = f"HTTP {status} with a body that is not JSON"
            return _failed(raw, reason, token, timings, trace_id)
        if text is None:
            reason = (
                f"response has no answer at {mapping.answer_path.text!r}: fix field "
                f"'target.http.response.answer' in {mapping.source}"
            )
            return _failed(raw, reason, token, timings, trace_id)
        return mapping.answer(text, document, timings, trace_id, token)

    def streamed(self) -> Answer:
        """The Answer for a stream that ended (or said it was done)."""
        reader = self.reader
        assert reader is not None, "streamed() follows a head() that said the body streams"
        reader.end()
        document = reader.document
        timings = self._timings(document)
        trace_id = self.mapping.trace_id(document, self.reply_headers)
        received = "".join(reader.chunks)
        if reader.first_token is not None:
            timings["first_token"] = reader.first_token
        if reader.problem is not None:
            return _failed(received, reader.problem, self.token, timings, trace_id)
        text = received
        if document is not None:
            found = self.mapping.answer_path.find(document)
            text = _as_text(found[0]) if found else received
        if "first_token" not in timings and text:
            # Nothing came in chunks: the first text the user sees is the final document's.
            timings["first_token"] = reader.done_at or timings["total"]
        return self.mapping.answer(text, document, timings, trace_id, self.token)

    def failed(self, exc: BaseException, timed_out: bool) -> Answer:
        """The Answer for a request that raised `exc` (`timed_out`: the client's timeout)."""
        reader = self.reader
        timings = {"total": time.perf_counter() - self.started}
        received = "".join(reader.chunks) if reader else ""
        if reader is not None and reader.first_token is not None:
            timings["first_token"] = reader.first_token
        kind = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if timed_out:
            reason = f"timed out after {self.mapping.config.timeout_s:g} s ({type(exc).__name__})"
            if reader is not None:
                reason += f" while streaming, after {len(reader.chunks)} chunks"
        elif reader is not None:
            reason = (
                f"the stream from {self.url} was cut off after {len(reader.chunks)} chunks ({kind})"
            )
        elif self.status is not None:
            reason = f"the reply from {self.url} was cut off ({kind})"
        else:
            reason = f"cannot reach {self.url}: {kind}"
        trace_id = (
            self.mapping.trace_id(None, self.reply_headers) if self.status is not None else None
        )
        return _failed(received, reason, self.token, timings, trace_id)


class StreamReader:
    """A streamed body read as it arrives: its text chunks, when the first one came, the final
    document (SSE `done_event`), and what went wrong. No I/O: bytes in, state out.

    Server-Sent Events are parsed as the WHATWG standard says (`event:` and `data:` fields,
    comments, events ended by a blank line, an event cut off by the end of the body dropped).
    Parsed here rather than with httpx-sse, which reads only httpx responses: the asyncio client
    is aiohttp's, and both must read streams the same way.
    """

    def __init__(
        self, settings: HttpStream, delta: FieldPath, started: float, timeout_s: float
    ) -> None:
        self.settings = settings
        self.delta = delta
        self.started = started
        self.timeout_s = timeout_s
        self.chunks: list[str] = []
        self.first_token: float | None = None  # seconds from send to the first text
        self.done_at: float | None = None  # seconds from send to the final document
        self.document: Any = None
        self.finished = False
        self.problem: str | None = None
        self.events = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._line = ""  # the start of a line whose end has not arrived
        self._event = ""
        self._data: list[str] = []

    @property
    def over(self) -> bool:
        """Whether the stream said it was done or broke: nothing more is to be read."""
        return self.finished or self.problem is not None

    def feed(self, data: bytes) -> bool:
        """Read the next bytes; True once the stream is over."""
        if self.over:
            return True
        try:
            text = self._decoder.decode(data)
        except UnicodeDecodeError:
            self.problem = f"the stream is not UTF-8 text (after {len(self.chunks)} chunks)"
            return True
        if self.settings.format == "text":
            self._chunk(text)
        else:
            self._lines(text)
        if not self.over and time.perf_counter() - self.started > self.timeout_s:
            self.problem = (
                f"timed out after {self.timeout_s:g} s while streaming, after "
                f"{len(self.chunks)} chunks"
            )
        return self.over

    def end(self) -> None:
        """The body ended: a text stream is complete, an SSE stream must have said it was done."""
        if self.over:
            return
        if self.settings.format == "text":
            try:
                self._chunk(self._decoder.decode(b"", final=True))
            except UnicodeDecodeError:
                self.problem = "the stream ended inside a UTF-8 character"
                return
            self.finished = True
            return
        self._take(self._line)  # a last `data: [DONE]` without its line break still counts
        if not self.over:
            self.problem = (
                f"the stream ended before its '{self.settings.done_event}' event (or a "
                f"'data: [DONE]' line), after {len(self.chunks)} chunks: it was cut off"
            )

    def _lines(self, text: str) -> None:
        buffer = self._line + text
        held = buffer.endswith("\r")  # maybe the first half of "\r\n": wait for the next byte
        *lines, self._line = _LINE_BREAK.split(buffer[:-1] if held else buffer)
        if held:
            self._line += "\r"
        for line in lines:
            self._take(line)
            if self.over:
                return

    def _take(self, line: str) -> None:
        if not line:
            self._dispatch()
            return
        if line.startswith(":"):  # a comment, such as a keep-alive ping
            return
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            self._event = value
        elif name == "data":
            if value.strip() == "[DONE]":  # OpenAI's end of stream
                self.finished = True
            else:
                self._data.append(value)

    def _dispatch(self) -> None:
        name, data = self._event or "message", "\n".join(self._data)
        self._event, self._data, had_data = "", [], bool(self._data)
        if not had_data:
            return
        self.events += 1
        where = f"event {self.events} ('{name}')"
        if name == self.settings.done_event:
            try:
                self.document = json.loads(data)
            except ValueError:
                self.problem = f"{where}: its data is not JSON: {_clip(data)}"
                return
            self.done_at = time.perf_counter() - self.started
            self.finished = True
        elif name == "error":
            self.problem = f"the stream sent an error event: {_clip(data)}"
        else:
            self._chunk(self._delta(where, data))

    def _delta(self, where: str, data: str) -> str:
        try:
            value = json.loads(data)
        except ValueError:
            return data  # plain text: the data is the chunk
        if isinstance(value, str):
            return value
        if not isinstance(value, Mapping | list):
            return data  # a bare number or word that happens to be JSON is text too
        found = self.delta.find(value)
        if not found or found[0] is None:
            return ""  # an event without text: a role, usage counts, a ping
        if isinstance(found[0], str):
            return found[0]
        self.problem = (
            f"{where}: field 'target.http.stream.delta' ({self.delta.text!r}) gives "
            f"{type(found[0]).__name__}, expected text: {_clip(data)}"
        )
        return ""

    def _chunk(self, text: str) -> None:
        if text:
            if self.first_token is None:
                self.first_token = time.perf_counter() - self.started
            self.chunks.append(text)


class HttpTarget:
    """A Target that posts each question to a URL and maps the JSON reply onto an Answer.

    It offers an asyncio client (`AsyncAnswers`, for the load generator) and what its engagement
    declares: faults through the fault proxy (`target.fault_proxy`, started on first use and
    stopped on close), the pipeline through the ingest hook, the logs of `target.logs`, and the
    spans its service exports to the OTLP receiver of `target.otlp_port` (also stopped on close)
    or writes to `target.traces`.
    """

    def __init__(
        self,
        spec: str,
        config: HttpTargetConfig | None = None,
        *,
        source: str | Path = ENGAGEMENT_FILE,
        transport: httpx.BaseTransport | None = None,
        engagement: Engagement | None = None,
    ) -> None:
        parsed = parse_spec(spec)
        try:
            host = httpx.URL(parsed.value).host if parsed.kind == "http" else ""
        except httpx.InvalidURL:
            host = ""
        if not host:
            raise PlaybookError(
                f"target spec {spec!r} (field 'target.spec' or --target): "
                "expected http://host:port/path"
            )
        self.spec = parsed.text
        self.url = parsed.value
        self.config = config or HttpTargetConfig()
        self.mapping = HttpMapping(self.url, self.config, str(source))
        self._declared = Declared(engagement, self)
        self._proxy: FaultProxy | None = None
        # trust_env stays on: a team's API may sit behind the proxy their environment names.
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.config.timeout_s),
            headers=self.config.headers,
            transport=transport,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        users = sorted(self.config.auth.token_env) if self.config.auth else []
        return f"HttpTarget(spec={self.spec!r}, users_with_tokens={users})"

    def ask(self, question: str, user: str | None = None) -> Answer:
        """Post the question as `user`; every failure of the target is an error Answer."""
        exchange = self.mapping.start(question, user)
        try:
            with self._client.stream(
                "POST",
                exchange.url,
                content=exchange.content,
                headers=exchange.headers,
                params=exchange.params,
            ) as response:
                if not exchange.head(
                    response.status_code, response.reason_phrase, response.headers
                ):
                    return exchange.reply(response.read())
                for data in response.iter_bytes():
                    if exchange.feed(data):
                        break
                return exchange.streamed()
        except Exception as exc:  # refused, reset, cut off, bad URL or header: the target's
            return exchange.failed(exc, timed_out=isinstance(exc, httpx.TimeoutException))

    def capability(self, kind: type) -> Any:
        """An asyncio client; faults through the declared fault proxy; the rest as declared."""
        if kind is AsyncAnswers:
            return AsyncAsking(self.mapping)
        if kind is AuthProbe:
            return HttpAuthProbe(self.mapping, self._client)
        if kind is History and self.config.history is not None:
            return HttpHistory(self.mapping, self._client, self.config.history)
        if kind is FaultInjection:
            settings = self._declared.config.fault_proxy if self._declared.config else None
            if settings is None:
                return None
            if self._proxy is None:
                self._proxy = FaultProxy(settings.upstream, port=settings.port).start()
            return ProxyFaults(self._proxy, settings.stage)
        return self._declared.capability(kind)

    def missing_capability(self, kind: type) -> str:
        """What engagement.yaml must declare for this target to offer `kind`."""
        return self._declared.missing(kind)

    def close(self) -> None:
        """Close the connection pool; stop the fault proxy and OTLP receiver it started."""
        self._client.close()
        if self._proxy is not None:
            self._proxy.stop()
            self._proxy = None
        self._declared.close()


@dataclass(frozen=True)
class AsyncAsking:
    """The `AsyncAnswers` of an HttpTarget: asyncio clients that share its mapping."""

    mapping: HttpMapping

    def client(self, concurrency: int) -> AsyncHttpClient:
        """A client for at most `concurrency` requests in flight; call inside the running loop."""
        return AsyncHttpClient(self.mapping, concurrency)


class AsyncHttpClient:
    """Asks an HttpTarget from an asyncio loop over at most `concurrency` connections, through
    the same Exchange (request, auth, reply mapping, streams) as `HttpTarget.ask`."""

    # aiohttp, not httpx.AsyncClient: in benchmarks/bench_http_client.py (2 cores, one loop) at
    # 1000 req/s aiohttp kept p99 lag 1.2 ms, p99 latency 2.5 ms; httpx fell behind (p99 lag
    # 112 ms, p99 latency 5.9 s, one core busy).

    def __init__(self, mapping: HttpMapping, concurrency: int) -> None:
        timeout_s = mapping.config.timeout_s
        self._mapping = mapping
        # As the synchronous client, through the proxy the environment names; read once here, as
        # aiohttp's trust_env reads it again for every request (300 us of CPU each, measured).
        self._proxy = env_proxy(mapping.stream_url or mapping.url)
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=max(1, concurrency)),
            headers=mapping.config.headers,
            # connect covers the wait for a free connection, as httpx's pool timeout does
            timeout=aiohttp.ClientTimeout(total=None, connect=timeout_s, sock_read=timeout_s),
        )

    async def ask(self, question: str, user: str | None = None) -> Answer:
        """As `HttpTarget.ask`: never raises for anything the target does."""
        exchange = self._mapping.start(question, user)
        try:
            async with self._session.post(
                exchange.url,
                data=exchange.content,
                headers=exchange.headers,
                params=exchange.params,
                allow_redirects=False,
                proxy=self._proxy,
            ) as response:
                if not exchange.head(response.status, response.reason or "", response.headers):
                    return exchange.reply(await response.read())
                async for data in response.content.iter_any():
                    if exchange.feed(data):
                        break
                return exchange.streamed()
        except Exception as exc:  # as in HttpTarget.ask; aiohttp's timeouts are TimeoutErrors
            return exchange.failed(exc, timed_out=isinstance(exc, TimeoutError))

    async def aclose(self) -> None:
        """Close the connections."""
        await self._session.close()

    @property
    def closed(self) -> bool:
        """Whether `aclose` has closed the connections."""
        return self._session.closed


def env_proxy(url: str) -> str | None:
    """The proxy the environment names for `url` (`HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY`)."""
    parsed = httpx.URL(url)
    if urllib.request.proxy_bypass(parsed.host):
        return None
    return urllib.request.getproxies().get(parsed.scheme)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _redact(text: str, token: str | None) -> str:
    # A server that echoes request headers must not carry a token into evidence files.
    return text.replace(token, REDACTED) if token else text


def _failed(
    text: str,
    reason: str,
    token: str | None,
    timings: dict[str, float],
    trace_id: str | None = None,
) -> Answer:
    return Answer(
        text=_redact(text, token),
        status="error",
        timings=timings,
        trace_id=trace_id,
        error=_redact(reason, token),
    )


def _json_bytes(body: Any) -> bytes:
    """The request body as UTF-8 JSON; text that UTF-8 cannot hold (a lone surrogate) escaped."""
    try:
        return json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(body).encode("ascii")


def _decode(body: bytes, headers: httpx.Headers) -> str:
    """A reply body as text: the charset its Content-Type names, else UTF-8, never failing."""
    charset = ""
    for param in headers.get("content-type", "").split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"')
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return body.decode("utf-8", errors="replace")


def _clip(text: str, limit: int = 120) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")
