"""What a load run measured: one sample per request, and the run's summary.

Latency is measured from each request's *scheduled* send time, not from when it was actually
sent: a system that stalls makes the requests behind it late, and a user waits for all of that
(a closed loop that waits for each answer before sending the next would hide it; this is
"coordinated omission"). The gap between scheduled and actual send is the generator's own lag:
when it is large, the generator could not keep its schedule and the measurement says nothing
about the target.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from playbook.percentiles import percentile

MAX_LAG_S = 0.010  # p99 schedule lag above this: the generator, not the target, set the pace
ERROR_STATUSES = frozenset({"error"})
SUMMARY_COLUMNS = (
    "source",
    "rate_rps",
    "requests",
    "errors",
    "error_rate",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "throughput_rps",
    "valid",
)


@dataclass(frozen=True)
class Sample:
    """One request: when it was due, when it left, when its answer was complete (seconds from
    the start of the run), its status and the stage timings and first token the target gave."""

    scheduled: float
    started: float
    finished: float
    status: str  # an AnswerStatus, or "error" for no answer in time
    stages: Mapping[str, float] = field(default_factory=dict)
    first_token: float | None = None  # seconds from the request's start, when it streamed
    trace_id: str | None = None  # the answer's trace, to find its spans
    problem: str = ""  # why a failed request got no answer (its error text), else ""

    @property
    def latency(self) -> float:
        """What the user waited: from when the request was due to its complete answer."""
        return self.finished - self.scheduled

    @property
    def lag(self) -> float:
        """How late the generator sent it."""
        return self.started - self.scheduled

    @property
    def ttft(self) -> float | None:
        """Time to first token, from when the request was due."""
        if self.first_token is None:
            return None
        return self.lag + self.first_token


@dataclass(frozen=True)
class LoadRun:
    """One load phase at one arrival rate."""

    rate_rps: float
    arrivals: str  # "poisson" or "fixed"
    planned: int  # requests the schedule held
    samples: tuple[Sample, ...]
    wall_s: float
    cpu_share: float  # CPU seconds of this process per wall second (2.0 = two cores busy)
    in_flight_max: int = 0
    note: str = ""  # why the run stopped early, if it did
    max_lag_s: float = MAX_LAG_S  # the schedule lag (p99) above which the run is invalid
    stage_source: str = ""  # where stage timings came from, when not from the target's answers

    @property
    def latencies(self) -> list[float]:
        return [sample.latency for sample in self.samples]

    def latency_ms(self, q: float) -> float | None:
        """The q-th percentile (0..100) of latency in ms, nearest rank; None without samples."""
        values = self.latencies
        return percentile(values, q) * 1000.0 if values else None

    @property
    def errors(self) -> int:
        return sum(sample.status in ERROR_STATUSES for sample in self.samples) + (
            self.planned - len(self.samples)
        )

    @property
    def first_problem(self) -> str:
        """Why the first failed request got no answer ("" when none failed or none said)."""
        return next(
            (s.problem for s in self.samples if s.status in ERROR_STATUSES and s.problem), ""
        )

    def unanswered_beyond(self, q: float) -> bool:
        """True when more requests failed than the share above the q-th percentile: then
        fewer than q % of the users got an answer at all, however fast the failures were."""
        return self.errors > self.planned * (1.0 - q / 100.0)

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.planned if self.planned else None

    @property
    def throughput_rps(self) -> float:
        """Answers completed without error per second of the run."""
        done = sum(sample.status not in ERROR_STATUSES for sample in self.samples)
        return done / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def lag_p99_ms(self) -> float | None:
        lags = [sample.lag for sample in self.samples]
        return percentile(lags, 99) * 1000.0 if lags else None

    @property
    def invalid_reason(self) -> str | None:
        """Why this run says nothing about the target (None when it is a fair measurement)."""
        if not self.samples:
            return "no request was sent"
        lag = self.lag_p99_ms or 0.0
        if lag > self.max_lag_s * 1000.0:
            return (
                f"the generator fell behind its schedule (p99 lag {lag:.0f} ms > "
                f"{self.max_lag_s * 1000:.0f} ms; CPU {self.cpu_share:.1f} cores): it, not the "
                "target, set the pace"
            )
        return None

    @property
    def valid(self) -> bool:
        return self.invalid_reason is None

    def stage_ms(self, stage: str, q: float = 95) -> float | None:
        """The q-th percentile of a stage's own timing in ms, from the samples that report it."""
        values = [s.stages[stage] for s in self.samples if stage in s.stages]
        return percentile(values, q) * 1000.0 if values else None

    @property
    def stages(self) -> list[str]:
        """Stages the target reported timings for (the total excluded)."""
        seen: dict[str, None] = {}
        for sample in self.samples:
            for name in sample.stages:
                if name not in ("total", "server_total", "first_token"):
                    seen[name] = None
        return list(seen)

    def ttft_ms(self, q: float = 95) -> float | None:
        """The q-th percentile of time to first token, None when nothing streamed. A request
        that failed before its first token waited its whole latency for it: counting only the
        answered ones would let a system that drops most requests pass."""
        if not any(sample.first_token is not None for sample in self.samples):
            return None
        values = [
            sample.latency if (ttft := sample.ttft) is None else ttft
            for sample in self.samples
            if sample.first_token is not None or sample.status in ERROR_STATUSES
        ]
        return percentile(values, q) * 1000.0

    def summary(self, source: str = "playbook") -> dict[str, object]:
        """One row of the load tables (Locust's runs fill the same columns)."""
        return {
            "source": source,
            "rate_rps": round(self.rate_rps, 3),
            "requests": self.planned,
            "errors": self.errors,
            "error_rate": self.error_rate,
            "p50_ms": self.latency_ms(50),
            "p95_ms": self.latency_ms(95),
            "p99_ms": self.latency_ms(99),
            "throughput_rps": round(self.throughput_rps, 3),
            "valid": self.valid,
        }


def capacity_rps(
    runs: Sequence[LoadRun], p95_budget_ms: float, max_error_rate: float
) -> tuple[float | None, str]:
    """The highest arrival rate whose run held the p95 budget with errors under the limit, and
    why the next rate did not (a sweep stops meaning anything at the first invalid run)."""
    best: float | None = None
    why = "every rate held the budget"
    for run in sorted(runs, key=lambda item: item.rate_rps):
        if not run.valid:
            why = f"at {run.rate_rps:g} req/s: {run.invalid_reason}"
            break
        p95 = run.latency_ms(95)
        rate = run.error_rate or 0.0
        if p95 is None or p95 > p95_budget_ms or rate > max_error_rate:
            shown = "no answers" if p95 is None else f"p95 {p95:.0f} ms"
            why = f"at {run.rate_rps:g} req/s: {shown}, errors {rate:.1%}"
            break
        best = run.rate_rps
    return best, why
