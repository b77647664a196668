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
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jmespath
from jmespath.exceptions import JMESPathError

from playbook.engagement import ENGAGEMENT_FILE, Engagement
from playbook.engagement import HttpTarget as HttpTargetConfig
from playbook.errors import PlaybookError
from playbook.faultproxy import FaultProxy
from playbook.targets.base import ANSWER_STATUSES, Answer, AnswerStatus
from playbook.targets.capabilities import FaultInjection
from playbook.targets.declared import Declared
from playbook.targets.proxied_faults import ProxyFaults
from playbook.targets.spec import parse_spec

REDACTED = "[redacted]"
STATUS_SYNONYMS: dict[str, AnswerStatus] = {
    "success": "ok",
    "succeeded": "ok",
    "answered": "ok",
    "partial": "degraded",
    "fallback": "degraded",
    "refusal": "refused",
    "denied": "refused",
    "forbidden": "refused",
    "blocked": "refused",
    "failed": "error",
    "failure": "error",
}
_PLACEHOLDER = re.compile(r"\{(question|user)\}")
_PROJECTIONS = ("[*]", "[]", ".*", "[?")


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


class HttpTarget:
    """A Target that posts each question to a URL and maps the JSON reply onto an Answer.

    It offers what its engagement declares: faults through the fault proxy
    (`target.fault_proxy`, started on first use and stopped on close), the pipeline through the
    ingest hook, and the logs of `target.logs`.
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
        self._source = str(source)
        self._declared = Declared(engagement, self)
        self._proxy: FaultProxy | None = None
        mapping = self.config.response
        self._answer_path = self._path(mapping.answer, "answer")
        self._sources_path = self._optional_path(mapping.sources, "sources")
        self._status_path = self._optional_path(mapping.status, "status")
        self._trace_path = self._optional_path(mapping.trace_id, "trace_id")
        # trust_env stays on: a team's API may sit behind the proxy their environment names.
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.config.timeout_s),
            headers=self.config.headers,
            transport=transport,
            follow_redirects=False,
        )

    def _path(self, text: str, name: str) -> FieldPath:
        try:
            return parse_field_path(text, f"target.http.response.{name}")
        except PlaybookError as exc:
            raise PlaybookError(str(exc).replace(ENGAGEMENT_FILE, self._source, 1)) from None

    def _optional_path(self, text: str | None, name: str) -> FieldPath | None:
        return None if text is None else self._path(text, name)

    def __repr__(self) -> str:
        users = sorted(self.config.auth.token_env) if self.config.auth else []
        return f"HttpTarget(spec={self.spec!r}, users_with_tokens={users})"

    def _token(self, user: str | None) -> str | None:
        auth = self.config.auth
        if auth is None or user is None or user not in auth.token_env:
            return None
        variable = auth.token_env[user]
        token = os.environ.get(variable, "")
        if not token:
            raise PlaybookError(
                f"{self._source}: field 'target.http.auth.token_env.{user}': environment "
                f"variable {variable} is not set (expected {user}'s API token in it)"
            )
        return token

    def ask(self, question: str, user: str | None = None) -> Answer:
        """Post the question as `user`; every failure of the target is an error Answer."""
        token = self._token(user)
        headers, params = {}, {}
        auth = self.config.auth
        if token is not None and auth is not None:
            if auth.query_param:
                params[auth.query_param] = token
            else:
                headers[auth.header] = f"{auth.scheme} {token}" if auth.scheme else token
        body = render_request(self.config.request, question, user)
        started = time.perf_counter()
        try:
            response = self._client.post(self.url, json=body, headers=headers, params=params)
        except httpx.TimeoutException as exc:
            reason = f"timed out after {self.config.timeout_s:g} s ({type(exc).__name__})"
            return _failed("", reason, token, {"total": time.perf_counter() - started})
        except Exception as exc:  # refused, reset, bad URL or header: all the target's failure
            reason = f"cannot reach {self.url}: {type(exc).__name__}: {exc}"
            return _failed("", reason, token, {"total": time.perf_counter() - started})
        return self._answer(response, started, token, user)

    def _refused_credentials(self, status: int, user: str | None, token: str | None) -> str:
        """What to check when the target answers 401 or 403: never the token, always where it
        was sent and which variable it came from."""
        auth = self.config.auth
        who = f"user {user}" if user else "an anonymous caller"
        if token is None or auth is None:
            listed = sorted(auth.token_env) if auth else []
            return (
                f"HTTP {status}: no credentials were sent for {who}; name its token variable in "
                f"{self._source} field 'target.http.auth.token_env' (users with tokens: "
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
            f"target.http.auth in {self._source} names the header (or query_param) and scheme "
            "the API expects"
        )

    def _answer(
        self, response: httpx.Response, started: float, token: str | None, user: str | None
    ) -> Answer:
        raw = response.text
        try:
            document, parsed = response.json(), True
        except ValueError:
            document, parsed = None, False
        timings = {
            **server_timings(document, response.headers),
            "total": time.perf_counter() - started,
        }
        trace_id = self._trace_id(document, response.headers)
        found = self._answer_path.find(document) if parsed else []
        text = _as_text(found[0]) if found else None
        if response.status_code in (401, 403):
            reason = self._refused_credentials(response.status_code, user, token)
            return _failed(text or raw, reason, token, timings, trace_id)
        if not response.is_success:
            reason = f"HTTP {response.status_code} {response.reason_phrase}".strip()
            if response.status_code == 404:
                reason += f": nothing answers at {self.url} (check target.spec's path)"
            return _failed(text or raw, reason, token, timings, trace_id)
        if not parsed:
            reason = f"HTTP {response.status_code} with a body that is not JSON"
            return _failed(raw, reason, token, timings, trace_id)
        if text is None:
            reason = (
                f"response has no answer at {self._answer_path.text!r}: fix field "
                f"'target.http.response.answer' in {self._source}"
            )
            return _failed(raw, reason, token, timings, trace_id)
        sources = coerce_sources(self._sources_path.find(document)) if self._sources_path else ()
        status: AnswerStatus = "ok"
        if self._status_path is not None:
            values = self._status_path.find(document)
            if values and values[0] is not None:
                status = coerce_status(values[0])
        return Answer(
            text=_redact(text, token),
            sources=sources,
            status=status,
            timings=timings,
            trace_id=trace_id,
        )

    def _trace_id(self, document: Any, headers: httpx.Headers) -> str | None:
        if self._trace_path is not None:
            values = self._trace_path.find(document)
            if values and values[0] is not None:
                return str(values[0])
        if headers.get("x-trace-id"):
            return headers["x-trace-id"]
        parts = headers.get("traceparent", "").split("-")
        return parts[1] if len(parts) == 4 else None

    def capability(self, kind: type) -> Any:
        """Faults through the declared fault proxy; the rest as the engagement declares."""
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
        """Close the connection pool and stop the fault proxy this target started."""
        self._client.close()
        if self._proxy is not None:
            self._proxy.stop()
            self._proxy = None


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
