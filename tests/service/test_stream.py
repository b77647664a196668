"""`POST /v1/ask/stream` of `playbook serve` on 127.0.0.1: the answer of /v1/ask as Server-Sent
Events, the same errors as JSON, and the HTTP adapter reading it."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from playbook.engagement import HttpStream
from playbook.reference.server import MAX_BODY_BYTES
from playbook.targets.base import Answer
from playbook.targets.capabilities import AsyncAnswers, capability
from playbook.targets.http import HttpTarget
from tests.event_loops import run_in_own_loop

from .conftest import GOLDEN, SALARY, TOKENS

pytestmark = pytest.mark.service

ASKED = [(question, "u-alice") for question in GOLDEN] + [(SALARY, "u-hana"), (SALARY, "u-bob")]


def post(url: str, content: bytes, token: str | None) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return httpx.post(url, content=content, headers=headers, timeout=10, trust_env=False)


def events(body: str) -> list[tuple[str, dict]]:
    """The (event, JSON data) pairs of an SSE body the reference server wrote."""
    parsed = []
    for block in body.split("\n\n"):
        if not block.strip():
            continue
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        parsed.append((fields["event"], json.loads(fields["data"])))
    return parsed


@pytest.mark.parametrize(("question", "user"), ASKED)
def test_the_stream_is_token_events_then_a_done_event_equal_to_the_ask_reply(serve, question, user):
    server = serve("production")
    body = json.dumps({"question": question}).encode()
    plain = post(f"{server.url}/v1/ask", body, TOKENS[user])
    streamed = post(f"{server.url}/v1/ask/stream", body, TOKENS[user])
    assert streamed.status_code == 200
    assert streamed.headers["content-type"].startswith("text/event-stream")
    sent = events(streamed.text)
    names = [name for name, _ in sent]
    assert names == ["token"] * (len(sent) - 1) + ["done"] and len(sent) >= 2
    done = sent[-1][1]
    expected = plain.json()
    # The trace id and stage timings are the request's own; everything else is the same reply.
    assert done.keys() == expected.keys()
    for varying in ("trace_id", "timings"):
        done.pop(varying), expected.pop(varying)
    assert done == expected
    assert "".join(data["text"] for _, data in sent[:-1]) == done["answer"]
    assert all(data.keys() == {"text"} and data["text"] for _, data in sent[:-1])


@pytest.mark.parametrize(
    ("content", "token", "status"),
    [
        (b'{"question": "When is the Lisbon office open?"}', None, 401),
        (b'{"question": "When is the Lisbon office open?"}', "tok-nobody", 401),
        (b"{not json", TOKENS["u-alice"], 400),
        (b"\xff\xfe", TOKENS["u-alice"], 400),
        (b'{"q": "no question field"}', TOKENS["u-alice"], 422),
        (b'{"question": "leave \\u0007 days"}', TOKENS["u-alice"], 422),
        (b'{"question": "' + b"x" * MAX_BODY_BYTES + b'"}', TOKENS["u-alice"], 413),
    ],
    ids=["no-token", "unknown-token", "not-json", "not-utf8", "no-question", "control", "large"],
)
def test_stream_errors_are_the_json_errors_of_ask_before_any_event(serve, content, token, status):
    server = serve("production")
    plain = post(f"{server.url}/v1/ask", content, token)
    streamed = post(f"{server.url}/v1/ask/stream", content, token)
    assert (plain.status_code, streamed.status_code) == (status, status)
    assert streamed.headers["content-type"] == "application/json"
    assert streamed.json() == plain.json()
    assert "event:" not in streamed.text


@pytest.fixture
def targets(serve, engagement, tokens_in_env):
    """The adapter over /v1/ask, and over the default stream URL (/v1/ask/stream)."""
    server = serve("production")
    config = engagement.target.http
    plain = HttpTarget(f"{server.url}/v1/ask", config)
    streamed = HttpTarget(
        f"{server.url}/v1/ask", config.model_copy(update={"stream": HttpStream()})
    )
    yield plain, streamed
    plain.close()
    streamed.close()


@pytest.mark.parametrize(("question", "user"), ASKED)
def test_an_answer_read_from_the_stream_equals_the_plain_one(targets, question, user):
    plain, streamed = targets
    expected = plain.ask(question, user)
    answer = streamed.ask(question, user)
    assert answer.error is None
    assert (answer.text, answer.sources, answer.status) == (
        expected.text,
        expected.sources,
        expected.status,
    )
    assert 0 < answer.timings["first_token"] <= answer.timings["total"]
    assert answer.trace_id and "server_total" in answer.timings  # from the done event
    assert "first_token" not in expected.timings


def test_the_async_client_reads_the_same_streamed_answers(targets):
    plain, streamed = targets

    async def ask_all() -> list[Answer]:
        client = capability(streamed, AsyncAnswers).client(8)
        try:
            return list(await asyncio.gather(*(client.ask(q, u) for q, u in ASKED)))
        finally:
            await client.aclose()

    answers = run_in_own_loop(ask_all())
    assert {answer.sources for answer in answers} >= {("HB-001",), ("HB-003",), ()}
    for (question, user), answer in zip(ASKED, answers, strict=True):
        expected = plain.ask(question, user)
        assert (answer.text, answer.sources, answer.status) == (
            expected.text,
            expected.sources,
            expected.status,
        )
        assert 0 < answer.timings["first_token"] <= answer.timings["total"]


def test_an_anonymous_stream_on_production_is_refused_like_the_plain_request(targets):
    plain, streamed = targets
    refused, expected = streamed.ask("When is the Lisbon office open?"), plain.ask("x")
    assert (refused.status, refused.error) == ("error", expected.error)
    assert "HTTP 401" in refused.error
