"""What an HTTP target offers notebook 06 beyond answers: the question history its users read back
(`target.http.history`), and requests without a valid credential to every endpoint the
engagement names (`AuthProbe`).

Both send the credentials the way `HttpMapping` does (header with its scheme, or a query
parameter), read from the environment at each request and never kept in what they return.
"""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any

import httpx
import jmespath

from playbook.targets.capabilities import AuthAttempt, HistoryItem

if TYPE_CHECKING:
    from playbook.engagement import HttpHistoryConfig
    from playbook.targets.http import HttpMapping

BODY_CHARS = 4000  # of a reply kept to look for data in
PROBE_QUESTION = "What documents can I read?"
CREDENTIALS = ("none", "wrong", "malformed")
REFUSED = (401, 403)


def join(base_url: str, where: str) -> str:
    """`where` as a URL: itself when absolute, else a path on `base_url`'s host."""
    return str(httpx.URL(base_url).join(where))


class HttpHistory:
    """A user's history read over HTTP as that user (their own credential).

    With `{user}` in the URL, `history_of(owner, caller)` also asks for another user's history
    with the caller's credential: object-level authorisation.
    """

    def __init__(self, mapping: HttpMapping, client: httpx.Client, config: HttpHistoryConfig):
        self._mapping = mapping
        self._client = client
        self._config = config
        self.url = join(mapping.url, config.url)
        self.per_user = "{user}" in config.url

    def history(self, user: str | None) -> list[HistoryItem]:
        return self.history_of(user, user)

    def history_of(self, owner: str | None, caller: str | None) -> list[HistoryItem]:
        """The entries `caller` is shown when asking for `owner`'s history; none when refused
        (401, 403 or 404); OSError when the endpoint fails or answers something unreadable."""
        url = self.url.replace("{user}", owner or "")
        headers, params = self._mapping.credentials(caller)
        try:
            reply = self._client.request(self._config.method, url, headers=headers, params=params)
        except httpx.HTTPError as exc:
            raise OSError(f"{url}: {type(exc).__name__}") from None
        if reply.status_code in (*REFUSED, 404):
            return []
        if reply.status_code >= 300:
            raise OSError(f"{url}: answered {reply.status_code}")
        try:
            document = reply.json()
        except ValueError:
            raise OSError(f"{url}: the reply is not JSON") from None
        entries = jmespath.search(self._config.entries, document)
        if not isinstance(entries, list):
            raise OSError(
                f"{url}: no list at {self._config.entries!r} (field 'target.http.history.entries')"
            )
        return [self._item(entry, owner) for entry in entries if isinstance(entry, dict)]

    def _item(self, entry: dict[str, Any], owner: str | None) -> HistoryItem:
        config = self._config

        def text(path: str | None) -> str:
            value = jmespath.search(path, entry) if path else None
            return value if isinstance(value, str) else "" if value is None else json.dumps(value)

        user = entry.get("user")
        return HistoryItem(
            user=user if isinstance(user, str) else owner,
            question=text(config.question),
            answer=text(config.answer),
            status=text("status"),
            sources=(),
            time=text("time"),
        )


class HttpAuthProbe:
    """Requests without a valid credential to the ask endpoint, the stream and history
    endpoints when declared, and every `target.http.protected` endpoint."""

    def __init__(self, mapping: HttpMapping, client: httpx.Client) -> None:
        self._mapping = mapping
        self._client = client

    def endpoints(self) -> list[str]:
        config = self._mapping.config
        found = [f"POST {self._mapping.url}"]
        if self._mapping.stream_url:
            found.append(f"POST {self._mapping.stream_url}")
        if config.history is not None:
            url = join(self._mapping.url, config.history.url).replace("{user}", "u-anyone")
            found.append(f"{config.history.method} {url}")
        for entry in config.protected:
            method, _, where = entry.strip().partition(" ")
            found.append(f"{method.upper()} {join(self._mapping.url, where.strip())}")
        return list(dict.fromkeys(found))

    def attempt(self, endpoint: str, credential: str) -> AuthAttempt:
        if credential not in CREDENTIALS:
            raise ValueError(f"credential {credential!r}: expected one of {CREDENTIALS}")
        method, _, url = endpoint.partition(" ")
        headers = dict(self._mapping.headers)
        params: dict[str, str] = {}
        auth = self._mapping.config.auth
        header = auth.header if auth is not None else "Authorization"
        scheme = auth.scheme if auth is not None else "Bearer"
        if credential != "none":
            value = (
                secrets.token_hex(16)
                if credential == "wrong"
                else "null"
                if not scheme
                else f"{scheme} "  # the scheme with no token
            )
            if credential == "wrong" and scheme:
                value = f"{scheme} {value}"
            if auth is not None and auth.query_param:
                params[auth.query_param] = "" if credential == "malformed" else value
            else:
                headers[header] = value.strip() if credential == "malformed" else value
        content = None
        if method in ("POST", "PUT", "PATCH"):
            from playbook.targets.http import render_request

            body = render_request(self._mapping.config.request, PROBE_QUESTION, None)
            content = json.dumps(body).encode()
        try:
            reply = self._client.request(
                method, url, headers=headers, params=params, content=content
            )
        except httpx.HTTPError as exc:
            return AuthAttempt(endpoint, credential, None, "", f"{type(exc).__name__}: {exc}")
        return AuthAttempt(endpoint, credential, reply.status_code, reply.text[:BODY_CHARS])
