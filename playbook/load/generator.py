"""An open-model load generator: requests arrive on a schedule, whatever the target does.

Arrivals are Poisson (independent users) or at a fixed interval, bounded by a request count and
a duration. Each request's latency is measured from its scheduled time (see `results`), and the
generator measures its own lag and CPU so that a run it could not keep up with is reported
invalid instead of blamed on the target.

An asyncio loop in its own thread (a Jupyter kernel already runs one) schedules the requests.
A target that offers `AsyncAnswers` (an HTTP service) is asked from that loop directly; any other
target is asked from a pool of threads, as many as requests may be in flight.

Written here rather than taken from Locust: Locust simulates users in a closed loop (each waits
for its answer before the next question) and hangs inside Jupyter kernels; it is the scale-out
path (`playbook load`), this is the in-notebook measurement.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Literal

from playbook.errors import one_line
from playbook.load.results import MAX_LAG_S, LoadRun, Sample
from playbook.targets.base import Answer
from playbook.targets.capabilities import AsyncAnswers, capability

Arrivals = Literal["poisson", "fixed"]
DEFAULT_WORKERS = 64  # requests in flight at most on the thread route
DEFAULT_TIMEOUT_S = 30.0  # a request still unanswered after this is an error
SEED = 7
PROBLEM_CHARS = 200  # of a failed answer's text kept as the reason it failed


@dataclass(frozen=True)
class Request:
    """One question to ask, as one user."""

    question: str
    user: str | None = None


def arrival_offsets(
    rate_rps: float,
    duration_s: float,
    max_requests: int,
    arrivals: Arrivals = "poisson",
    seed: int = SEED,
) -> list[float]:
    """Seconds from the start at which each request is due: Poisson or evenly spaced arrivals
    at `rate_rps`, as many as fit in `duration_s`, at most `max_requests`."""
    if rate_rps <= 0 or duration_s <= 0 or max_requests <= 0:
        return []
    if arrivals == "fixed":  # multiplied, not summed: no drift from adding 0.1 twenty times
        count = min(max_requests, int(duration_s * rate_rps + 1e-9))
        return [(number + 1) / rate_rps for number in range(count)]
    offsets: list[float] = []
    rng = random.Random(seed)
    now = 0.0
    while len(offsets) < max_requests:
        now += rng.expovariate(rate_rps)
        if now > duration_s:
            break
        offsets.append(now)
    return offsets


def run_open_load(
    target: object,
    requests: Sequence[Request],
    rate_rps: float,
    duration_s: float,
    max_requests: int,
    arrivals: Arrivals = "poisson",
    seed: int = SEED,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    workers: int = DEFAULT_WORKERS,
    max_lag_s: float = MAX_LAG_S,
) -> LoadRun:
    """Send `requests` (cycled) to `target` on an open-model schedule and measure every answer;
    a p99 schedule lag over `max_lag_s` makes the run invalid."""
    offsets = arrival_offsets(rate_rps, duration_s, max_requests, arrivals, seed)
    if not requests or not offsets:
        return LoadRun(rate_rps, arrivals, len(offsets), (), 0.0, 0.0, note="nothing to send")
    holder: dict[str, LoadRun] = {}

    def drive() -> None:
        run = asyncio.run(_drive(target, requests, offsets, rate_rps, arrivals, timeout_s, workers))
        holder["run"] = replace(run, max_lag_s=max_lag_s)

    thread = threading.Thread(target=drive, name="playbook-load", daemon=True)
    thread.start()
    thread.join(duration_s + timeout_s + 30.0)  # bounded even if a request never returns
    if "run" not in holder:
        return LoadRun(
            rate_rps, arrivals, len(offsets), (), duration_s, 0.0, note="the load run hung"
        )
    return holder["run"]


async def _drive(
    target: object,
    requests: Sequence[Request],
    offsets: Sequence[float],
    rate_rps: float,
    arrivals: Arrivals,
    timeout_s: float,
    workers: int,
) -> LoadRun:
    offer = capability(target, AsyncAnswers)
    client = offer.client(workers) if offer is not None else None
    pool = None if client is not None else ThreadPoolExecutor(workers, "playbook-load-ask")
    loop = asyncio.get_running_loop()
    origin = time.perf_counter()
    cpu_start = time.process_time()
    in_flight = 0
    in_flight_max = 0
    samples: list[Sample | None] = [None] * len(offsets)

    def timed_ask(request: Request) -> tuple[float, Answer]:
        started = time.perf_counter() - origin  # when a worker took it: the pool's wait is lag
        return started, target.ask(request.question, request.user)  # type: ignore[attr-defined]

    async def one(index: int, due: float) -> None:
        nonlocal in_flight, in_flight_max
        request = requests[index % len(requests)]
        in_flight += 1
        in_flight_max = max(in_flight_max, in_flight)
        started = time.perf_counter() - origin
        try:
            if client is not None:
                answer = await asyncio.wait_for(
                    client.ask(request.question, request.user), timeout_s
                )
            else:
                started, answer = await asyncio.wait_for(
                    loop.run_in_executor(pool, timed_ask, request), timeout_s
                )
            status, stages, trace_id = answer.status, dict(answer.timings), answer.trace_id
            problem = _problem(answer)
        except TimeoutError:
            status, stages, trace_id = "error", {}, None
            problem = f"no answer within {timeout_s:g} s"
        finally:
            in_flight -= 1
        finished = time.perf_counter() - origin
        first = stages.pop("first_token", None)
        samples[index] = Sample(due, started, finished, status, stages, first, trace_id, problem)

    tasks = []
    try:
        for index, due in enumerate(offsets):
            delay = due - (time.perf_counter() - origin)
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(index, due)))
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        wall = time.perf_counter() - origin
        cpu = time.process_time() - cpu_start
        if client is not None:
            await client.aclose()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
    done = tuple(sample for sample in samples if sample is not None)
    return LoadRun(
        rate_rps, arrivals, len(offsets), done, wall, cpu / wall if wall else 0.0, in_flight_max
    )


def _problem(answer: Answer) -> str:
    """Why a failed answer failed, shortened: its reason, else its text, as notebook 00's smoke
    test reads it ("" for any other answer)."""
    if answer.status != "error":
        return ""
    return one_line(str(answer.error or answer.text), PROBLEM_CHARS)


def run_closed_loop(target: object, requests: Sequence[Request], count: int) -> LoadRun:
    """Ask `count` questions one after another, each sent when the last one is answered, and
    time each from its actual send: how a naive benchmark measures (and hides a stall in)."""
    origin = time.perf_counter()
    cpu_start = time.process_time()
    samples = []
    for index in range(count):
        request = requests[index % len(requests)]
        started = time.perf_counter() - origin
        answer = target.ask(request.question, request.user)  # type: ignore[attr-defined]
        finished = time.perf_counter() - origin
        stages = dict(answer.timings)
        first = stages.pop("first_token", None)
        samples.append(
            Sample(
                started,
                started,
                finished,
                answer.status,
                stages,
                first,
                answer.trace_id,
                _problem(answer),
            )
        )
    wall = time.perf_counter() - origin
    cpu = time.process_time() - cpu_start
    rate = count / wall if wall else 0.0
    return LoadRun(rate, "closed", count, tuple(samples), wall, cpu / wall if wall else 0.0, 1)
