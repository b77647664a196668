"""The checks of notebook 03: each a plain function over the fault matrix or the breaker episode.

A check that ran on nothing (no fault route: `skip`; nothing faulted, nothing collected: `error`)
never passes.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from playbook.checks import AreaChecks, Check
from playbook.evidence import CheckResult
from playbook.gaps.failure.breaker import BreakerEpisode
from playbook.gaps.failure.classify import (
    BAD_OUTPUT_KINDS,
    FAILURE_MODE,
    GRACEFUL,
    KIND_LABELS,
    OUTCOME_LABELS,
    OUTCOMES,
    TRANSIENT_KINDS,
)
from playbook.gaps.failure.matrix import TIME_SPENT, FaultMatrix
from playbook.gaps.failure.probes import Probes
from playbook.gaps.failure.tables import graceful_shares, latency_under_fault, retry_amplification

if TYPE_CHECKING:
    from playbook.decisions import Decisions

# With independent faults at the partial rate, a system that retries recovers most faulted
# requests and one that does not recovers none: half separates the two with room for chance.
MIN_RECOVERED_SHARE = 0.5

GRACEFUL_DEGRADATION = Check(
    "failure.graceful_degradation",
    "Every fault kind degrades gracefully (correct, or labelled and useful, or honest)",
    unit="share of faulted requests (worst fault kind)",
    remedy="graceful-fallback",
    decision="failure-policy",
    needs="requests that met a fault, on golden questions answered correctly without one",
)
NO_RAW_FAILURES = Check(
    "failure.no_raw_failures",
    "No raw failure reaches the user (stack trace, exception, HTTP error body, empty)",
    unit="raw failures shown",
    expected="0",
    remedy="graceful-fallback",
    decision="failure-policy",
    needs="answers collected under faults",
)
OUTPUT_VALIDATION = Check(
    "failure.output_validation",
    "Nonsense and malformed model output never reaches the user as an answer",
    unit="bad generations shown as answers",
    expected="0",
    remedy="output-validation",
    decision="failure-policy",
)
LATENCY_UNDER_FAULT = Check(
    "failure.latency_under_fault",
    "Latency under every fault stays within the decided p95 budget",
    unit="ms, p95 of the slowest fault",
    remedy="timeouts-from-budget",
    decision="latency-budget",
    needs="requests that met a fault",
)
TRANSIENT_RECOVERY = Check(
    "failure.transient_recovery",
    "Intermittent faults the policy retries end in a correct answer",
    unit="share of faulted requests answered correctly",
    expected=f">= {MIN_RECOVERED_SHARE:g} of faulted requests recovered",
    remedy="bounded-retries-with-jitter",
    decision="failure-policy",
    needs="requests that met an intermittent 429 or 5xx",
)
RETRY_AMPLIFICATION = Check(
    "failure.retry_amplification",
    "Retries do not multiply load on a failing upstream beyond the decided factor",
    unit="upstream calls per request (worst transient fault)",
    remedy="bounded-retries-with-jitter",
    decision="failure-policy",
    needs="upstream calls made under a transient fault",
)
CIRCUIT_BREAKER = Check(
    "failure.circuit_breaker",
    "The circuit breaker opens under a sustained fault and closes after recovery",
    unit="breaker behaviour",
    expected="opens, then closes after recovery",
    remedy="circuit-breaker",
    decision="failure-policy",
    needs="golden questions to ask through a sustained fault",
)
LOG_COMPLETENESS = Check(
    "failure.log_completeness",
    "Every failure is logged with its trace id and error type",
    unit="share of failures logged",
    expected="1.0 (every failure)",
    remedy="structured-error-logging",
    decision="observability",
    needs="failures to look up, and a log to look in",
)
HOSTILE_INPUTS = Check(
    "failure.hostile_inputs",
    "Hostile and edge inputs get a safe answer within the budget",
    unit="unsafe answers to edge inputs",
    expected="0 (no stack trace, exception, HTTP error body or empty reply; none late)",
    remedy="handle-hostile-input",
    decision="failure-policy",
    needs="a user to ask as, from the golden set",
)
UNANSWERABLE_REFUSED = Check(
    "failure.unanswerable_refused",
    "Questions the documents cannot answer are refused or labelled, not answered confidently",
    unit="share of unanswerable golden questions refused",
    remedy="refuse-when-unsupported",
    decision="failure-policy",
    needs="golden questions marked answerable: false",
)
CHECKS = AreaChecks(
    "failure",
    (
        HOSTILE_INPUTS,
        UNANSWERABLE_REFUSED,
        GRACEFUL_DEGRADATION,
        NO_RAW_FAILURES,
        OUTPUT_VALIDATION,
        LATENCY_UNDER_FAULT,
        TRANSIENT_RECOVERY,
        RETRY_AMPLIFICATION,
        CIRCUIT_BREAKER,
        LOG_COMPLETENESS,
    ),
)


def _unmeasured(
    check: Check, run: FaultMatrix | BreakerEpisode, expected: str | None = None
) -> CheckResult | None:
    """The result when the experiment did not run (skip with its reason, or error), else None."""
    if run.skipped:
        return check.not_measured(run.skipped, expected=expected)
    if run.error:
        return check.could_not_run(run.error, expected=expected)
    return None


def _nothing_faulted(matrix: FaultMatrix) -> str:
    missed = len(matrix.observations)
    return (
        f"no request met a fault ({missed} asked): every answer came without reaching the "
        "faulted upstream, from a cache perhaps; turn the target's answer cache off or add "
        "golden questions"
    )


def check_hostile_inputs(probes: Probes) -> CheckResult:
    """Every edge input a user can type gets a safe answer within the latency budget."""
    if probes.error:
        return HOSTILE_INPUTS.could_not_run(probes.error)
    if not probes.edge:
        return HOSTILE_INPUTS.could_not_run("no edge input was asked within the time budget")
    unsafe = probes.unsafe()
    detail = f"{len(probes.edge) - len(unsafe)} of {len(probes.edge)} edge inputs answered safely"
    if unsafe:
        detail += "; unsafe: " + "; ".join(f"{a.kind} ({a.problem})" for a in unsafe[:6])
    return HOSTILE_INPUTS.verdict(not unsafe, len(unsafe), detail)


def check_unanswerable_refused(probes: Probes, decisions: Decisions) -> CheckResult:
    """The decided share of unanswerable golden questions is refused or labelled."""
    target_share = decisions.failure_policy.target_graceful_share
    expected = f">= {target_share:g} refused or labelled"
    if probes.error:
        return UNANSWERABLE_REFUSED.could_not_run(probes.error, expected=expected)
    if not probes.unanswerable:
        return UNANSWERABLE_REFUSED.could_not_run(
            "the golden set holds no unanswerable question (answerable: false) to ask; add some "
            "(scope.golden_set)",
            expected=expected,
        )
    confident = probes.answered_confidently()
    share = 1 - len(confident) / len(probes.unanswerable)
    detail = (
        f"{len(probes.unanswerable) - len(confident)} of {len(probes.unanswerable)} unanswerable "
        "golden questions refused or labelled"
    )
    if confident:
        detail += "; answered anyway: " + "; ".join(repr(a.question) for a in confident[:4])
    return UNANSWERABLE_REFUSED.verdict(
        share >= target_share, round(share, 3), detail, expected=expected
    )


def check_graceful_degradation(matrix: FaultMatrix, decisions: Decisions) -> CheckResult:
    """Under every fault kind, the decided share of faulted requests still ends gracefully."""
    target_share = decisions.failure_policy.target_graceful_share
    expected = f">= {target_share:g} in every fault kind"
    check = GRACEFUL_DEGRADATION
    if (early := _unmeasured(check, matrix, expected)) is not None:
        return early
    shares = graceful_shares(matrix)
    if not shares:
        return check.could_not_run(_nothing_faulted(matrix), expected=expected)
    worst = min(shares.values())
    below = {kind: share for kind, share in shares.items() if share < target_share}
    parts = []
    for kind, share in sorted(below.items(), key=lambda pair: pair[1]):
        bad = Counter(o.outcome for o in matrix.faulted() if o.kind == kind)
        bad_outcomes = [o for o in OUTCOMES if o not in GRACEFUL and bad[o]]
        top = max(bad_outcomes, key=lambda o: bad[o]) if bad_outcomes else "none"
        parts.append(f"{KIND_LABELS[kind]} {share:.0%} (mostly {OUTCOME_LABELS[top]})")
    detail = f"{len(shares)} fault kinds, {len(matrix.faulted())} faulted requests; " + (
        "below target: " + "; ".join(parts) if parts else "every kind at or above target"
    )
    return check.verdict(not below, round(worst, 3), detail, expected=expected)


def check_no_raw_failures(matrix: FaultMatrix) -> CheckResult:
    """No answer shows the user a stack trace, exception text, HTTP error body or nothing."""
    check = NO_RAW_FAILURES
    if (early := _unmeasured(check, matrix)) is not None:
        return early
    if not matrix.observations:
        return check.could_not_run("no answer was collected")
    raw = [o for o in matrix.observations if o.outcome == "raw_failure"]
    kinds = Counter(f"{KIND_LABELS[o.kind]} at {o.stage}" for o in raw)
    reasons = Counter(o.reason for o in raw)
    detail = f"{len(raw)} of {len(matrix.observations)} answers were raw failures"
    if raw:
        detail += "; under " + ", ".join(f"{k} ({n})" for k, n in kinds.most_common())
        detail += "; shown as " + ", ".join(f"{r} ({n})" for r, n in reasons.most_common())
    unreached = [c for c in matrix.cells if c.skipped == TIME_SPENT]
    if unreached:
        names = sorted({f"{KIND_LABELS[c.kind]} at {c.stage}" for c in unreached})
        detail += f"; not reached in the time budget: {', '.join(names)}"
    return check.verdict(not raw, len(raw), detail)


def check_output_validation(matrix: FaultMatrix) -> CheckResult:
    """Malformed and nonsense generations are caught, never shown as an answer."""
    check = OUTPUT_VALIDATION
    if (early := _unmeasured(check, matrix)) is not None:
        return early
    faulted = [o for o in matrix.faulted() if o.kind in BAD_OUTPUT_KINDS]
    if not faulted:
        return check.not_measured("the route cannot inject malformed or nonsense output")
    shown = [o for o in faulted if o.outcome in ("wrong_confident", "raw_failure")]
    by_kind = Counter(KIND_LABELS[o.kind] for o in shown)
    detail = f"{len(shown)} of {len(faulted)} bad generations were shown"
    if shown:
        detail += " (" + ", ".join(f"{k}: {n}" for k, n in by_kind.most_common()) + ")"
    return check.verdict(not shown, len(shown), detail)


def check_latency_under_fault(matrix: FaultMatrix, decisions: Decisions) -> CheckResult:
    """Under every fault, the p95 wait stays within the decided end-to-end budget."""
    budget_ms = decisions.latency_budget.p95_ms
    expected = f"<= {budget_ms} ms p95 under every fault"
    check = LATENCY_UNDER_FAULT
    if (early := _unmeasured(check, matrix, expected)) is not None:
        return early
    table = latency_under_fault(matrix)
    if table.empty:
        return check.could_not_run(_nothing_faulted(matrix), expected=expected)
    worst = table.sort_values("p95_ms", ascending=False).iloc[0]
    over = table[table["p95_ms"] > budget_ms]
    detail = f"slowest: {worst['fault']} at {worst['stage']} ({worst['p95_ms']:.0f} ms p95)"
    if not over.empty:
        detail += "; over budget: " + ", ".join(
            f"{row.fault} at {row.stage} {row.p95_ms:.0f} ms" for row in over.itertuples()
        )
    return check.verdict(over.empty, float(worst["p95_ms"]), detail, expected=expected)


def check_transient_recovery(matrix: FaultMatrix, decisions: Decisions) -> CheckResult:
    """Intermittent faults the policy says to retry are recovered into correct answers."""
    policy = decisions.failure_policy
    retried = [kind for kind in TRANSIENT_KINDS if policy.action_for(FAILURE_MODE[kind]) == "retry"]
    check = TRANSIENT_RECOVERY
    if (early := _unmeasured(check, matrix)) is not None:
        return early
    if not retried:
        return check.not_measured("the failure policy retries no transient failure mode")
    faulted = [o for o in matrix.faulted() if o.kind in retried and o.rate < 1.0]
    if not faulted:
        return check.could_not_run(
            f"no request met an intermittent {' or '.join(retried)} fault; "
            "raise the depth for a larger sample"
        )
    recovered = sum(o.outcome == "correct" for o in faulted)
    share = recovered / len(faulted)
    again = [o for o in faulted if o.upstream_calls is not None]
    detail = (
        f"{recovered} of {len(faulted)} requests that met an intermittent "
        f"{' or '.join(KIND_LABELS[k] for k in retried)} fault were answered correctly"
    )
    if again:
        calls_again = sum((o.upstream_calls or 0) > 1 for o in again)
        detail += f"; {calls_again} of {len(again)} called the upstream again"
    return check.verdict(share >= MIN_RECOVERED_SHARE, round(share, 3), detail)


def check_retry_amplification(matrix: FaultMatrix, decisions: Decisions) -> CheckResult:
    """Retries never multiply the load on a failing upstream beyond the decided factor."""
    limit = decisions.failure_policy.max_retry_amplification
    expected = f"<= {limit:g} calls per request"
    check = RETRY_AMPLIFICATION
    if (early := _unmeasured(check, matrix, expected)) is not None:
        return early
    table = retry_amplification(matrix)
    if table.empty:
        return check.could_not_run("no transient fault (429, 5xx) was run", expected=expected)
    if not table["upstream_calls"].sum():
        return check.could_not_run(
            f"the upstream received no call in {int(table['requests'].sum())} requests under "
            "transient faults, so there was nothing to amplify (is the route on the hop the "
            "service really calls?)",
            expected=expected,
        )
    worst = table.sort_values("calls_per_request", ascending=False).iloc[0]
    single = [
        o.upstream_calls
        for o in matrix.observations
        if o.kind in TRANSIENT_KINDS and o.upstream_calls is not None
    ]
    detail = (
        f"worst: {worst['fault']} at {worst['stage']}, rate {worst['rate']:g}: "
        f"{int(worst['upstream_calls'])} calls for {int(worst['requests'])} requests"
    )
    if single:
        detail += f"; at most {max(single)} calls for one request"
    observed = float(worst["calls_per_request"])
    return check.verdict(observed <= limit, observed, detail, expected=expected)


def check_circuit_breaker(episode: BreakerEpisode) -> CheckResult:
    """The breaker opens under a sustained fault and closes again after recovery."""
    check = CIRCUIT_BREAKER
    if (early := _unmeasured(check, episode)) is not None:
        return early
    how = "inferred from upstream calls" if episode.inferred else "reported by the target"
    faulted = sum(p.phase == "fault" for p in episode.points)
    if episode.opened_after is None:
        states = sorted({p.state for p in episode.points if p.phase == "fault"})
        calls = sum(p.upstream_calls for p in episode.points if p.phase == "fault")
        detail = (
            f"never opened in {faulted} requests under a sustained 5xx at {episode.stage} "
            f"(state {', '.join(states)}, {how}); the upstream took {calls} calls"
        )
        return check.result("fail", "never opened", detail)
    opened = f"opened after {episode.opened_after} failing requests"
    if episode.closed_after_s is None:
        detail = (
            f"{opened}, still not closed {episode.recovery_wait_s:.0f} s after recovery ({how})"
        )
        return check.result("fail", "opened, never closed", detail)
    detail = f"{opened}; closed {episode.closed_after_s:.1f} s after the fault ended ({how})"
    return check.result("pass", "opened, then closed", detail)


def check_log_completeness(matrix: FaultMatrix) -> CheckResult:
    """Every failure left a log entry carrying its trace id and its error type."""
    check = LOG_COMPLETENESS
    if (early := _unmeasured(check, matrix)) is not None:
        return early
    if matrix.log_source is None:
        return check.not_measured(
            "no log to read: name the target's JSON-lines log file in engagement.yaml "
            "(field 'target.logs')"
        )
    failures = [o for o in matrix.observations if o.failure]
    if not failures:
        return check.could_not_run("no failure occurred to look up")
    logged = sum(bool(o.logged) for o in failures)
    share = logged / len(failures)
    no_trace = sum(o.trace_id is None for o in failures)
    detail = f"{logged} of {len(failures)} failures found in {matrix.log_source}"
    if no_trace:
        detail += f"; {no_trace} answers carried no trace id to look up"
    return check.verdict(logged == len(failures), round(share, 3), detail)


def failure_checks(
    probes: Probes, matrix: FaultMatrix, episode: BreakerEpisode, decisions: Decisions
) -> list[CheckResult]:
    """Every check of the area, in the declared order."""
    return CHECKS.ordered(
        [
            check_hostile_inputs(probes),
            check_unanswerable_refused(probes, decisions),
            check_graceful_degradation(matrix, decisions),
            check_no_raw_failures(matrix),
            check_output_validation(matrix),
            check_latency_under_fault(matrix, decisions),
            check_transient_recovery(matrix, decisions),
            check_retry_amplification(matrix, decisions),
            check_circuit_breaker(episode),
            check_log_completeness(matrix),
        ]
    )
