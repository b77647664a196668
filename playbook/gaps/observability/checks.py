"""The checks of notebook 05, each a plain function over what `run_observability` measured.

Every one confirms the observability decision (its stack, its evaluation cadence and quality
floor). A check whose input the target does not offer (no spans, logs or metrics declared) is
`skip` naming the engagement field that would offer it; one that had nothing to measure is
`error`; a target that offers the capability but emits nothing there fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from playbook.checks import AreaChecks, Check
from playbook.evidence import CheckResult
from playbook.gaps.observability.alerts import FAILURE_MODES
from playbook.gaps.observability.traces import MIN_COVERAGE

if TYPE_CHECKING:
    from playbook.decisions.model import Decisions
    from playbook.gaps.observability.experiment import ObservabilityRun

MIN_LOGGED = 0.95  # share of answers whose trace id is found in the logs

TRACE_COVERAGE = Check(
    "observability.trace_coverage",
    "Every answer leaves a trace showing its retrieval and generation, with GenAI attributes",
    unit="share of answers with a complete trace",
    expected=f">= {MIN_COVERAGE:g}",
    remedy="tracing-per-stage",
    decision="observability",
    needs="answers carrying trace ids, and the target's spans",
)
LOG_COMPLETENESS = Check(
    "observability.log_completeness",
    "Every answer is logged with its trace id, and a failure leads to its log lines and spans",
    unit="share of answers found in the logs",
    expected=f">= {MIN_LOGGED:g}, and the failure followed",
    remedy="structured-logs-with-trace-id",
    decision="observability",
    needs="answers carrying trace ids, and a log to look them up in",
)
METRICS_EXPOSED = Check(
    "observability.metrics_exposed",
    "The metrics endpoint counts requests, errors by type and latency, and moves under load",
    unit="of requests, errors, latency, empty retrievals, cache hits found",
    expected="requests, errors by type and latency found, requests counted under load",
    remedy="metrics-private-registry",
    decision="observability",
    needs="scrapes of the metrics endpoint before and after a load",
)
QUALITY_FLOOR = Check(
    "observability.quality_floor",
    "Golden-set quality is at or above the decided floor",
    unit="hit@k, answer F1, refusal correctness",
    remedy="quality-floor",
    decision="observability",
    needs="answers to golden questions",
)
GOLDEN_REGRESSION = Check(
    "observability.golden_regression",
    "No significant regression against the accepted baseline",
    unit="metrics regressed",
    expected="0",
    remedy="golden-set-regression-gate",
    decision="observability",
    needs="questions shared with the accepted baseline",
)
ALERT_RULES = Check(
    "observability.alert_rules",
    "An alert rule watches each decided failure mode, the error limit and the latency budget",
    unit="rules that can fire, of those needed",
    remedy="alerts-from-decisions",
    decision="observability",
    needs="the series the metrics endpoint exposes",
)
CHECKS = AreaChecks(
    "observability",
    (
        TRACE_COVERAGE,
        LOG_COMPLETENESS,
        METRICS_EXPOSED,
        QUALITY_FLOOR,
        GOLDEN_REGRESSION,
        ALERT_RULES,
    ),
)
AREA = CHECKS.area


def check_trace_coverage(run: ObservabilityRun) -> CheckResult:
    check = TRACE_COVERAGE
    if run.traces is None:
        return check.not_measured(run.spans_missing or "no spans to read")
    if not run.traces:
        return check.could_not_run("no golden question was asked")
    with_id = [trace for trace in run.traces if trace.trace_id]
    complete = sum(trace.complete for trace in run.traces)
    share = complete / len(run.traces)
    spans = sum(len(trace.spans) for trace in run.traces)
    detail = (
        f"{complete} of {len(run.traces)} answers have a trace with retrieval and generation "
        f"spans (retrieval alone for a refusal) carrying gen_ai.operation.name and "
        f"gen_ai.request.model ({spans} spans matched, from {run.span_source})"
    )
    if len(with_id) < len(run.traces):
        detail += (
            f"; {len(run.traces) - len(with_id)} answers carried no trace id (return a "
            "`trace_id` field, an X-Trace-Id or a traceparent header)"
        )
    missing = sorted({name for trace in run.traces for name in trace.missing_attributes})
    if missing:
        detail += f"; attributes missing: {', '.join(missing)}"
    if with_id and spans == 0:
        detail += "; no span arrived for any answer's trace id"
    return check.verdict(share >= MIN_COVERAGE, round(share, 3), detail)


def check_log_completeness(run: ObservabilityRun) -> CheckResult:
    check = LOG_COMPLETENESS
    if run.logged is None:
        return check.not_measured(run.logs_missing or "no log to read")
    if not run.logged:
        return check.could_not_run("no golden question was asked")
    share = sum(run.logged.values()) / len(run.logged)
    found = sum(run.logged.values())
    detail = f"{found} of {len(run.logged)} answers found in the logs by trace id"
    followed = run.followed
    if followed.answer is None:
        detail += f"; no failure to follow ({followed.how})"
        soft = "warn" if share >= MIN_LOGGED else "fail"
        return check.verdict(False, round(share, 3), detail, otherwise=soft)
    if followed.answer.status not in ("error", "degraded"):
        detail += f"; the failure caused did not happen ({followed.how}: the answer was " + (
            f"{followed.answer.status})"
        )
        soft = "warn" if share >= MIN_LOGGED else "fail"
        return check.verdict(False, round(share, 3), detail, otherwise=soft)
    found_spans = bool(followed.spans) or followed.spans_missing is not None
    typed = any(
        entry.get("error.type") or entry.get("error_type") or entry.get("errorType")
        for entry in followed.log_entries
    )
    detail += (
        f"; a failure ({followed.how}, trace {followed.trace_id or 'none'}) led to "
        f"{len(followed.log_entries)} log lines{' with its error type' if typed else ''} and "
        f"{len(followed.spans)} spans"
    )
    if followed.spans_missing:
        detail += " (no spans to look in)"
    ok = share >= MIN_LOGGED and bool(followed.log_entries) and typed and found_spans
    return check.verdict(ok, round(share, 3), detail)


def check_metrics_exposed(run: ObservabilityRun) -> CheckResult:
    check = METRICS_EXPOSED
    load = run.metrics
    if load.scrapes is None:
        if load.missing:
            return check.not_measured(load.missing)
        return check.could_not_run(load.note or "nothing was scraped")
    scrapes = load.scrapes
    if scrapes.exposed is None:
        return check.could_not_run(f"the endpoint could not be read: {scrapes.error}")
    found = scrapes.exposed.found
    named = [what for what, series in found.items() if series]
    if not scrapes.exposed.families:
        return check.verdict(False, 0, "the endpoint exposes no series at all (telemetry off?)")
    core = ("requests", "errors by type", "latency")
    absent = [what for what in found if not found[what]]
    whole = scrapes.whole()
    counted = whole.requests if whole is not None else 0.0
    detail = (
        f"found {', '.join(f'{what} ({found[what]})' for what in named) or 'nothing known'}"
        + (f"; not found: {', '.join(absent)}" if absent else "")
        + f"; {counted:g} requests counted while {load.sent} were sent"
        + f" ({len(scrapes.series)} scrapes)"
    )
    if scrapes.error:
        detail += f"; a scrape failed: {scrapes.error}"
    moved = load.sent > 0 and counted >= 0.9 * load.sent
    if all(found[what] for what in core) and moved:
        return check.verdict(not absent, len(named), detail, otherwise="warn")
    return check.verdict(False, len(named), detail)


def check_quality_floor(run: ObservabilityRun, decisions: Decisions) -> CheckResult:
    check = QUALITY_FLOOR
    floor = decisions.observability
    evaluation = run.evaluation
    k = evaluation.k
    wanted = {
        "hit": (f"hit@{k}", floor.min_hit_rate),
        "answer_f1": ("answer F1", floor.min_answer_f1),
        "refusal_correct": ("refusal correctness", floor.min_refusal_correctness),
    }
    expected = ", ".join(f"{label} >= {value:g}" for label, value in wanted.values())
    if evaluation.questions.empty:
        return check.could_not_run("no golden question was answered", expected=expected)
    means, counts = evaluation.aggregates, evaluation.counts
    measured = {metric: means[metric] for metric in wanted if means[metric] is not None}
    if not measured:
        return check.could_not_run(
            "no question had gold documents, a reference answer or an answerable flag to score",
            expected=expected,
        )
    below = [wanted[metric][0] for metric, value in measured.items() if value < wanted[metric][1]]
    parts = [
        f"{wanted[metric][0]} {value:.2f} on {counts[metric]} questions"
        for metric, value in measured.items()
    ]
    unmeasured = [wanted[metric][0] for metric in wanted if metric not in measured]
    detail = "; ".join(parts)
    if unmeasured:
        detail += f"; not measured: {', '.join(unmeasured)}"
    if below:
        detail += f"; below the floor: {', '.join(below)}"
    if run.planned_questions > len(run.asked):
        detail += (
            f"; stopped at the time limit: {len(run.asked)} of {run.planned_questions} "
            "questions asked"
        )
    observed = ", ".join(f"{value:.2f}" for value in measured.values())
    return check.verdict(not below, observed, detail, expected=expected)


def check_golden_regression(run: ObservabilityRun, decisions: Decisions) -> CheckResult:
    check = GOLDEN_REGRESSION
    tolerance = decisions.observability.golden_regression_tolerance
    expected = f"no metric's mean drop beyond {tolerance:g} with 95% confidence"
    comparison = run.comparison
    if comparison is None:
        return check.not_measured(run.baseline_note, expected=expected)
    compared = [metric for metric in comparison.metrics if metric.questions]
    if not comparison.shared or not compared:
        return check.could_not_run(
            "no question is shared with the baseline: " + comparison.describe(), expected=expected
        )
    regressed = comparison.regressions
    return check.verdict(not regressed, len(regressed), comparison.describe(), expected=expected)


def check_alert_rules(run: ObservabilityRun, decisions: Decisions) -> CheckResult:
    check = ALERT_RULES
    policy = decisions.failure_policy.policies.model_dump()
    modes = [mode for mode in FAILURE_MODES if mode in policy]
    needed = ["latency", "errors", *modes]
    expected = f"{len(needed)} of {len(needed)} ({', '.join(needed)})"
    load = run.metrics
    if load.scrapes is None:
        if load.missing:
            return check.not_measured(load.missing, expected=expected)
        return check.could_not_run(load.note or "nothing was scraped", expected=expected)
    if load.scrapes.exposed is None:
        return check.could_not_run(
            f"the endpoint could not be read: {load.scrapes.error}", expected=expected
        )
    by_watch = {rule.watches: rule for rule in run.rules}
    able = [watch for watch in needed if watch in by_watch and by_watch[watch].can_fire]
    unable = [watch for watch in needed if watch not in able]
    detail = f"{len(able)} of {len(needed)} rules can fire on the exposed series"
    if unable:
        detail += f"; nothing to watch for: {', '.join(unable)} (expose a series for each)"
    return check.verdict(not unable, len(able), detail, expected=expected)


def observability_checks(run: ObservabilityRun, decisions: Decisions) -> list[CheckResult]:
    """Every check of the area, in the declared order."""
    return CHECKS.ordered(
        [
            check_trace_coverage(run),
            check_log_completeness(run),
            check_metrics_exposed(run),
            check_quality_floor(run, decisions),
            check_golden_regression(run, decisions),
            check_alert_rules(run, decisions),
        ]
    )
