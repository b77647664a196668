"""The checks of notebook 02: each a plain function over the freshness table, the exercise or the
traced citations. An exercise that could not run gives `skip` (the target offers no pipeline) or
`error` (it broke), never `pass`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from playbook.checks import AreaChecks, Check
from playbook.evidence import CheckResult
from playbook.gaps.data.exercise import Exercise, PipelineExercise, Unavailable
from playbook.gaps.data.lineage import CitationTrace, traced_records

if TYPE_CHECKING:
    from playbook.decisions import UpdateCadence

FRESHNESS = Check(
    "data.freshness",
    "Served data is within the freshness window and a change reaches answers",
    unit="hours (age of the served data, worst source)",
    remedy="freshness-slo",
    decision="update-cadence",
    needs="at least one declared data source",
)
VALIDATION = Check(
    "data.validation",
    "Invalid documents are quarantined with a reason and never indexed",
    unit="share of invalid probe documents kept out",
    expected="1.0 (every invalid probe quarantined, none indexed; 0 served documents "
    "failing the schema; ingested + quarantined = read)",
    remedy="validate-on-ingest-quarantine",
    decision="data-location",
    needs="documents served after the baseline ingest",
)
CHANGE_DETECTION = Check(
    "data.change_detection",
    "Ingests classify added, changed, deleted and unchanged documents correctly",
    unit="misclassified documents",
    expected="0 (an unchanged re-ingest changes nothing; no phantom adds or deletes)",
    remedy="content-hash-change-detection",
    decision="update-cadence",
    needs="documents served after the baseline ingest",
)
SCHEMA_DRIFT = Check(
    "data.schema_drift",
    "Drift from the stored contract is reported before it reaches the index",
    unit="share of drifted documents caught",
    expected="1.0 (every drifted document reported and kept out of the index)",
    remedy="schema-contract",
    decision="data-location",
    needs="documents served after the baseline ingest and a drop that drifts",
)
UPSTREAM_DRILL = Check(
    "data.upstream_drill",
    "Answer quality holds through an upstream format change",
    unit="golden hit rate during the drill",
    remedy="serve-last-good-version",
    decision="failure-policy",
    needs="golden questions answered from their gold documents before the drill",
)
RECOVERY = Check(
    "data.recovery",
    "Rollback restores answers; a deleted document leaves the answers",
    unit="golden hit rate after rollback",
    remedy="versioned-rollback",
    decision="data-location",
    needs="golden questions answered from their gold documents before the drill",
)
LINEAGE = Check(
    "data.lineage",
    "Every cited source traces to a source file and an ingest version",
    unit="share of cited sources traced",
    expected="1.0 (every cited source -> file + ingest version)",
    remedy="lineage-ids",
    decision="data-location",
    needs="answers to golden questions",
)
CHECKS = AreaChecks(
    "data",
    (FRESHNESS, VALIDATION, CHANGE_DETECTION, SCHEMA_DRIFT, UPSTREAM_DRILL, RECOVERY, LINEAGE),
)


def check_freshness(
    table: pd.DataFrame, window: UpdateCadence, exercise: Exercise | None = None
) -> CheckResult:
    """The served data is younger than the decided window, and a source change reaches answers."""
    expected = (
        f"<= {window.warn_after_hours:g} h (warn after), <= {window.error_after_hours:g} h "
        f"(error after); cadence + change lag <= {window.error_after_hours:g} h"
    )
    if table.empty:
        return FRESHNESS.could_not_run("no data source to measure", expected=expected)
    statuses = set(table["status"])
    status = "fail" if "fail" in statuses else "warn" if "warn" in statuses else "pass"
    ages = [age for age in table["age_h"] if age is not None and not pd.isna(age)]
    observed = round(max(ages), 4) if len(ages) == len(table) else None
    details = [
        f"{row.source}: newest {_fmt_age(row.newest_age_h)}, oldest {_fmt_age(row.oldest_age_h)}"
        + (f", {row.held_back} documents held back" if row.held_back else "")
        + f" [{row.status}]"
        for row in table.itertuples()
    ]
    detail = "; ".join(details) + f" (from {table['basis'].iloc[0]})"
    if isinstance(exercise, PipelineExercise):
        arrival = exercise.arrival
        if not arrival.arrived:
            status = "fail"
            detail += f". A source change never reached answers: {arrival.detail}"
        else:
            worst_lag = window.cadence_hours + (arrival.seconds or 0.0) / 3600
            detail += (
                f". A source change reached answers {arrival.seconds:.2f} s after it was "
                f"written; with a {window.cadence_hours:g} h cadence the worst-case lag is "
                f"{worst_lag:.2f} h"
            )
            if worst_lag > window.error_after_hours:
                status = "fail"
    else:
        why = exercise.reason if isinstance(exercise, Unavailable) else "no exercise was run"
        detail += f". Change lag not measured: {why}"
    return FRESHNESS.result(status, observed, detail, expected=expected)  # type: ignore[arg-type]


def _fmt_age(age: float | None) -> str:
    if age is None or pd.isna(age):
        return "unknown"
    return f"{age * 3600:.1f} s" if age < 1 / 60 else f"{age:.2f} h"


def _unmeasured(
    check: Check, exercise: Exercise, expected: str | None = None
) -> CheckResult | None:
    """The result for an exercise that did not run or served nothing, or None when it measured."""
    if isinstance(exercise, Unavailable):
        return check.result(exercise.status, None, exercise.reason, expected=expected)
    empty = exercise.serves_nothing()
    if empty is not None:
        return check.could_not_run(empty, expected=expected)
    return None


def check_validation(exercise: Exercise) -> CheckResult:
    """Invalid documents are quarantined with check, reason and batch, never indexed, never lost."""
    if (early := _unmeasured(VALIDATION, exercise)) is not None:
        return early
    assert isinstance(exercise, PipelineExercise)
    probes = exercise.probes
    kept_out = [probe for probe in probes if not probe.indexed]
    handled = [probe for probe in probes if probe.handled]
    indexed = [probe.rule for probe in probes if probe.indexed]
    lost = [step.name for step in exercise.steps if step.counts_add_up is False]
    problems = []
    if indexed:
        problems.append(f"indexed the probes breaking: {', '.join(indexed)}")
    if exercise.visible and len(handled) < len(kept_out):
        silent = [p.rule for p in kept_out if not p.handled]
        problems.append(f"kept out without a quarantine entry: {', '.join(silent)}")
    if exercise.served_invalid:
        when = "the upstream drop" if exercise.drop else "the last ingest"
        problems.append(f"{exercise.served_invalid} served documents fail the schema after {when}")
    if exercise.valid_probe_served is False:
        problems.append("the valid probe document was not served either")
    if lost:
        problems.append(f"counts do not add up (a document lost) in: {', '.join(lost)}")
    share = len(handled if exercise.visible else kept_out) / len(probes) if probes else 0.0
    status = "fail" if problems else "pass"
    probe_step = exercise.step("validation probes")
    counted = probe_step.quarantined if probe_step else None
    if not problems and not exercise.visible and (counted or 0) < len(probes):
        status = "warn"  # kept out of the answers, but nothing says they were quarantined
        problems.append(
            f"kept out of the answers, but the ingest hook reports {counted} quarantined"
        )
    reasons = "; ".join(f"{p.rule}: {p.reason}" for p in handled[:5])
    detail = "; ".join(problems) or f"every invalid probe quarantined ({reasons})"
    return VALIDATION.result(status, round(share, 3), detail)


def check_change_detection(exercise: Exercise) -> CheckResult:
    """Ingests classify added, changed, deleted and unchanged documents as they really changed."""
    if (early := _unmeasured(CHANGE_DETECTION, exercise)) is not None:
        return early
    assert isinstance(exercise, PipelineExercise)
    judged = [step for step in exercise.steps if step.name not in ("baseline", "rollback")]
    if not exercise.visible and all(step.added is None for step in judged):
        return CHANGE_DETECTION.not_measured(
            "the ingest hook reports no added/changed/deleted counts"
        )
    wrong = [(step.name, problem) for step in judged for problem in step.misclassified]
    reingest = exercise.step("re-ingest, nothing changed")
    summary = ", ".join(
        f"{step.name}: +{step.added} ~{step.changed} -{step.deleted}" for step in judged
    )
    if wrong:
        shown = "; ".join(f"[{name}] {problem}" for name, problem in wrong[:4])
        more = f" (and {len(wrong) - 4} more)" if len(wrong) > 4 else ""
        detail = f"{len(wrong)} misclassified: {shown}{more}. Reported {summary}"
    else:
        unchanged = reingest.unchanged if reingest else None
        detail = f"every change classified as made ({unchanged} unchanged on re-ingest). {summary}"
    return CHANGE_DETECTION.verdict(not wrong, len(wrong), detail)


def check_schema_drift(exercise: Exercise) -> CheckResult:
    """Documents that drift from the stored contract are reported and stopped before the index."""
    check = SCHEMA_DRIFT
    if (early := _unmeasured(check, exercise)) is not None:
        return early
    assert isinstance(exercise, PipelineExercise)
    if exercise.drop is None:
        return check.not_measured(exercise.drop_reason)
    if not exercise.drifted_paths:
        return check.result(
            "skip", 0, "the upstream drop matches the stored contract: no drift to catch"
        )
    if exercise.reached_index is None or exercise.reported is None:
        return check.not_measured(
            f"{len(exercise.drifted_paths)} drifted files found, but what reached the "
            "index is not visible through the ingest hook"
        )
    drifted = set(exercise.drifted_paths)
    caught = (drifted - set(exercise.reached_index)) & set(exercise.reported)
    fields = sorted({f"{item.source}.{item.field} ({item.change})" for item in exercise.drift})
    detail = (
        f"{len(drifted)} drifted files ({', '.join(fields[:6])}"
        f"{', ...' if len(fields) > 6 else ''}); {len(exercise.reached_index)} reached the "
        f"index, {len(exercise.reported)} were reported by the pipeline"
    )
    share = len(caught) / len(drifted)
    return check.verdict(share == 1, round(share, 3), detail)


def check_format_drill(exercise: Exercise, tolerance: float) -> CheckResult:
    """Answer quality holds while a broken upstream drop is ingested (the upstream drill)."""
    check = UPSTREAM_DRILL
    if (early := _unmeasured(check, exercise, f"drop <= {tolerance:g}")) is not None:
        return early
    assert isinstance(exercise, PipelineExercise)
    if exercise.drop is None:
        return check.not_measured(exercise.drop_reason)
    before, during = _phase_rates(exercise, "before", "during")
    if before is None or during is None:
        return check.could_not_run("no golden question was answered")
    if before.hit == 0:
        return check.could_not_run(
            f"none of {before.questions} golden questions was answered from its gold document "
            "before the drill, so there is no quality to hold"
        )
    expected = f">= {max(0.0, before.hit - tolerance):.3f} (before {before.hit:.3f}, tolerance "
    expected += f"{tolerance:g})"
    drop = exercise.step("upstream drop")
    alerted = bool(drop and ((drop.quarantined or 0) > 0 or drop.errors))
    detail = (
        f"{before.questions} golden questions ({before.affected} on dropped documents): hit "
        f"rate {before.hit:.3f} before, {during.hit:.3f} during; empty or wrong answers "
        f"{before.empty_or_wrong:.3f} before, {during.empty_or_wrong:.3f} during"
    )
    if drop is not None and drop.quarantined is not None:
        detail += (
            f". The drop read {drop.read} documents, quarantined {drop.quarantined}, kept "
            f"{drop.kept_last_good or 0} last good versions"
        )
    holds = during.hit >= before.hit - tolerance - 1e-9
    status = "pass" if holds else "fail"
    if holds and exercise.drifted_paths and exercise.visible and not alerted:
        status = "warn"
        detail += "; quality held but nothing alerted on the drifted documents"
    elif not holds:
        detail += f"; on the dropped documents the hit rate went {before.affected_hit:.3f} -> "
        detail += f"{during.affected_hit:.3f}"
    return check.result(status, round(during.hit, 3), detail, expected=expected)  # type: ignore[arg-type]


def check_recovery(exercise: Exercise, tolerance: float) -> CheckResult:
    """A rollback restores answer quality, and a deleted source document leaves the answers."""
    check = RECOVERY
    if (early := _unmeasured(check, exercise, f"drop <= {tolerance:g}")) is not None:
        return early
    assert isinstance(exercise, PipelineExercise)
    before, after = _phase_rates(exercise, "before", "after")
    if before is None or after is None:
        return check.could_not_run("no golden question was answered")
    if before.hit == 0:
        return check.could_not_run(
            f"none of {before.questions} golden questions was answered from its gold document "
            "before the drill, so there is no quality to restore"
        )
    expected = f">= {max(0.0, before.hit - tolerance):.3f} (before {before.hit:.3f}); deleted "
    expected += "document gone from answers"
    problems = []
    if after.hit < before.hit - tolerance - 1e-9:
        problems.append(f"hit rate {after.hit:.3f} after rollback, {before.hit:.3f} before")
    if exercise.rollback_exact is False:
        problems.append("the rollback does not serve exactly the earlier documents")
    if not exercise.deletion_removed:
        problems.append("a deleted source document still shows in answers")
    detail = "; ".join(problems) or (
        f"rollback restored hit rate {after.hit:.3f} (before {before.hit:.3f})"
        + (", exactly the earlier documents" if exercise.rollback_exact else "")
        + "; a deleted source document left the answers"
    )
    return check.verdict(not problems, round(after.hit, 3), detail, expected=expected)


def check_lineage(traced: CitationTrace | Unavailable) -> CheckResult:
    """Every source an answer cites traces to a source file and an ingest version."""
    if isinstance(traced, Unavailable):
        return LINEAGE.result(traced.status, None, traced.reason)
    records = traced_records(traced.lineage)
    if not records:
        return LINEAGE.result("fail", 0.0, "no answer cited a source: nothing traces")
    done = [record for record in records.values() if record.traced]
    broken = [record for record in records.values() if not record.traced]
    share = round(len(done) / len(records), 3)
    versions = all(record.version is not None for record in done)
    if broken:
        shown = "; ".join(f"{r.doc_id} ({r.phase}): {r.reason}" for r in broken[:4])
        detail = f"{len(broken)} of {len(records)} citations do not trace: {shown}"
        return LINEAGE.result("fail", share, detail)
    if not versions:
        detail = (
            f"all {len(records)} citations trace to a declared source file; the ingest version "
            "is not visible from outside (return it with each citation)"
        )
        return LINEAGE.result("warn", share, detail)
    detail = f"all {len(records)} citations trace to a source file and an ingest version"
    return LINEAGE.result("pass", share, detail)


@dataclass(frozen=True)
class _Rates:
    questions: int
    hit: float
    empty_or_wrong: float
    affected: int
    affected_hit: float


def _phase_rates(exercise: PipelineExercise, *phases: str) -> tuple[_Rates | None, ...]:
    """Rates of each phase over the questions every one of those phases answered."""
    by_phase = {
        phase: {q.item_id: q for q in exercise.asked if q.phase == phase} for phase in phases
    }
    common = set.intersection(*(set(answers) for answers in by_phase.values()))
    rates: list[_Rates | None] = []
    for phase in phases:
        answers = [by_phase[phase][item] for item in sorted(common)]
        if not answers:
            rates.append(None)
            continue
        affected = [answer for answer in answers if answer.affected]
        hits = sum(answer.outcome == "hit" for answer in answers)
        rates.append(
            _Rates(
                questions=len(answers),
                hit=hits / len(answers),
                empty_or_wrong=1 - hits / len(answers),
                affected=len(affected),
                affected_hit=(
                    sum(answer.outcome == "hit" for answer in affected) / len(affected)
                    if affected
                    else float("nan")
                ),
            )
        )
    return tuple(rates)


def data_checks(
    freshness: pd.DataFrame,
    window: UpdateCadence,
    exercise: Exercise,
    lineage: CitationTrace | Unavailable,
    tolerance: float,
) -> list[CheckResult]:
    """Every check of notebook 02, in the declared order."""
    return CHECKS.ordered(
        [
            check_freshness(freshness, window, exercise),
            check_validation(exercise),
            check_change_detection(exercise),
            check_schema_drift(exercise),
            check_format_drill(exercise, tolerance),
            check_recovery(exercise, tolerance),
            check_lineage(lineage),
        ]
    )
