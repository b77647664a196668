"""The latency experiments of notebook 04: load at the decided peak, a sweep over arrival rates,
latency against corpus size, repeated questions, and what waiting costs the team.

Everything is sized from the run depth and the latency-budget decision. Where the target can be
scaled to the corpus size the system will hold in production (`CorpusScaling`, the reference
system), the load runs at that size: a demo's small sample says nothing about next year's index.
A team's own service is loaded as it is.
"""

from __future__ import annotations

import contextlib
import csv
import math
import time
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from playbook.engagement import DepthBudget, Engagement
from playbook.errors import PlaybookError
from playbook.golden import GoldenItem, sample_golden
from playbook.load import MAX_LAG_S, LoadRun, Request, run_closed_loop, run_open_load
from playbook.percentiles import percentile
from playbook.safe_files import read_text
from playbook.targets.base import Target
from playbook.targets.capabilities import (
    CorpusScaling,
    Serving,
    SpanRecord,
    Spans,
    capability,
    stage_of,
    why_missing,
)

SWEEP_FACTORS = (1.0, 1.5, 2.0, 3.0)  # arrival rates of the sweep, as multiples of the peak
MIN_PHASE_REQUESTS = 20  # a phase shorter than this gives no p95 worth reading
SCALING_QUESTIONS = 6  # questions asked one by one at each corpus size
WORKING_DAYS_A_MONTH = 21
SPAN_WAIT_S = 3.0  # an SDK exports spans in batches: the last answers' spans arrive after them
CACHE_HIT_SHARE = 0.5  # a repeat answered in under half its first time was served from a cache
MAX_LOG_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class LatencySettings:
    """What the experiments may spend, from the depth and the latency budget."""

    peak_rps: float
    phase_s: float  # seconds of arrivals per load phase
    max_requests: int  # requests per phase at most
    timeout_s: float  # a request still unanswered after this is an error
    sweep_factors: tuple[float, ...]
    corpus_sizes: tuple[int, ...]
    production_documents: int | None
    scaling_questions: int
    repeat_questions: int  # distinct questions of the repeated mix
    max_lag_s: float = MAX_LAG_S  # generator lag that invalidates a phase
    repeat_s: float = math.inf  # the repeated mix stops after this, once one pair is asked
    seed: int = 7

    def phase(self, rate_rps: float) -> tuple[float, int]:
        """Seconds and request cap of a phase at `rate_rps`: long enough for a p95 of at least
        MIN_PHASE_REQUESTS requests, within the depth's request budget."""
        seconds = max(self.phase_s, MIN_PHASE_REQUESTS / rate_rps)
        return seconds, max(MIN_PHASE_REQUESTS, min(self.max_requests, round(rate_rps * seconds)))


def latency_settings(budget: DepthBudget, latency_budget: object) -> LatencySettings:
    """Settings for a depth and the latency-budget decision (`decisions.latency_budget`)."""
    p99 = latency_budget.p99_budget_ms / 1000.0  # type: ignore[attr-defined]
    return LatencySettings(
        peak_rps=float(latency_budget.peak_rps),  # type: ignore[attr-defined]
        phase_s=max(budget.seconds, 3.0),
        max_requests=budget.requests,
        timeout_s=max(2.0, 1.5 * p99),  # twice past the p99 budget the user has long gone
        sweep_factors=SWEEP_FACTORS,
        corpus_sizes=budget.corpus_sizes,
        production_documents=latency_budget.production_documents,  # type: ignore[attr-defined]
        scaling_questions=SCALING_QUESTIONS,
        repeat_questions=max(5, budget.questions // 2),
        # half a series' time: on a prototype re-reading 500 pages per question, ten pairs took
        # 9 s of the quick run's longest notebook, which runs alone; five tell the same
        repeat_s=budget.probe_seconds / 2,
        # the generator shares the machine with the target: a lag it cannot avoid is fine up to
        # a fiftieth of the budget it is measured against
        max_lag_s=max(MAX_LAG_S, latency_budget.p95_ms / 1000.0 / 50),  # type: ignore[attr-defined]
    )


def load_requests(items: Sequence[GoldenItem], count: int, seed: int = 7) -> list[Request]:
    """The questions of a load run: answerable golden questions (a seeded sample), each asked
    by its own user, so the access filter is part of what is measured."""
    answerable = [item for item in items if item.answerable]
    chosen = sample_golden(answerable, count, seed) if answerable else []
    return [Request(item.question, item.user) for item in chosen]


# ---- the target measured at its production size ------------------------------------------------


@dataclass
class MeasuredTarget:
    """The target the load runs against, and how it relates to the engagement's target."""

    target: Target
    documents: int | None  # the corpus size it was scaled to; None: the target as it is
    note: str
    owned: bool = False  # opened here, closed by `close()`

    def close(self) -> None:
        if self.owned:
            self.target.close()


def production_size_target(
    target: Target, settings: LatencySettings, workdir: Path
) -> MeasuredTarget:
    """The target scaled to the decided production corpus size where it can be, else itself."""
    size = settings.production_documents
    if size is None:
        return MeasuredTarget(target, None, "the target as it is (no production size decided)")
    scaling = capability(target, CorpusScaling)
    if scaling is None:
        why = why_missing(target, CorpusScaling)
        return MeasuredTarget(target, None, f"the target as it is ({why})")
    scaled = scaling.open(size, scaling.profiles[0], workdir)
    return MeasuredTarget(scaled, size, f"the target over {size:,} documents", owned=True)


def served(measured: MeasuredTarget, workdir: Path) -> MeasuredTarget:
    """The measured target behind an HTTP server of its own where it offers one (`Serving`):
    an in-process target would share the load generator's interpreter and CPU."""
    serving = capability(measured.target, Serving)
    if serving is None:
        return MeasuredTarget(measured.target, measured.documents, measured.note)
    note = f"{measured.note}, served over HTTP from its own process"
    return MeasuredTarget(serving.open(workdir), measured.documents, note, owned=True)


# ---- load --------------------------------------------------------------------------------------


def peak_load(target: Target, requests: Sequence[Request], settings: LatencySettings) -> LoadRun:
    """One open-model phase at the decided peak rate."""
    seconds, cap = settings.phase(settings.peak_rps)
    return run_open_load(
        target,
        requests,
        settings.peak_rps,
        seconds,
        cap,
        seed=settings.seed,
        timeout_s=settings.timeout_s,
        max_lag_s=settings.max_lag_s,
    )


def stages_from_spans(run: LoadRun, spans: Spans | None) -> LoadRun:
    """The run with each answer's stage timings read from its trace, when the target reports no
    timings of its own but exports spans: per stage, the time its spans cover (nested spans of
    one stage counted once), stages recognised as notebook 05 recognises them. Ask for `spans`
    before the load: a declared OTLP receiver starts listening when it is first asked for."""
    if spans is None or run.stages or not run.samples:
        return run
    wanted = {sample.trace_id.lower() for sample in run.samples if sample.trace_id}
    if not wanted:
        return run
    deadline = time.monotonic() + SPAN_WAIT_S
    while True:
        by_trace: dict[str, list[SpanRecord]] = defaultdict(list)
        for span in spans.spans():
            if span.trace_id.lower() in wanted:
                by_trace[span.trace_id.lower()].append(span)
        if len(by_trace) == len(wanted) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    samples = tuple(
        replace(sample, stages=stage_seconds(by_trace[sample.trace_id.lower()]))
        if sample.trace_id and sample.trace_id.lower() in by_trace
        else sample
        for sample in run.samples
    )
    source = f"the spans of {len(by_trace)} of {len(run.samples)} answers"
    return replace(run, samples=samples, stage_source=source)


def stage_seconds(spans: Sequence[SpanRecord]) -> dict[str, float]:
    """Seconds each RAG stage took in one trace: the union of its spans' intervals."""
    intervals: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for span in spans:
        if (stage := stage_of(span)) is not None:
            intervals[stage].append((span.start_ns, span.end_ns))
    covered = {}
    for stage, spans_of_stage in intervals.items():
        total, reach = 0, None
        for start, end in sorted(spans_of_stage):
            if reach is None or start > reach:
                total, reach = total + end - start, end
            elif end > reach:
                total, reach = total + end - reach, end
        covered[stage] = total / 1e9
    return covered


@dataclass(frozen=True)
class Sweep:
    """Load phases at rising arrival rates; the sweep stops at the first rate that misses."""

    runs: tuple[LoadRun, ...]
    stopped: str = ""


def rate_sweep(
    target: Target,
    requests: Sequence[Request],
    settings: LatencySettings,
    p95_budget_ms: float,
    max_error_rate: float,
    peak: LoadRun | None = None,
) -> Sweep:
    """Phases at each sweep factor of the peak, until one misses the p95 budget or the error
    limit, or the generator cannot keep its schedule (higher rates would only queue longer).
    A phase already run at the peak rate (`peak`) stands for the factor 1."""
    runs = []
    for factor in settings.sweep_factors:
        rate = settings.peak_rps * factor
        if peak is not None and abs(peak.rate_rps - rate) < 1e-9:
            run = peak
        else:
            seconds, cap = settings.phase(rate)
            run = run_open_load(
                target,
                requests,
                rate,
                seconds,
                cap,
                seed=settings.seed,
                timeout_s=settings.timeout_s,
                max_lag_s=settings.max_lag_s,
            )
        runs.append(run)
        p95 = run.latency_ms(95)
        if not run.valid:
            return Sweep(tuple(runs), f"stopped at {rate:g} req/s: {run.invalid_reason}")
        if p95 is None or p95 > p95_budget_ms or (run.error_rate or 0.0) > max_error_rate:
            return Sweep(tuple(runs), f"stopped at {rate:g} req/s, the first rate over budget")
    return Sweep(tuple(runs))


# ---- corpus size -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScalingPoint:
    spec: str
    documents: int
    latencies: tuple[float, ...]  # seconds, questions asked one at a time
    ingest_s: float
    characters: int | None = None  # of document text served, where the target says

    def ms(self, q: float) -> float | None:
        return percentile(self.latencies, q) * 1000.0 if self.latencies else None


@dataclass(frozen=True)
class Scaling:
    points: tuple[ScalingPoint, ...]
    missing: str | None = None  # why the target could not be scaled
    own: str | None = None  # the spec of the target's own line (its label when switches differ)

    def of(self, spec: str) -> list[ScalingPoint]:
        return sorted((p for p in self.points if p.spec == spec), key=lambda p: p.documents)


@dataclass
class ScalingBuilds:
    """Each corpus size of each profile built and ingested, ready to be asked one at a time."""

    built: list[tuple[str, int, Target, float, int | None]] = field(default_factory=list)
    missing: str | None = None
    own: str | None = None

    def close(self) -> None:
        for _, _, scaled, _, _ in self.built:
            scaled.close()
        self.built.clear()


def build_scaling(
    target: Target, requests: Sequence[Request], settings: LatencySettings, workdir: Path
) -> ScalingBuilds:
    """Build every corpus size of the target's profile and of the other one (asking one question
    each, which builds and ingests; not timed as latency), where the target can be scaled."""
    scaling = capability(target, CorpusScaling)
    if scaling is None:
        return ScalingBuilds(missing=why_missing(target, CorpusScaling))
    builds = ScalingBuilds(own=scaling.profiles[0])
    first = requests[0]
    try:
        for spec in scaling.profiles:
            for size in settings.corpus_sizes:
                started = time.perf_counter()
                scaled = scaling.open(size, spec, workdir)
                builds.built.append((spec, size, scaled, 0.0, None))
                scaled.ask(first.question, first.user)
                ingest_s = time.perf_counter() - started
                builds.built[-1] = (spec, size, scaled, ingest_s, scaling.text_size(scaled))
    except BaseException:
        builds.close()
        raise
    return builds


def measure_scaling(
    builds: ScalingBuilds, requests: Sequence[Request], settings: LatencySettings
) -> Scaling:
    """Latency one question at a time at each built corpus size; closes the builds."""
    asked = list(requests[: settings.scaling_questions])
    points = []
    try:
        for spec, size, scaled, ingest_s, characters in builds.built:
            run = run_closed_loop(scaled, asked, len(asked))
            points.append(ScalingPoint(spec, size, tuple(run.latencies), ingest_s, characters))
    finally:
        builds.close()
    if builds.missing is not None:
        return Scaling((), builds.missing)
    return Scaling(tuple(points), own=builds.own)


def corpus_scaling(
    target: Target, requests: Sequence[Request], settings: LatencySettings, workdir: Path
) -> Scaling:
    """Latency one question at a time at each corpus size, for the target's profile and the
    other one, where the target can be scaled."""
    return measure_scaling(build_scaling(target, requests, settings, workdir), requests, settings)


# ---- repeated questions ------------------------------------------------------------------------


@dataclass(frozen=True)
class RepeatAsk:
    question: str
    user: str | None
    first_s: float
    repeat_s: float

    @property
    def hit(self) -> bool:
        """Answered in under CACHE_HIT_SHARE of its first time: served from a cache."""
        return self.repeat_s < CACHE_HIT_SHARE * self.first_s


@dataclass(frozen=True)
class RepeatMix:
    asks: tuple[RepeatAsk, ...]
    source: str  # where the mix came from
    planned: int = 0  # questions in the mix; more than asked when the time limit stopped it
    max_seconds: float = math.inf

    @property
    def hit_rate(self) -> float | None:
        return sum(ask.hit for ask in self.asks) / len(self.asks) if self.asks else None

    def ms(self, which: str, q: float = 50) -> float | None:
        values = [getattr(ask, f"{which}_s") for ask in self.asks]
        return percentile(values, q) * 1000.0 if values else None


def repeated_mix(
    engagement: Engagement, items: Sequence[GoldenItem], count: int, seed: int = 7
) -> tuple[list[Request], str]:
    """The most asked questions of the engagement's query log (question ids of the golden
    set), else a sample of golden questions: what users ask again and again."""
    by_id = {item.id: item for item in items if item.answerable}
    if engagement.query_log:
        path = engagement.resolve(engagement.query_log)
        try:
            rows = list(csv.DictReader(read_text(path, MAX_LOG_BYTES).splitlines()))
        except (OSError, ValueError) as exc:
            raise PlaybookError(f"{path}: cannot read the query log ({exc})") from None
        if rows and "question_id" not in rows[0]:
            raise PlaybookError(
                f"{path}: expected a column 'question_id' naming golden ids, found "
                f"{', '.join(rows[0])}"
            )
        counts: dict[tuple[str, str | None], int] = {}
        for row in rows:
            key = (row.get("question_id", ""), row.get("user") or None)
            if key[0] in by_id:
                counts[key] = counts.get(key, 0) + 1
        top = sorted(counts, key=lambda key: (-counts[key], key[0]))[:count]
        if top:
            chosen = [Request(by_id[qid].question, user) for qid, user in top]
            return chosen, f"the {len(chosen)} most asked questions of {path.name}"
    chosen = load_requests(items, count, seed)
    return chosen, f"{len(chosen)} golden questions (no query log: engagement field 'query_log')"


def ask_twice(
    target: Target, requests: Sequence[Request], source: str, max_seconds: float = math.inf
) -> RepeatMix:
    """Each question asked, then asked again by the same user: the second time is what a cache
    saves. After `max_seconds`, no further question is asked (the first always is)."""
    asks = []
    deadline = time.monotonic() + max_seconds
    for request in requests:
        if asks and time.monotonic() >= deadline:
            break
        first = run_closed_loop(target, [request], 1).latencies[0]
        again = run_closed_loop(target, [request], 1).latencies[0]
        asks.append(RepeatAsk(request.question, request.user, first, again))
    return RepeatMix(tuple(asks), source, len(requests), max_seconds)


# ---- what waiting costs ------------------------------------------------------------------------


@dataclass(frozen=True)
class WaitingCost:
    daily_users: int
    questions_per_user_day: float
    mean_wait_s: float
    budget_wait_s: float  # the wait at the decided p95, for comparison

    @property
    def questions_a_month(self) -> float:
        return self.daily_users * self.questions_per_user_day * WORKING_DAYS_A_MONTH

    @property
    def hours_a_month(self) -> float:
        return self.questions_a_month * self.mean_wait_s / 3600.0


def waiting_cost(latency_budget: object, run: LoadRun) -> WaitingCost | None:
    """Hours a month the team spends waiting for answers at the measured mean latency; None
    when the decision gives no usage (daily_users, questions_per_user_day)."""
    users = latency_budget.daily_users  # type: ignore[attr-defined]
    per_user = latency_budget.questions_per_user_day  # type: ignore[attr-defined]
    if not users or not per_user or not run.samples:
        return None
    mean = sum(run.latencies) / len(run.latencies)
    return WaitingCost(users, per_user, mean, latency_budget.p95_ms / 1000.0)  # type: ignore[attr-defined]


@dataclass
class LatencyExperiment:
    """Everything notebook 04 measured, for its checks, tables and charts."""

    measured: str
    peak: LoadRun
    sweep: Sweep
    scaling: Scaling
    repeats: RepeatMix
    cost: WaitingCost | None
    notes: list[str] = field(default_factory=list)


def run_latency(
    target: Target,
    engagement: Engagement,
    items: Sequence[GoldenItem],
    latency_budget: object,
    settings: LatencySettings,
    workdir: Path,
) -> LatencyExperiment:
    """Every experiment of notebook 04, in order, on the target (scaled where it can be)."""
    requests = load_requests(items, max(settings.max_requests, MIN_PHASE_REQUESTS), settings.seed)
    if not requests:
        empty = LoadRun(settings.peak_rps, "poisson", 0, (), 0.0, 0.0, note="no golden question")
        return LatencyExperiment(
            "nothing", empty, Sweep(()), Scaling((), "no golden question"), RepeatMix((), "")
        )
    # the production size and the scaling share a folder: the synthetic documents are written once
    measured = production_size_target(target, settings, workdir / "scaling")
    builds = ScalingBuilds()
    try:
        # the served copy starts and ingests in its own process while the corpus sizes are
        # built here; both are done before anything is timed
        with ThreadPoolExecutor(1, thread_name_prefix="served-start") as pool:
            starting = pool.submit(served, measured, workdir / "served")
            try:
                builds = build_scaling(target, requests, settings, workdir / "scaling")
            except BaseException:
                with contextlib.suppress(Exception):
                    starting.result().close()
                raise
            loaded = starting.result()
        try:
            spans = capability(loaded.target, Spans)  # asked first: a receiver starts listening
            loaded.target.ask(requests[0].question, requests[0].user)  # warm: build and ingest
            peak = stages_from_spans(peak_load(loaded.target, requests, settings), spans)
            sweep = rate_sweep(
                loaded.target,
                requests,
                settings,
                latency_budget.p95_ms,  # type: ignore[attr-defined]
                latency_budget.max_error_rate,  # type: ignore[attr-defined]
                peak,
            )
        finally:
            loaded.close()
    except BaseException:
        builds.close()
        raise
    finally:
        measured.close()
    scaling = measure_scaling(builds, requests, settings)
    mix, source = repeated_mix(engagement, items, settings.repeat_questions, settings.seed)
    repeats = ask_twice(target, mix, source, settings.repeat_s)
    cost = waiting_cost(latency_budget, peak)
    return LatencyExperiment(loaded.note, peak, sweep, scaling, repeats, cost)
