"""The HTTP layer of `playbook serve` on its own, over a stand-in system: limits and error shapes.

The reference system never raises from `ask`, so the 500 path is proved with a stand-in that does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import httpx
import pytest

from playbook.reference.server import MAX_BODY_BYTES, bearer_token, start_server
from playbook.targets.base import Answer

pytestmark = pytest.mark.service

TOKEN = "secret-token-of-alice-5f0e"


@dataclass(frozen=True)
class Switches:
    authentication: bool = True
    user_history: bool = True


@dataclass
class StandIn:
    """Just enough of ReferenceSystem for the HTTP layer."""

    hardening: Switches = field(default_factory=Switches)
    fail_with: Exception | None = None
    asked: list[tuple[str, str | None]] = field(default_factory=list)

    def authenticate(self, token: str) -> str | None:
        return "alice" if token == TOKEN else None

    def ask(self, question: str, user: str | None = None) -> Answer:
        if self.fail_with is not None:
            raise self.fail_with
        self.asked.append((question, user))
        return Answer(text=f"echo {question}", sources=("d1",), timings={"retrieve": 0.002})

    def history(self, user: str | None) -> list:
        return []

    def metrics_text(self) -> str:
        return "# TYPE playbook_requests_total counter\nplaybook_requests_total 1.0\n"


@pytest.fixture
def system():
    return StandIn()


@pytest.fixture
def client(system):
    with (
        start_server(system) as server,
        httpx.Client(base_url=server.url, timeout=5, trust_env=False) as http,
    ):
        yield http


AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_a_known_token_is_served_as_its_user(client, system):
    reply = client.post("/v1/ask", json={"question": "hi"}, headers=AUTH)
    assert reply.status_code == 200
    body = reply.json()
    assert body["answer"] == "echo hi"
    assert body["sources"] == [{"id": "d1"}]
    assert body["status"] == "ok"
    assert len(body["trace_id"]) == 32
    assert reply.headers["x-trace-id"] == body["trace_id"]
    assert "retrieve;dur=2.000" in reply.headers["server-timing"]
    assert system.asked == [("hi", "alice")]


def test_an_oversized_body_is_413_json_whether_declared_or_streamed(client, system):
    big = {"question": "x" * (MAX_BODY_BYTES + 1)}
    reply = client.post("/v1/ask", json=big, headers=AUTH)
    assert reply.status_code == 413
    assert "error" in reply.json()

    def chunks():
        for _ in range(MAX_BODY_BYTES // 1024 + 2):
            yield b" " * 1024

    streamed = client.post("/v1/ask", content=chunks(), headers=AUTH)
    assert streamed.status_code == 413
    assert streamed.headers["content-type"] == "application/json"
    assert system.asked == []
    just_fits = '{"question": "' + "y" * (MAX_BODY_BYTES - 20) + '"}'
    assert client.post("/v1/ask", content=just_fits, headers=AUTH).status_code == 200


@pytest.mark.parametrize(
    ("content", "status"),
    [
        (b"question=hi", 400),
        (b"\xff\xfe", 400),
        (b"", 400),
        (b'{"question": 3}', 422),
        (b'{"q": "hi"}', 422),
        (b'["hi"]', 422),
    ],
)
def test_a_body_that_is_not_json_or_not_the_schema_is_a_4xx_json_error(
    client, system, content, status
):
    reply = client.post("/v1/ask", content=content, headers=AUTH)
    assert reply.status_code == status
    assert reply.json()["error"]
    assert system.asked == []


def test_unknown_routes_and_methods_answer_json(client):
    missing = client.get("/v2/nothing")
    assert (missing.status_code, missing.json()) == (404, {"error": "not found"})
    wrong = client.get("/v1/ask", headers=AUTH)
    assert wrong.status_code == 405
    assert wrong.json()["error"]


def test_authentication_comes_before_the_body_is_read(client):
    reply = client.post("/v1/ask", content=b"not json")
    assert (reply.status_code, reply.json()) == (401, {"error": "unauthorised"})
    assert reply.headers["www-authenticate"] == "Bearer"


def test_an_unexpected_exception_is_500_json_with_a_trace_id_and_no_stack_trace(
    client, system, caplog
):
    system.fail_with = RuntimeError(f"database exploded near {TOKEN}")
    with caplog.at_level(logging.INFO):
        reply = client.post("/v1/ask", json={"question": "hi"}, headers=AUTH)
    assert reply.status_code == 500
    body = reply.json()
    assert set(body) == {"error", "trace_id"}
    assert body["error"] == "internal error"
    assert "exploded" not in reply.text and "Traceback" not in reply.text
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert body["trace_id"] in logged
    assert "database exploded" in logged
    assert TOKEN not in logged


def test_health_and_metrics_are_served_without_a_token(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "playbook_requests_total 1.0" in metrics.text


def test_without_the_authentication_switch_anyone_is_served_as_anonymous():
    system = StandIn(hardening=Switches(authentication=False))
    with start_server(system) as server:
        reply = httpx.post(f"{server.url}/v1/ask", json={"question": "hi"}, trust_env=False)
        known = httpx.post(
            f"{server.url}/v1/ask", json={"question": "me"}, headers=AUTH, trust_env=False
        )
    assert (reply.status_code, known.status_code) == (200, 200)
    assert system.asked == [("hi", None), ("me", "alice")]


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer   abc ", "abc"),
        ("Basic abc", None),
        ("Bearer", None),
        ("", None),
        (None, None),
    ],
)
def test_bearer_tokens_are_read_from_the_authorization_header(header, token):
    assert bearer_token(header) == token


def test_a_stopped_server_no_longer_accepts_connections(system):
    server = start_server(system)
    assert httpx.get(f"{server.url}/healthz", trust_env=False).status_code == 200
    server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/healthz", timeout=2, trust_env=False)


def test_text_that_cannot_be_stored_or_echoed_is_422_and_never_reaches_the_system(client, system):
    for body, problem in (
        ('{"question": "leave \\ud800 days"}', "lone surrogate"),
        ('{"question": "annual\\u0000leave\\u0007"}', "control characters (U+0000, U+0007)"),
    ):
        reply = client.post("/v1/ask", content=body, headers=AUTH)
        assert reply.status_code == 422, reply.text
        assert problem in reply.json()["fields"][0]["problem"]
    assert system.asked == []
    assert client.get("/v1/history", headers=AUTH).status_code == 200


def test_json_nested_deeper_than_the_limit_is_400_json_not_a_crash(client, system):
    deep = '{"question": "q", "x": ' + "[" * 5000 + "]" * 5000 + "}"
    reply = client.post("/v1/ask", content=deep, headers=AUTH)
    assert reply.status_code == 400 and "nested deeper" in reply.json()["error"]
    assert system.asked == []


def test_malformed_http_gets_a_json_error_like_every_other_error(system):
    import socket

    with start_server(system) as server:
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as raw:
            raw.sendall(b"GARBAGE /v1/ask HTTP/9.9\r\n\x00\x01\r\n\r\n")
            received = b""
            for _ in range(50):  # head and body may come in separate segments
                chunk = raw.recv(4096)
                if not chunk:  # the server closes a connection it cannot parse
                    break
                received += chunk
            reply = received.decode("latin-1")
    head, _, body = reply.partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 400") and "application/json" in head.lower()
    assert body == '{"error": "malformed HTTP request"}'
