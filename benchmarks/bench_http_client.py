"""Benchmark of the asyncio HTTP client behind `HttpTarget.capability(AsyncAnswers)`: aiohttp (the
one the adapter uses) against httpx.AsyncClient, both through the adapter's own Exchange (request
building and reply mapping), driven by the open-model load generator at rising arrival rates.

Plain script: `python benchmarks/bench_http_client.py --rates 250 500 1000 1500 --seconds 2`.
A trivial JSON API runs in a subprocess on 127.0.0.1 (raw asyncio, so it costs the client's
process nothing); every phase is bounded by --seconds and rate x seconds requests. The verdict
names the client that keeps a 1000 req/s schedule (p99 lag under 5 ms) with the lower latency.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import httpx

from playbook.engagement import HttpTarget as HttpTargetConfig
from playbook.load import LoadRun, Request, run_open_load
from playbook.load.generator import DEFAULT_WORKERS
from playbook.targets.base import Answer
from playbook.targets.capabilities import AsyncAnswers, AsyncClient
from playbook.targets.http import AsyncHttpClient, HttpMapping, HttpTarget

RATES = (250, 500, 1000, 1500)
KEPT_RATE = 1000  # the schedule the chosen client must keep
MAX_LAG_MS = 5.0

# One JSON answer for every request, HTTP/1.1 keep-alive; request bodies read by Content-Length.
SERVER = r"""
import asyncio
import sys

DELAY_S = float(sys.argv[1]) / 1000 if len(sys.argv) > 1 else 0.0  # each reply held this long

BODY = b'{"answer": "Every employee receives 25 days.", "sources": [{"id": "HB-001"}]}'
REPLY = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
    + str(len(BODY)).encode() + b"\r\n\r\n" + BODY
)


class Answering(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buffer = transport, b""

    def data_received(self, data):
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            length = 0
            for line in self.buffer[:end].split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            if DELAY_S:
                asyncio.get_running_loop().call_later(DELAY_S, self.transport.write, REPLY)
            else:
                self.transport.write(REPLY)


async def main():
    server = await asyncio.get_running_loop().create_server(
        Answering, "127.0.0.1", 0, backlog=2048
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


asyncio.run(main())
"""


class HttpxAsyncClient:
    """The alternative measured: httpx.AsyncClient, through the same Exchange as aiohttp's."""

    def __init__(self, mapping: HttpMapping, concurrency: int) -> None:
        self._mapping = mapping
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(mapping.config.timeout_s),
            headers=mapping.config.headers,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            follow_redirects=False,
        )

    async def ask(self, question: str, user: str | None = None) -> Answer:
        exchange = self._mapping.start(question, user)
        try:
            async with self._client.stream(
                "POST",
                exchange.url,
                content=exchange.content,
                headers=exchange.headers,
                params=exchange.params,
            ) as response:
                if not exchange.head(
                    response.status_code, response.reason_phrase, response.headers
                ):
                    return exchange.reply(await response.aread())
                async for data in response.aiter_bytes():
                    if exchange.feed(data):
                        break
                return exchange.streamed()
        except Exception as exc:
            return exchange.failed(exc, timed_out=isinstance(exc, httpx.TimeoutException))

    async def aclose(self) -> None:
        await self._client.aclose()


ClientFactory = Callable[[HttpMapping, int], AsyncClient]
CLIENTS: dict[str, ClientFactory] = {"aiohttp": AsyncHttpClient, "httpx": HttpxAsyncClient}


class Through:
    """An HttpTarget whose asyncio clients are made by `factory`."""

    def __init__(self, target: HttpTarget, factory: ClientFactory) -> None:
        self.target = target
        self.factory = factory
        self.spec = target.spec

    def ask(self, question: str, user: str | None = None) -> Answer:
        return self.target.ask(question, user)

    def capability(self, kind: type) -> Any:
        return self if kind is AsyncAnswers else None

    def client(self, concurrency: int) -> AsyncClient:
        return self.factory(self.target.mapping, concurrency)


def row(name: str, run: LoadRun) -> dict[str, object]:
    return {
        "client": name,
        "rate": f"{run.rate_rps:g}",
        "sent": len(run.samples),
        "errors": run.errors,
        "p50_ms": run.latency_ms(50),
        "p95_ms": run.latency_ms(95),
        "p99_ms": run.latency_ms(99),
        "lag_p99_ms": run.lag_p99_ms,
        "cpu": run.cpu_share,
        "in_flight": run.in_flight_max,
        "note": run.note,
    }


def cell(value: object) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def show(rows: list[dict[str, object]]) -> None:
    columns = ("client", "rate", "sent", "errors", "p50_ms", "p95_ms", "p99_ms", "lag_p99_ms")
    columns += ("cpu", "in_flight")
    print(" ".join(f"{name:>10}" for name in columns), " note")
    for r in rows:
        cells = [f"{cell(r[name]):>10}" for name in columns]
        print(" ".join(cells), "", r["note"])


def verdict(rows: list[dict[str, object]]) -> str:
    """The client that keeps KEPT_RATE with p99 lag under MAX_LAG_MS and the lower p99 latency."""
    kept = [
        r
        for r in rows
        if r["rate"] == f"{KEPT_RATE:g}"
        and r["errors"] == 0
        and r["lag_p99_ms"] is not None
        and r["lag_p99_ms"] < MAX_LAG_MS
    ]
    if not kept:
        return f"no client kept {KEPT_RATE} req/s with p99 lag under {MAX_LAG_MS:g} ms"
    best = min(kept, key=lambda r: r["p99_ms"])
    return (
        f"{best['client']}: keeps {KEPT_RATE} req/s (p99 lag {best['lag_p99_ms']:.1f} ms, "
        f"p99 latency {best['p99_ms']:.1f} ms)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=float, nargs="+", default=list(RATES))
    parser.add_argument("--seconds", type=float, default=2.0, help="length of each phase")
    parser.add_argument("--clients", nargs="+", choices=sorted(CLIENTS), default=list(CLIENTS))
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="requests in flight")
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())  # type: ignore[union-attr]
        target = HttpTarget(
            f"http://127.0.0.1:{port}/v1/ask",
            HttpTargetConfig(response={"answer": "answer", "sources": "sources[*].id"}),
        )
        requests = [Request("How many days of annual leave do I get?", None)]
        rows = []
        for name in args.clients:
            through = Through(target, CLIENTS[name])
            run_open_load(through, requests, 200, 0.5, 100, workers=args.workers)  # warm-up
            for rate in args.rates:
                run = run_open_load(
                    through,
                    requests,
                    rate,
                    args.seconds,
                    int(rate * args.seconds),
                    arrivals="poisson",
                    workers=args.workers,
                )
                rows.append(row(name, run))
        target.close()
    finally:
        server.terminate()
        server.wait(10)
    show(rows)
    print(verdict(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
