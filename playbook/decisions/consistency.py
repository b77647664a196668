"""The consistency checks of notebook 01 (area `decisions`), declared once in `CHECKS`.

They read the decisions alone: is the file valid, are the required decisions made, do two of them
contradict each other, and does a check confirm each accepted one.
"""

from __future__ import annotations

from collections.abc import Sequence

from playbook.checks import AreaChecks, Check
from playbook.decisions.files import DECISIONS_FILE, Problem
from playbook.decisions.model import FAILURE_MODES, REQUIRED_DECISIONS, Decisions
from playbook.evidence import CheckResult

# Values that name nobody: an owner written like this has not been decided.
PLACEHOLDER_NAMES = frozenset({"", "tbd", "tba", "todo", "none", "n/a", "na", "?", "-", "unknown"})

# Remedies name patterns in playbook/patterns/catalogue.yaml.
FILE_VALID = Check(
    "decisions.file_valid",
    "decisions.yaml is readable and every field is valid",
    unit="invalid fields",
    expected="0 invalid fields",
    remedy="record-architecture-decisions",
)  # its decision is every decision on file, extra ones included, so each run names them
REQUIRED_MADE = Check(
    "decisions.required_made",
    "Every required decision is made and accepted",
    unit="accepted decisions",
    expected=f"{len(REQUIRED_DECISIONS)} of {len(REQUIRED_DECISIONS)} accepted",
    remedy="record-architecture-decisions",
    decision=",".join(REQUIRED_DECISIONS),
)
FRESHNESS_VS_CADENCE = Check(
    "decisions.freshness_vs_cadence",
    "The freshness window fits the update cadence",
    expected="cadence <= warn_after <= error_after",
    remedy="resolve-decision-conflicts",
    decision="update-cadence",
)
LATENCY_BUDGET_SUM = Check(
    "decisions.latency_budget_sum",
    "The latency budget covers the sum of its stage budgets",
    unit="ms (sum of stage budgets)",
    remedy="resolve-decision-conflicts",
    decision="latency-budget",
)  # its expectation is the team's own p95 budget, so each run states it
GROUPS_NEED_IDENTITY = Check(
    "decisions.groups_need_identity",
    "Access restrictions have an identity source to rely on",
    expected="an identity source when documents are restricted by group or queries are per-user",
    remedy="resolve-decision-conflicts",
    decision="access-model",
)
OWNER_AFTER_HANDOVER = Check(
    "decisions.owner_after_handover",
    "The system has an owner and a maintainer after hand-over",
    expected="a named owner and maintainer after hand-over",
    remedy="name-an-owner",
    decision="ownership",
)
RETRY_VS_AMPLIFICATION = Check(
    "decisions.retry_vs_amplification",
    "Failure modes that retry have a retry budget",
    unit="calls per request",
    expected="> 1.0 when any failure mode retries",
    remedy="resolve-decision-conflicts",
    decision="failure-policy",
)
CONFIRMED_BY_CHECKS = Check(
    "decisions.confirmed_by_checks",
    "Each accepted decision names a check that confirms it",
    unit="confirmed decisions",
    remedy="decision-confirmed-by-checks",
)  # its expectation and decisions are the accepted decisions, which each run counts

CHECKS = AreaChecks(
    "decisions",
    (
        FILE_VALID,
        REQUIRED_MADE,
        FRESHNESS_VS_CADENCE,
        LATENCY_BUDGET_SUM,
        GROUPS_NEED_IDENTITY,
        OWNER_AFTER_HANDOVER,
        RETRY_VS_AMPLIFICATION,
        CONFIRMED_BY_CHECKS,
    ),
)


def _hours(value: float) -> str:
    return f"{value:g} h"


def check_file_valid(
    decisions: Decisions, problems: Sequence[tuple[str, str]], source: object = DECISIONS_FILE
) -> CheckResult:
    """Every field of decisions.yaml is usable as written (absent decisions count elsewhere)."""
    bad = [Problem(*problem) for problem in problems if not Problem(*problem).not_made]
    detail = "; ".join(f"field '{field}': {message}" for field, message in bad)
    return FILE_VALID.verdict(
        not bad,
        len(bad),
        f"{source}: {detail}" if bad else f"{source}: every field is valid",
        decision=",".join(decision.id for decision in decisions.all_decisions()),
    )


def check_required_made(decisions: Decisions) -> CheckResult:
    """Every required decision is made and accepted."""
    pending = [d for d in decisions.required() if d.status != "accepted"]
    detail = "; ".join(f"{d.id} is {d.status}" for d in pending)
    return REQUIRED_MADE.verdict(
        not pending,
        len(REQUIRED_DECISIONS) - len(pending),
        detail or "all required decisions are accepted",
    )


def check_freshness_vs_cadence(decisions: Decisions) -> CheckResult:
    """The freshness window is no shorter than the update cadence, and warns before it errors."""
    update = decisions.update_cadence
    observed = (
        f"every {_hours(update.cadence_hours)}; warn after {_hours(update.warn_after_hours)}, "
        f"error after {_hours(update.error_after_hours)}"
    )
    problems = []
    if update.error_after_hours < update.cadence_hours:
        problems.append(
            "the error window is shorter than the update cadence: data is flagged stale on "
            "every normal cycle, so the alarm will be ignored"
        )
    if update.error_after_hours < update.warn_after_hours:
        problems.append("the error window is shorter than the warning window")
    only_warn = not problems and update.warn_after_hours < update.cadence_hours
    if only_warn:
        problems.append("the warning fires before the next scheduled update is due")
    return FRESHNESS_VS_CADENCE.verdict(
        not problems,
        observed,
        "; ".join(problems) or "a missed update is noticed, a normal cycle is not",
        otherwise="warn" if only_warn else "fail",
    )


def check_latency_budget_sum(decisions: Decisions) -> CheckResult:
    """The end-to-end p95 budget is at least the sum of its stage budgets (and of the TTFT)."""
    budget = decisions.latency_budget
    stages = sum(budget.stages.values())
    problems = []
    if budget.p95_ms < stages:
        parts = " + ".join(f"{name} {ms} ms" for name, ms in budget.stages.items())
        problems.append(f"p95 {budget.p95_ms} ms is less than the stages' sum ({parts})")
    ttft = budget.time_to_first_token_ms
    if ttft is not None and ttft > budget.p95_ms:
        problems.append(f"time to first token {ttft} ms exceeds the p95 {budget.p95_ms} ms")
    return LATENCY_BUDGET_SUM.verdict(
        not problems,
        stages,
        "; ".join(problems) or f"stages use {stages} of {budget.p95_ms} ms",
        expected=f"<= {budget.p95_ms} ms (the end-to-end p95 budget)",
    )


def _named(value: str) -> bool:
    return value.strip().lower() not in PLACEHOLDER_NAMES


def check_groups_need_identity(decisions: Decisions) -> CheckResult:
    """Group-restricted documents and per-user privacy need an identity source to know the user."""
    access = decisions.access_model
    needs = []
    if access.document_groups:
        needs.append("documents restricted by group")
    if access.query_privacy == "per-user":
        needs.append("per-user query privacy")
    has_identity = _named(access.identity_source)
    ok = has_identity or not needs
    detail = (
        f"{' and '.join(needs)} with no identity source: nobody can tell which user is asking"
        if not ok
        else f"identity from {access.identity_source!r}"
        if has_identity
        else "nothing is restricted per user"
    )
    return GROUPS_NEED_IDENTITY.verdict(ok, access.identity_source or "(none)", detail)


def check_owner_after_handover(decisions: Decisions) -> CheckResult:
    """Someone owns the system and someone maintains it after the hand-over."""
    ownership = decisions.ownership
    missing = [
        label
        for label, value in (
            ("owner", ownership.owner),
            ("maintainer after hand-over", ownership.maintainer_after_handover),
        )
        if not _named(value)
    ]
    return OWNER_AFTER_HANDOVER.verdict(
        not missing,
        ownership.maintainer_after_handover or "(none)",
        f"no {' and no '.join(missing)}: the system decays once the delivery team leaves"
        if missing
        else f"owned by {ownership.owner}, maintained by {ownership.maintainer_after_handover}",
    )


def check_retry_vs_amplification(decisions: Decisions) -> CheckResult:
    """A policy that retries needs a retry budget above 1 call per request."""
    policy = decisions.failure_policy
    retried = [mode for mode in FAILURE_MODES if policy.action_for(mode) == "retry"]
    ok = not retried or policy.max_retry_amplification > 1.0
    return RETRY_VS_AMPLIFICATION.verdict(
        ok,
        policy.max_retry_amplification,
        f"{', '.join(retried)} retry but the budget allows no extra call"
        if not ok
        else f"retries on {', '.join(retried) or 'no failure mode'}, "
        f"at most {policy.max_retry_amplification:g} calls per request",
    )


def check_confirmed_by_checks(decisions: Decisions) -> CheckResult:
    """Each accepted decision names at least one check that confirms it."""
    accepted = [d for d in decisions.all_decisions() if d.status == "accepted"]
    unconfirmed = [d.id for d in accepted if not d.confirmed_by]
    return CONFIRMED_BY_CHECKS.verdict(
        not unconfirmed,
        len(accepted) - len(unconfirmed),
        f"no confirming check for: {', '.join(unconfirmed)}"
        if unconfirmed
        else "every accepted decision is tested by at least one check",
        expected=f"{len(accepted)} of {len(accepted)} accepted decisions",
        decision=",".join(d.id for d in accepted),
    )


def consistency_checks(
    decisions: Decisions,
    problems: Sequence[tuple[str, str]] = (),
    source: object = DECISIONS_FILE,
) -> list[CheckResult]:
    """Every consistency check of notebook 01: file, completeness, contradictions, confirmation."""
    return CHECKS.ordered(
        [
            check_file_valid(decisions, problems, source),
            check_required_made(decisions),
            check_freshness_vs_cadence(decisions),
            check_latency_budget_sum(decisions),
            check_groups_need_identity(decisions),
            check_owner_after_handover(decisions),
            check_retry_vs_amplification(decisions),
            check_confirmed_by_checks(decisions),
        ]
    )
