"""The fault proxy in front of `playbook serve` on 127.0.0.1: each toxic does what it says."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from playbook.errors import PlaybookError
from playbook.faultproxy import FaultProxy, Toxic

from .conftest import GOLDEN, Serve, closed_port

pytestmark = pytest.mark.service

QUESTION = {"question": GOLDEN[0]}


@pytest.fixture(scope="module")
def proxy(serve: Serve) -> Iterator[FaultProxy]:
    """A fault proxy whose upstream is the served prototype (no authentication)."""
    with FaultProxy(serve("prototype").url, seed=7) as running:
        yield running


@pytest.fixture
def client(proxy: FaultProxy) -> Iterator[httpx.Client]:
    proxy.clear_toxics()
    with httpx.Client(base_url=proxy.url, timeout=5, trust_env=False) as http:
        yield http
    proxy.clear_toxics()


def test_without_toxics_the_proxy_passes_the_service_reply_through(client, proxy) -> None:
    before = proxy.received
    reply = client.post("/v1/ask", json=QUESTION)
    assert reply.status_code == 200
    body = reply.json()
    assert body["status"] == "ok" and body["sources"][0] == {"id": "HB-001"}
    assert reply.headers["x-trace-id"] == body["trace_id"]
    assert reply.headers["connection"] == "close"
    assert proxy.received == before + 1
    assert proxy.events()[-1].toxic is None and proxy.events()[-1].status == 200


def test_latency_holds_the_reply_before_sending_it(client, proxy) -> None:
    proxy.set_toxics(Toxic("latency", latency_ms=300))
    started = time.monotonic()
    reply = client.post("/v1/ask", json=QUESTION)
    assert reply.status_code == 200 and reply.json()["status"] == "ok"
    assert time.monotonic() - started >= 0.3
    assert proxy.events()[-1].toxic == "latency"


def test_timeout_sends_nothing_and_closes_after_its_time(client, proxy) -> None:
    proxy.set_toxics(Toxic("timeout", timeout_ms=200))
    started = time.monotonic()
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/v1/ask", json=QUESTION)
    assert time.monotonic() - started >= 0.2
    assert proxy.events()[-1].status is None


def test_timeout_without_a_time_holds_until_the_client_gives_up(proxy) -> None:
    proxy.set_toxics(Toxic("timeout"))
    with (
        httpx.Client(base_url=proxy.url, timeout=0.3, trust_env=False) as impatient,
        pytest.raises(httpx.ReadTimeout),
    ):
        impatient.post("/v1/ask", json=QUESTION)
    proxy.clear_toxics()


def test_reset_peer_resets_the_connection(client, proxy) -> None:
    proxy.set_toxics(Toxic("reset_peer"))
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)) as raised:
        client.post("/v1/ask", json=QUESTION)
    assert "reset" in str(raised.value).lower() or isinstance(raised.value, httpx.ReadError)


def test_limit_data_cuts_the_reply_short(client, proxy) -> None:
    whole = client.post("/v1/ask", json=QUESTION)
    head = len(whole.content) // 2
    proxy.set_toxics(Toxic("limit_data", bytes=400 + head))
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/v1/ask", json=QUESTION)


def test_status_answers_429_with_retry_after_without_calling_the_service(
    client, proxy, serve
) -> None:
    served = serve("prototype").system
    asked = len(served.history(None))
    proxy.set_toxics(Toxic("status", status=429, retry_after=2))
    reply = client.post("/v1/ask", json=QUESTION)
    assert reply.status_code == 429 and reply.headers["retry-after"] == "2"
    assert reply.json()["error"]["type"] == "rate_limit_error"
    assert len(served.history(None)) == asked  # the upstream never saw it


def test_status_answers_a_5xx_with_an_error_body(client, proxy) -> None:
    proxy.set_toxics(Toxic("status", status=503))
    reply = client.post("/v1/ask", json=QUESTION)
    assert reply.status_code == 503 and "injected 503" in reply.json()["error"]["message"]


def test_malformed_sends_a_200_whose_body_is_cut_off_json(client, proxy) -> None:
    proxy.set_toxics(Toxic("malformed"))
    reply = client.post("/v1/ask", json=QUESTION)
    assert reply.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        reply.json()


def test_body_sends_the_body_it_is_given(client, proxy) -> None:
    proxy.set_toxics(Toxic("body", body=b'{"answer": "fluent nonsense"}'))
    reply = client.post("/v1/ask", json=QUESTION)
    assert reply.status_code == 200 and reply.json() == {"answer": "fluent nonsense"}


def test_a_toxicity_below_one_strikes_the_same_requests_on_every_run(client, proxy) -> None:
    def struck() -> list[bool]:
        proxy.set_toxics(Toxic("status", toxicity=0.5, status=503))
        return [client.post("/v1/ask", json=QUESTION).status_code == 503 for _ in range(12)]

    first, second = struck(), struck()
    assert first == second
    assert 0 < sum(first) < 12


def test_the_first_toxic_that_strikes_wins_and_the_strike_is_recorded_on_arrival(
    client, proxy
) -> None:
    proxy.set_toxics(Toxic("status", status=500, toxicity=0.0), Toxic("status", status=502))
    mark = proxy.received
    assert client.post("/v1/ask", json=QUESTION).status_code == 502
    assert proxy.toxics_since(mark) == ["status"]


def test_an_unreachable_upstream_is_a_502_from_the_proxy() -> None:
    with (
        FaultProxy(f"http://127.0.0.1:{closed_port()}") as dead,
        httpx.Client(base_url=dead.url, timeout=5, trust_env=False) as http,
    ):
        reply = http.post("/v1/ask", json=QUESTION)
    assert reply.status_code == 502 and "cannot reach the upstream" in reply.text


def test_the_proxy_listens_on_loopback_only_and_needs_an_http_upstream() -> None:
    with pytest.raises(PlaybookError, match="field 'host'"):
        FaultProxy("http://127.0.0.1:8080", host="0.0.0.0")
    with pytest.raises(PlaybookError, match="field 'upstream'"):
        FaultProxy("ftp://example.org")
    with pytest.raises(PlaybookError, match="field 'toxicity'"):
        Toxic("latency", toxicity=2.0)
    with pytest.raises(PlaybookError, match="field 'type'"):
        Toxic("slow_close")  # type: ignore[arg-type]
