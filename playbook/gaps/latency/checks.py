"""The checks of notebook 04, each a plain function over what the experiments measured.

Every threshold comes from the latency-budget decision. A load run the generator could not keep
up with is `error` (it measured the generator, not the target); a check whose measurement the
target cannot give (stage timings, a stream, a larger corpus) is `skip` with what to declare.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from playbook.checks import AreaChecks, Check
from playbook.evidence import CheckResult
from playbook.gaps.latency.experiment import (
    LatencyExperiment,
    RepeatMix,
    Scaling,
    ScalingPoint,
    Sweep,
)
from playbook.load import LoadRun, capacity_rps

if TYPE_CHECKING:
    from playbook.decisions.model import LatencyBudget

# Latency may grow with the corpus at most as the square root of its size (an index), never
# in proportion to it (a scan): 10x the documents may cost about 3.2x the time.
MAX_GROWTH_EXPONENT = 0.5
MIN_SIZE_RATIO = 2.0  # between the smallest and largest corpus, to tell a scan from an index
MIN_CACHE_HIT_RATE = 0.5

P95 = Check(
    "latency.p95_within_budget",
    "p95 end to end at the decided peak rate stays within the budget",
    unit="ms, p95",
    remedy="latency-budget-per-stage",
    decision="latency-budget",
    needs="answers to an open-model load at the peak rate",
)
P99 = Check(
    "latency.p99_within_budget",
    "p99 end to end at the decided peak rate stays within the budget",
    unit="ms, p99",
    remedy="latency-budget-per-stage",
    decision="latency-budget",
    needs="answers to an open-model load at the peak rate",
)
STAGES = Check(
    "latency.stages_within_budget",
    "Each stage holds its own share of the budget under load",
    unit="ms, p95 of the slowest stage over its budget",
    remedy="latency-budget-per-stage",
    decision="latency-budget",
    needs="stage timings reported by the target",
)
FIRST_TOKEN = Check(
    "latency.time_to_first_token",
    "The first words of a streamed answer arrive within the budget",
    unit="ms, p95",
    remedy="stream-answers",
    decision="latency-budget",
    needs="streamed answers",
)
CAPACITY = Check(
    "latency.capacity",
    "Capacity covers the peak rate with the decided headroom",
    unit="requests a second held within the p95 budget",
    remedy="load-test-open-model",
    decision="latency-budget",
    needs="a sweep over arrival rates",
)
ERRORS = Check(
    "latency.errors_under_load",
    "Requests do not fail under the peak load",
    unit="share of requests",
    remedy="timeouts-from-budget",
    decision="latency-budget",
    needs="answers to an open-model load at the peak rate",
)
CORPUS_SCALING = Check(
    "latency.corpus_scaling",
    "Latency does not grow in proportion to the corpus",
    unit="p50 growth from the smallest to the largest corpus",
    remedy="index-not-scan",
    decision="latency-budget",
    needs="the target measured at two corpus sizes, the larger with at least twice the text",
)
REPEAT_CACHE = Check(
    "latency.repeat_cache",
    "Questions users ask again are answered from a cache",
    unit="share of repeats answered in under half their first time",
    expected=f">= {MIN_CACHE_HIT_RATE:g}",
    remedy="answer-cache",
    decision="latency-budget",
    needs="questions asked twice",
)
CHECKS = AreaChecks(
    "latency", (P95, P99, STAGES, FIRST_TOKEN, CAPACITY, ERRORS, CORPUS_SCALING, REPEAT_CACHE)
)
AREA = CHECKS.area


def _unusable(check: Check, run: LoadRun) -> CheckResult | None:
    if not run.samples:
        return check.could_not_run(run.note or "the load run sent nothing")
    if not run.valid:
        return check.could_not_run(str(run.invalid_reason))
    return None


def _at(run: LoadRun, measured: str) -> str:
    return (
        f"at {run.rate_rps:g} req/s ({run.arrivals} arrivals), {run.planned} requests, {measured}"
    )


def check_p95(run: LoadRun, budget: LatencyBudget, measured: str) -> CheckResult:
    """The p95 at the peak rate, from each request's scheduled time."""
    expected = f"<= {budget.p95_ms} ms"
    if (problem := _unusable(P95, run)) is not None:
        return problem
    p50, p95 = run.latency_ms(50) or 0.0, run.latency_ms(95) or 0.0
    detail = f"p95 {p95:.0f} ms (p50 {p50:.0f} ms) " + _at(run, measured)
    if run.unanswered_beyond(95):
        return P95.verdict(False, round(p95, 1), _unanswered(run, 95) + detail, expected=expected)
    return P95.verdict(p95 <= budget.p95_ms, round(p95, 1), detail, expected=expected)


def check_p99(run: LoadRun, budget: LatencyBudget, measured: str) -> CheckResult:
    expected = f"<= {budget.p99_budget_ms} ms"
    if (problem := _unusable(P99, run)) is not None:
        return problem
    p99 = run.latency_ms(99) or 0.0
    detail = f"p99 {p99:.0f} ms " + _at(run, measured)
    if run.unanswered_beyond(99):
        return P99.verdict(False, round(p99, 1), _unanswered(run, 99) + detail, expected=expected)
    return P99.verdict(p99 <= budget.p99_budget_ms, round(p99, 1), detail, expected=expected)


def _unanswered(run: LoadRun, q: float) -> str:
    """Why a percentile cannot pass: a failure ends a request fast, but answers nobody."""
    first = f" (first: {run.first_problem})" if run.first_problem else ""
    return (
        f"{run.errors} of {run.planned} requests got no answer{first}, so fewer than {q:g} % "
        "of the users were answered in any time; the times of all requests: "
    )


def check_stages(run: LoadRun, budget: LatencyBudget) -> CheckResult:
    """Each budgeted stage's own p95, from the timings the target reports or its spans."""
    expected = ", ".join(f"{stage} <= {ms} ms" for stage, ms in budget.stages.items())
    if (problem := _unusable(STAGES, run)) is not None:
        return problem
    reported = [stage for stage in budget.stages if run.stage_ms(stage) is not None]
    if not reported:
        seen = ", ".join(run.stages) or "none"
        return STAGES.not_measured(
            f"the target reports no timing for {', '.join(budget.stages)} (reported: {seen}): "
            "return a `timings` object (stage -> seconds) or a Server-Timing header, or "
            "export spans (engagement field target.otlp_port or target.traces)",
            expected=expected,
        )
    shares = {stage: (run.stage_ms(stage) or 0.0) / budget.stages[stage] for stage in reported}
    worst = max(shares, key=lambda stage: shares[stage])
    over = [stage for stage, share in shares.items() if share > 1.0]
    detail = "; ".join(
        f"{stage} p95 {run.stage_ms(stage):.0f} ms of {budget.stages[stage]} ms"
        for stage in reported
    )
    if run.stage_source:
        detail += f" (from {run.stage_source})"
    missing = [stage for stage in budget.stages if stage not in reported]
    if missing:
        detail += f"; not reported: {', '.join(missing)}"
    if over:
        detail += f"; over budget: {', '.join(over)}"
    return STAGES.verdict(not over, round(run.stage_ms(worst) or 0.0, 1), detail, expected=expected)


def check_first_token(run: LoadRun, budget: LatencyBudget) -> CheckResult:
    budget_ms = budget.time_to_first_token_ms
    expected = f"<= {budget_ms} ms" if budget_ms else "a decided time-to-first-token budget"
    if budget_ms is None:
        return FIRST_TOKEN.not_measured(
            "no time-to-first-token budget decided (latency-budget.time_to_first_token_ms)",
            expected=expected,
        )
    if (problem := _unusable(FIRST_TOKEN, run)) is not None:
        return problem
    ttft = run.ttft_ms(95)
    if ttft is None:
        return FIRST_TOKEN.not_measured(
            "the target does not stream its answers: declare target.http.stream for a "
            "streaming endpoint (Server-Sent Events or a chunked body)",
            expected=expected,
        )
    detail = (
        f"first token p95 {ttft:.0f} ms (p50 {run.ttft_ms(50):.0f} ms), from the scheduled time"
    )
    return FIRST_TOKEN.verdict(ttft <= budget_ms, round(ttft, 1), detail, expected=expected)


def check_capacity(sweep: Sweep, budget: LatencyBudget) -> CheckResult:
    need = budget.peak_rps * budget.capacity_headroom
    expected = f">= {need:g} req/s ({budget.capacity_headroom:g}x the peak of {budget.peak_rps:g})"
    if not sweep.runs:
        return CAPACITY.could_not_run("no rate was swept", expected=expected)
    capacity, why = capacity_rps(sweep.runs, budget.p95_ms, budget.max_error_rate)
    if capacity is None and not sweep.runs[0].valid:
        return CAPACITY.could_not_run(why, expected=expected)
    tried = ", ".join(f"{run.rate_rps:g}" for run in sweep.runs)
    held = "no rate" if capacity is None else f"{capacity:g} req/s"
    detail = f"held the p95 budget up to {held} (rates tried: {tried}); {why}"
    return CAPACITY.verdict(
        capacity is not None and capacity >= need, capacity or 0.0, detail, expected=expected
    )


def check_errors(run: LoadRun, budget: LatencyBudget) -> CheckResult:
    expected = f"<= {budget.max_error_rate:.1%}"
    if (problem := _unusable(ERRORS, run)) is not None:
        return problem
    rate = run.error_rate or 0.0
    detail = f"{run.errors} of {run.planned} requests failed or got no answer in time " + _at(
        run, "under the peak load"
    )
    if run.first_problem:
        detail += f"; first: {run.first_problem}"
    return ERRORS.verdict(rate <= budget.max_error_rate, round(rate, 4), detail, expected=expected)


def check_corpus_scaling(scaling: Scaling, spec: str, budget: LatencyBudget) -> CheckResult:
    """The target's own line (`scaling.own`, else `spec`): growth and p95 at the largest size."""
    spec = scaling.own or spec
    points = scaling.of(spec)
    if scaling.missing is not None:
        return CORPUS_SCALING.not_measured(scaling.missing)
    if len(points) < 2 or not all(point.latencies for point in points):
        return CORPUS_SCALING.could_not_run("fewer than two corpus sizes measured")
    small, large = points[0], points[-1]
    # A scan reads every document's text: the corpus grows by its text, not by its count. The
    # added documents are short, so beside a real corpus of long pages (the Python docs: 9.2
    # million characters) 10x the documents may be 1.4x the text, and a scan passed.
    if small.characters and large.characters:
        ratio, grown = large.characters / small.characters, "the text"
    else:
        ratio, grown = large.documents / small.documents, "the documents"
    sizes = " and ".join(_corpus_size(point) for point in (small, large))
    if ratio < MIN_SIZE_RATIO:
        return CORPUS_SCALING.could_not_run(
            f"{spec}: the corpus sizes measured ({sizes}) differ by only {ratio:.1f}x in "
            f"{grown}: the documents added are short beside the engagement's own, too little "
            "to tell a scan from an index"
        )
    allowed = ratio**MAX_GROWTH_EXPONENT
    growth = (large.ms(50) or 0.0) / max(small.ms(50) or 0.0, 0.001)
    p95 = large.ms(95) or 0.0
    expected = (
        f"<= {allowed:.1f}x for {ratio:.1f}x {grown}, p95 <= {budget.p95_ms} ms at "
        f"{large.documents:,} documents"
    )
    detail = (
        f"{spec}: p50 {small.ms(50):.1f} ms at {small.documents:,} documents, "
        f"{large.ms(50):.1f} ms at {large.documents:,} ({growth:.1f}x, for {ratio:.1f}x "
        f"{grown}); p95 {p95:.0f} ms"
    )
    ok = growth <= allowed and p95 <= budget.p95_ms
    return CORPUS_SCALING.verdict(ok, round(growth, 2), detail, expected=expected)


def _corpus_size(point: ScalingPoint) -> str:
    text = f" ({point.characters / 1e6:.1f} million characters)" if point.characters else ""
    return f"{point.documents:,} documents{text}"


def check_repeat_cache(repeats: RepeatMix) -> CheckResult:
    if not repeats.asks:
        return REPEAT_CACHE.could_not_run("no question to repeat")
    rate = repeats.hit_rate or 0.0
    detail = (
        f"{sum(ask.hit for ask in repeats.asks)} of {len(repeats.asks)} repeats answered in under "
        f"half their first time; p50 first {repeats.ms('first'):.1f} ms, repeat "
        f"{repeats.ms('repeat'):.1f} ms ({repeats.source})"
    )
    if len(repeats.asks) < repeats.planned:
        detail += (
            f"; stopped at the time limit ({repeats.max_seconds:g} s): "
            f"{len(repeats.asks)} of {repeats.planned} questions repeated"
        )
    return REPEAT_CACHE.verdict(rate >= MIN_CACHE_HIT_RATE, round(rate, 3), detail)


def latency_checks(
    experiment: LatencyExperiment, budget: LatencyBudget, spec: str
) -> list[CheckResult]:
    """Every check of the area, in the declared order."""
    peak = experiment.peak
    return [
        check_p95(peak, budget, experiment.measured),
        check_p99(peak, budget, experiment.measured),
        check_stages(peak, budget),
        check_first_token(peak, budget),
        check_capacity(experiment.sweep, budget),
        check_errors(peak, budget),
        check_corpus_scaling(experiment.scaling, spec, budget),
        check_repeat_cache(experiment.repeats),
    ]
