"""The HTTP adapter reading streamed answers (SSE, plain text, OpenAI style) and its asyncio
client, against a small server on 127.0.0.1 that streams on a known schedule."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator

import pytest
import uvicorn
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from playbook.engagement import HttpAuth, HttpStream, load_engagement
from playbook.engagement import HttpTarget as HttpConfig
from playbook.errors import PlaybookError
from playbook.load import Request as LoadRequest
from playbook.load import run_open_load
from playbook.loopback import listen
from playbook.targets.base import Answer
from playbook.targets.capabilities import AsyncAnswers, capability
from playbook.targets.http import AsyncHttpClient, HttpTarget, env_proxy
from tests.event_loops import run_in_own_loop

TOKEN = "tok-stream-alice-5a9c"
TOKEN_ENV = "PLAYBOOK_TEST_STREAM_TOKEN"
FIRST_S = 0.05  # the slow stream's first chunk
REST_S = 0.30  # and the wait before the rest
DONE = {"answer": "Claims close in 30 days.", "sources": [{"id": "h-1"}], "status": "degraded"}


def sse(data: object, event: str | None = None) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data)
    return ((f"event: {event}\n" if event else "") + f"data: {text}\n\n").encode()


async def slow(request: Request) -> Response:
    async def events() -> AsyncIterator[bytes]:
        await asyncio.sleep(FIRST_S)
        yield sse({"text": "Claims close "}, "token")
        await asyncio.sleep(REST_S)
        yield sse({"text": "in 30 "}, "token")
        yield b": a comment line is skipped\n\n"
        yield sse({"text": "days."}, "token")
        yield sse(DONE, "done")

    return StreamingResponse(events(), media_type="text/event-stream")


async def text(request: Request) -> Response:
    async def body() -> AsyncIterator[bytes]:
        yield b"Claims close "
        await asyncio.sleep(FIRST_S)
        dash = "\u2014".encode()  # a character of three bytes, split across two chunks
        yield b"in 30 days " + dash[:1]
        yield dash[1:] + b" always."

    return StreamingResponse(body(), media_type="text/plain")


async def openai(request: Request) -> Response:
    async def events() -> AsyncIterator[bytes]:
        yield sse({"choices": [{"delta": {"role": "assistant"}}]})
        yield sse({"choices": [{"delta": {"content": "Hel"}}]}).replace(b"\n", b"\r\n")
        yield sse({"choices": [{"delta": {"content": "lo"}}]})
        yield sse({"choices": [{"delta": {}, "finish_reason": "stop"}]})
        yield b"data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


async def cut(request: Request) -> Response:
    async def events() -> AsyncIterator[bytes]:
        yield sse({"text": "Claims close "}, "token")
        yield b'event: done\ndata: {"answer": "Claims'  # ends inside the done event

    return StreamingResponse(events(), media_type="text/event-stream")


async def abort(request: Request) -> Response:
    async def events() -> AsyncIterator[bytes]:
        yield sse({"text": "Claims close "}, "token")
        raise ConnectionAbortedError("the upstream model went away")  # uvicorn drops the socket

    return StreamingResponse(events(), media_type="text/event-stream")


async def malformed(request: Request) -> Response:
    async def events() -> AsyncIterator[bytes]:
        yield sse({"text": "Claims close "}, "token")
        yield b"event: done\ndata: {not json\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


async def echo(request: Request) -> Response:
    """A careless API that streams back the credentials it was given."""
    said = request.headers.get("authorization", "")

    async def events() -> AsyncIterator[bytes]:
        yield sse({"text": f"you sent {said}"}, "token")
        yield b"data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


async def not_a_stream(request: Request) -> Response:
    return JSONResponse({"answer": "whole"})


class Peak:
    """Requests in flight on the server, and the most seen at once."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0


PEAK = Peak()


async def answer(request: Request) -> Response:
    """A plain JSON API behind a bearer token, slow enough that concurrency shows."""
    if request.headers.get("authorization") != f"Bearer {TOKEN}":
        return JSONResponse({"error": "unauthorised"}, status_code=401)
    question = (await request.json())["q"]
    PEAK.now += 1
    PEAK.most = max(PEAK.most, PEAK.now)
    try:
        await asyncio.sleep(0.1)
    finally:
        PEAK.now -= 1
    return JSONResponse({"result": {"text": f"echo {question}", "refs": [{"doc": "d-7"}]}})


ROUTES = {
    "/slow": slow,
    "/text": text,
    "/openai": openai,
    "/cut": cut,
    "/abort": abort,
    "/malformed": malformed,
    "/echo": echo,
    "/json": not_a_stream,
    "/answer": answer,
}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """The test server, on a free port of 127.0.0.1, for the whole module."""
    app = Starlette(routes=[Route(path, view, methods=["POST"]) for path, view in ROUTES.items()])
    sock = listen("127.0.0.1", 0)
    config = uvicorn.Config(app, log_level="critical", lifespan="off", log_config=None)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(10)
    sock.close()


def streaming(base_url: str, path: str, **stream) -> HttpTarget:
    """A target whose spec is a plain endpoint and whose stream is `path` on the same host."""
    config = HttpConfig(
        request={"q": "{question}"},
        response={"answer": "answer", "sources": "sources[*].id", "status": "status"},
        stream=HttpStream(url=path, **stream),
        timeout_s=5,
    )
    return HttpTarget(f"{base_url}/v1/ask", config)


def ask(target: HttpTarget, via: str, question: str = "q", user: str | None = None) -> Answer:
    """One answer through the synchronous client, or through the asyncio client."""
    if via == "sync":
        return target.ask(question, user)

    async def once() -> Answer:
        client = capability(target, AsyncAnswers).client(4)
        try:
            return await client.ask(question, user)
        finally:
            await client.aclose()

    return run_in_own_loop(once())


VIA = pytest.mark.parametrize("via", ["sync", "async"])


@VIA
def test_first_token_is_when_the_first_chunk_came_and_total_when_the_stream_was_done(base_url, via):
    target = streaming(base_url, "/slow")
    answer = ask(target, via)
    assert answer.error is None
    assert (answer.text, answer.sources, answer.status) == (
        "Claims close in 30 days.",
        ("h-1",),
        "degraded",
    )
    assert FIRST_S * 0.8 <= answer.timings["first_token"] <= FIRST_S + 0.15
    assert FIRST_S + REST_S <= answer.timings["total"] <= FIRST_S + REST_S + 0.3
    assert answer.timings["total"] - answer.timings["first_token"] >= REST_S * 0.9
    target.close()


@VIA
def test_a_chunked_plain_text_body_is_the_answer(base_url, via):
    target = streaming(base_url, "/text", format="text")
    answer = ask(target, via)
    assert (answer.status, answer.text) == ("ok", "Claims close in 30 days \u2014 always.")
    assert 0 < answer.timings["first_token"] < FIRST_S
    assert answer.timings["total"] >= FIRST_S
    target.close()


@VIA
def test_an_openai_style_stream_is_read_at_its_delta_path_and_ends_at_done(base_url, via):
    target = streaming(base_url, "/openai", delta="choices[0].delta.content")
    answer = ask(target, via)
    assert (answer.status, answer.text, answer.error) == ("ok", "Hello", None)
    assert 0 < answer.timings["first_token"] <= answer.timings["total"]
    target.close()


@VIA
def test_a_stream_that_ends_before_its_done_event_is_an_error_with_what_had_arrived(base_url, via):
    answer = ask(streaming(base_url, "/cut"), via)
    assert answer.status == "error"
    assert answer.text == "Claims close "
    assert "ended before its 'done' event" in answer.error


@VIA
def test_a_stream_broken_off_by_the_server_is_an_error_naming_the_cut(base_url, via):
    answer = ask(streaming(base_url, "/abort"), via)
    assert answer.status == "error"
    assert answer.text == "Claims close "
    assert "cut off" in answer.error
    assert "first_token" in answer.timings


@VIA
def test_a_done_event_that_is_not_json_is_an_error_naming_the_event(base_url, via):
    answer = ask(streaming(base_url, "/malformed"), via)
    assert answer.status == "error"
    assert "event 2 ('done'): its data is not JSON" in answer.error
    assert "{not json" in answer.error


@VIA
def test_a_delta_path_that_reaches_no_text_is_an_error_naming_the_field(base_url, via):
    answer = ask(streaming(base_url, "/openai", delta="choices[0].delta"), via)
    assert answer.status == "error"
    assert "target.http.stream.delta" in answer.error and "expected text" in answer.error


@VIA
def test_a_whole_json_reply_where_a_stream_was_expected_says_to_check_the_stream_settings(
    base_url, via
):
    answer = ask(streaming(base_url, "/json"), via)
    assert answer.status == "error"
    assert "not text/event-stream" in answer.error and "target.http.stream" in answer.error


@VIA
def test_a_stream_that_cannot_be_reached_is_an_error_answer_not_an_exception(via):
    with listen("127.0.0.1", 0) as probe:
        port = probe.getsockname()[1]  # closed again once the block ends
    answer = ask(streaming(f"http://127.0.0.1:{port}", "/slow"), via)
    assert answer.status == "error"
    assert answer.error.startswith(f"cannot reach http://127.0.0.1:{port}/slow")


@VIA
def test_the_token_never_appears_in_a_streamed_answer(base_url, via, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    config = HttpConfig(
        request={"q": "{question}"},
        auth=HttpAuth(token_env={"alice": TOKEN_ENV}),
        stream=HttpStream(url="/echo"),
    )
    answer = ask(HttpTarget(f"{base_url}/v1/ask", config), via, user="alice")
    assert answer.status == "ok"
    assert answer.text == "you sent Bearer [redacted]"


def test_the_stream_url_defaults_to_the_spec_url_with_stream_appended_or_a_path_on_its_host():
    default = HttpTarget("http://api.test/v1/ask?v=2", HttpConfig(stream=HttpStream()))
    assert default.mapping.stream_url == "http://api.test/v1/ask/stream?v=2"
    relative = HttpTarget("http://api.test/v1/ask", HttpConfig(stream=HttpStream(url="/s")))
    assert relative.mapping.stream_url == "http://api.test/s"
    with pytest.raises(PlaybookError, match=r"field 'target\.http\.stream\.url'"):
        HttpTarget("http://api.test/v1/ask", HttpConfig(stream=HttpStream(url="ftp://x/s")))


def test_a_malformed_delta_path_is_refused_when_the_engagement_loads(tmp_path):
    data = {
        "name": "api",
        "target": {"spec": "http://api.test/v1/ask", "http": {"stream": {"delta": "a[x]"}}},
    }
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(PlaybookError, match=r"field 'target\.http\.stream\.delta'"):
        load_engagement(tmp_path)


def plain(base_url: str) -> HttpTarget:
    config = HttpConfig(
        request={"q": "{question}"},
        response={"answer": "result.text", "sources": "result.refs[*].doc"},
        auth=HttpAuth(token_env={"alice": TOKEN_ENV}),
        timeout_s=5,
    )
    return HttpTarget(f"{base_url}/answer", config)


def ask_many(target: HttpTarget, asked: list[str], concurrency: int) -> list[Answer]:
    """Every question asked at once as alice from one loop; the client is closed after."""

    async def run() -> list[Answer]:
        client = capability(target, AsyncAnswers).client(concurrency)
        try:
            return list(await asyncio.gather(*(client.ask(q, "alice") for q in asked)))
        finally:
            await client.aclose()
            assert isinstance(client, AsyncHttpClient) and client.closed

    return run_in_own_loop(run())


def test_many_concurrent_asks_from_one_loop_all_succeed_with_the_sync_mapping(
    base_url, monkeypatch
):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    target = plain(base_url)
    questions = [f"question {index}" for index in range(200)]
    PEAK.most = 0
    answers = ask_many(target, questions, 200)
    assert [a.status for a in answers] == ["ok"] * len(questions)  # the server checked the token
    assert [a.text for a in answers] == [f"echo {q}" for q in questions]
    assert {a.sources for a in answers} == {("d-7",)}
    synced = target.ask(questions[0], "alice")
    assert (synced.text, synced.sources, synced.status) == (
        answers[0].text,
        answers[0].sources,
        answers[0].status,
    )
    assert PEAK.most >= 20  # they were in flight together
    target.close()


def test_the_async_client_keeps_no_more_requests_in_flight_than_its_concurrency(
    base_url, monkeypatch
):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    target = plain(base_url)
    PEAK.most = 0
    answers = ask_many(target, [f"question {index}" for index in range(20)], 5)
    assert [a.status for a in answers] == ["ok"] * 20
    assert 1 <= PEAK.most <= 5
    target.close()


def test_the_async_client_maps_a_refusal_like_the_sync_client(base_url):
    target = plain(base_url)  # alice's variable unset: anonymous calls only
    synced = target.ask("q")

    async def once() -> Answer:
        client = capability(target, AsyncAnswers).client(1)
        try:
            return await client.ask("q")
        finally:
            await client.aclose()

    answered = run_in_own_loop(once())
    assert (answered.status, answered.text, answered.error) == (
        synced.status,
        synced.text,
        synced.error,
    )
    assert "HTTP 401: no credentials were sent for an anonymous caller" in answered.error
    target.close()


def test_the_load_generator_asks_a_streaming_target_from_its_loop_and_reports_ttft(base_url):
    target = streaming(base_url, "/openai", delta="choices[0].delta.content")
    run = run_open_load(target, [LoadRequest("q")], rate_rps=100, duration_s=0.5, max_requests=40)
    assert run.errors == 0 and len(run.samples) == run.planned > 0
    assert run.ttft_ms(95) is not None and 0 < run.ttft_ms(95) <= run.latency_ms(100)
    target.close()


def test_the_async_client_takes_the_proxy_the_environment_names_unless_no_proxy_covers_it(
    monkeypatch,
):
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    assert env_proxy("http://api.internal/v1/ask") == "http://proxy.internal:3128"
    assert env_proxy("http://127.0.0.1:8080/v1/ask") is None
    assert env_proxy("https://api.internal/v1/ask") is None
