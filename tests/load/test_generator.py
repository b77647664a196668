"""The open-model generator: arrivals on schedule, latency from the scheduled time, and a run the
generator could not keep up with reported invalid rather than blamed on the target."""

from __future__ import annotations

import statistics
import threading
import time

import numpy as np
import pytest

from playbook.load import (
    LoadRun,
    Request,
    Sample,
    arrival_offsets,
    capacity_rps,
    run_closed_loop,
    run_open_load,
)
from playbook.targets.base import Answer


class Stalling:
    """A one-worker service that stalls for a second on its tenth request."""

    spec = "test:stalling"

    def __init__(self, stall_at: int = 10, stall_s: float = 1.0, service_s: float = 0.01):
        self.count = 0
        self.lock = threading.Lock()
        self.stall_at, self.stall_s, self.service_s = stall_at, stall_s, service_s

    def ask(self, question: str, user: str | None = None) -> Answer:
        with self.lock:  # one request at a time, as a single worker serves them
            self.count += 1
            time.sleep(self.stall_s if self.count == self.stall_at else self.service_s)
        return Answer("ok", timings={"retrieval": self.service_s})

    def close(self) -> None:
        pass


def test_arrivals_are_bounded_by_count_and_duration_at_the_asked_rate():
    fixed = arrival_offsets(10, 2.0, 1_000, "fixed")
    assert len(fixed) == 20 and fixed[0] == pytest.approx(0.1) and fixed[-1] <= 2.0
    assert arrival_offsets(10, 2.0, 5, "fixed") == fixed[:5]
    poisson = arrival_offsets(200, 50.0, 100_000, "poisson", seed=3)
    gaps = np.diff([0.0, *poisson])
    assert statistics.mean(gaps) == pytest.approx(1 / 200, rel=0.05)
    assert statistics.stdev(gaps) == pytest.approx(1 / 200, rel=0.1)  # exponential: sd = mean
    assert arrival_offsets(0, 1, 10) == [] and arrival_offsets(5, 1, 0) == []


def test_a_stall_shows_in_the_open_model_percentiles_and_a_closed_loop_hides_it():
    requests = [Request("How long?")]
    opened = run_open_load(Stalling(), requests, 20, 3.0, 60, arrivals="fixed")
    closed = run_closed_loop(Stalling(), requests, 60)
    assert opened.valid, opened.invalid_reason
    # the requests due during the stall waited for it: a tenth of them took 0.5 s or more
    assert opened.latency_ms(95) > 500
    # the closed loop sent nothing during the stall, so only the stalled request saw it
    assert closed.latency_ms(95) < 50 and closed.latency_ms(99) > 900


def test_percentiles_of_a_run_are_numpys_inverted_cdf_of_its_latencies():
    rng = np.random.default_rng(5)
    latencies = rng.lognormal(-3, 1, 997)
    samples = tuple(Sample(0.0, 0.0, float(value), "ok") for value in latencies)
    run = LoadRun(10, "poisson", len(samples), samples, 1.0, 0.1)
    for q in (50, 95, 99):
        expected = np.percentile(latencies, q, method="inverted_cdf") * 1000
        assert run.latency_ms(q) == pytest.approx(expected)


def test_a_generator_that_cannot_keep_its_schedule_is_invalid_and_never_a_verdict():
    slow = Stalling(stall_at=0, service_s=0.05)
    # one worker for a target taking 50 ms, asked 40 times a second: requests wait for the
    # generator's only worker, so it is the generator that sets the pace
    run = run_open_load(slow, [Request("q")], 40, 1.0, 40, arrivals="fixed", workers=1)
    assert not run.valid
    assert "the generator fell behind its schedule" in run.invalid_reason
    capacity, why = capacity_rps([run], p95_budget_ms=10_000, max_error_rate=0.01)
    assert capacity is None and "generator fell behind" in why


def test_errors_and_unanswered_requests_count_against_the_run():
    class Failing(Stalling):
        def ask(self, question, user=None):
            return Answer("boom", status="error")

    run = run_open_load(Failing(), [Request("q")], 50, 0.5, 20, arrivals="fixed")
    assert run.error_rate == 1.0 and run.throughput_rps == 0.0
    hung = run_open_load(
        Stalling(stall_at=1, stall_s=1.0), [Request("q")], 10, 0.2, 2, "fixed", timeout_s=0.3
    )
    assert hung.errors >= 1
    assert hung.first_problem == "no answer within 0.3 s"


def test_a_failed_request_keeps_its_reason_before_its_text():
    """The reason a target gives (an HTTP target's 'HTTP 401: ...', a Python callable's wrong
    return) names the failure; the text a user saw stands in when there is none."""

    class Refusing(Stalling):
        def ask(self, question, user=None):
            if question == "reason":
                return Answer('{"error":"unauthorised"}', status="error", error="HTTP 401: why")
            return Answer("  boom\n  again ", status="error")

    run = run_closed_loop(Refusing(), [Request("reason"), Request("text")], 2)
    assert [sample.problem for sample in run.samples] == ["HTTP 401: why", "boom again"]
    assert run.first_problem == "HTTP 401: why"


def test_capacity_is_the_highest_rate_that_held_the_budget():
    def run_at(rate: float, seconds: float) -> LoadRun:
        samples = tuple(Sample(0.0, 0.0, seconds, "ok") for _ in range(20))
        return LoadRun(rate, "poisson", 20, samples, 1.0, 0.1)

    runs = [run_at(1, 0.1), run_at(2, 0.2), run_at(4, 3.0), run_at(8, 0.1)]
    capacity, why = capacity_rps(runs, p95_budget_ms=2_500, max_error_rate=0.01)
    assert capacity == 2 and "at 4 req/s: p95 3000 ms" in why
