"""Data pipeline checks (notebook 02): is the data fresh, validated, versioned and recoverable?

A prototype runs against a static snapshot; production needs data that is current, validated and
recoverable when an upstream source changes. Every check here measures the target's data path:

- the reference target is exercised on a *twin* of its system (same switches, same users) over a
  copy of its sources in the notebook's work folder, so neither the target nor the sources change;
- any other target is measured through the engagement's declared sources and the sources its
  answers cite; the drill needs an ingest hook (`target.ingest_hook: python:module:callable`),
  called as `hook(sources: list[DataSource])` to re-ingest the target's data from those folders.
  The hook may return a mapping with counts (`read`, `added`, `changed`, `deleted`, `unchanged`,
  `quarantined`); without one, the checks that need per-document outcomes are skipped.

The exercise (`run_exercise`) is one scripted sequence of ingests: baseline, an unchanged re-ingest,
validation probes, a source change, a deletion, the upstream drop, and a rollback. Each check is a
plain function over its result.

This module holds the freshness measurement, the checks, and the tables and figures the notebook
and the report show. The source data contract lives in `playbook.gaps.data_contract` and the
exercise in `playbook.gaps.data_exercise`; the names the notebook uses from them are re-exported
here, so `from playbook.gaps import data` gives all of notebook 02.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go

from playbook.charts import STATUS_COLOURS
from playbook.engagement import DepthBudget, Engagement
from playbook.evidence import CheckResult
from playbook.gaps.data_contract import (
    CONTRACT_FILE,
    ISO_UTC,
    DataContract,
    Drift,
    FieldContract,
    SourceContract,
    compare_contract,
    infer_contract,
    load_contract,
    save_contract,
    value_kind,
)
from playbook.gaps.data_exercise import (
    ARRIVAL_ATTEMPTS,
    DEFAULT_DROP,
    INVALID_PROBES,
    PHASES,
    PROBE_QUESTION,
    PROBE_SOURCE,
    AskedQuestion,
    ChangeArrival,
    Exercise,
    ExerciseLimits,
    IngestStep,
    LineageRecord,
    Outcome,
    PipelineExercise,
    ProbeResult,
    Quarantined,
    Served,
    Unavailable,
    _reference_system,
    companion_exercise,
    quality_table,
    run_exercise,
    trace_citations,
)
from playbook.targets.base import Target

if TYPE_CHECKING:
    from playbook.decisions import UpdateCadence
    from playbook.reference.system import ReferenceSystem

__all__ = [
    # defined here: freshness, checks, tables and figures
    "AREA",
    "changes_figure",
    "check_change_detection",
    "check_format_drill",
    "check_freshness",
    "check_lineage",
    "check_recovery",
    "check_schema_drift",
    "check_validation",
    "data_checks",
    "drift_table",
    "freshness_figure",
    "freshness_table",
    "lineage_source",
    "lineage_table",
    "probes_table",
    "quality_figure",
    "steps_table",
    # re-exported from playbook.gaps.data_contract
    "CONTRACT_FILE",
    "ISO_UTC",
    "DataContract",
    "Drift",
    "FieldContract",
    "SourceContract",
    "compare_contract",
    "infer_contract",
    "load_contract",
    "save_contract",
    "value_kind",
    # re-exported from playbook.gaps.data_exercise
    "ARRIVAL_ATTEMPTS",
    "DEFAULT_DROP",
    "INVALID_PROBES",
    "PHASES",
    "PROBE_QUESTION",
    "PROBE_SOURCE",
    "AskedQuestion",
    "ChangeArrival",
    "Exercise",
    "ExerciseLimits",
    "IngestStep",
    "LineageRecord",
    "Outcome",
    "PipelineExercise",
    "ProbeResult",
    "Quarantined",
    "Served",
    "Unavailable",
    "companion_exercise",
    "quality_table",
    "run_exercise",
    "trace_citations",
]

AREA = "data"


# ---------------------------------------------------------------------------------------------
# Freshness


def freshness_table(
    target: Target,
    engagement: Engagement,
    window: UpdateCadence,
    now: dt.datetime | None = None,
) -> pd.DataFrame:
    """Per source: age (hours) of the newest and oldest data served, judged against the window.

    For the reference target the ages come from its ingest versions (a document kept from an
    earlier version is as old as that version) and the oldest age is judged. Other targets show
    only their declared source files: the newest file bounds how fresh the target can be.
    """
    now = now or dt.datetime.now(dt.UTC)
    system = _reference_system(target)
    if system is not None:
        rows, judged = _reference_freshness(system, now), "oldest_age_h"
    else:
        rows, judged = _file_freshness(engagement, now), "newest_age_h"
    columns = ["source", "newest_age_h", "oldest_age_h", "held_back", "basis"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["age_h"] = frame[judged]
    frame["status"] = [_age_status(age, window) for age in frame["age_h"]]
    return frame


def _age_status(age: float | None, window: UpdateCadence) -> str:
    if age is None or (isinstance(age, float) and math.isnan(age)):
        return "fail"
    if age > window.error_after_hours:
        return "fail"
    return "warn" if age > window.warn_after_hours else "pass"


def _parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _hours(now: dt.datetime, then: dt.datetime) -> float:
    return max(0.0, (now - then).total_seconds() / 3600)


def _reference_freshness(system: ReferenceSystem, now: dt.datetime) -> list[dict[str, Any]]:
    versions = system.versions()
    by_number = {info.version: info for info in versions}
    served = versions[-1] if versions else None
    # A rollback serves an earlier version's documents: the data is as old as that version.
    while served is not None and served.kind == "rollback" and served.rolled_back_to:
        served = by_number.get(served.rolled_back_to)
    rows = []
    for source in system.sources:
        ingests = [
            info
            for info in versions
            if info.kind == "ingest"
            and source.name in info.origins
            and (served is None or info.version <= served.version)
        ]
        if not ingests:
            rows.append(
                {
                    "source": source.name,
                    "newest_age_h": None,
                    "oldest_age_h": None,
                    "basis": "never ingested",
                    "held_back": 0,
                }
            )
            continue
        newest = ingests[-1]
        newest_age = _hours(now, _parse_time(newest.finished_at))
        oldest_age = newest_age
        kept = {
            doc_id
            for doc_id in system.store.changes(newest.version).get("kept_last_good", [])
            if (lineage := system.lineage(doc_id)) is not None and lineage.origin == source.name
        }
        held_back = len(kept)
        for earlier in reversed(ingests[:-1]):
            if not kept:
                break
            oldest_age = _hours(now, _parse_time(earlier.finished_at))
            kept &= set(system.store.changes(earlier.version).get("kept_last_good", []))
        rows.append(
            {
                "source": source.name,
                "newest_age_h": newest_age,
                "oldest_age_h": oldest_age,
                "basis": "the target's ingest versions",
                "held_back": held_back,
            }
        )
    return rows


def _file_freshness(engagement: Engagement, now: dt.datetime) -> list[dict[str, Any]]:
    from playbook.reference.sources import source_files

    rows = []
    for source in engagement.data_sources:
        folder = engagement.resolve(source.path)
        files = source_files(folder, source.format) if folder.exists() else []
        if not files:
            rows.append(
                {
                    "source": source.name,
                    "newest_age_h": None,
                    "oldest_age_h": None,
                    "basis": "no source files",
                    "held_back": 0,
                }
            )
            continue
        times = [dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC) for path in files]
        rows.append(
            {
                "source": source.name,
                "newest_age_h": _hours(now, max(times)),
                "oldest_age_h": _hours(now, min(times)),
                "basis": "source file times (what the target can have at best)",
                "held_back": 0,
            }
        )
    return rows


def check_freshness(
    table: pd.DataFrame, window: UpdateCadence, exercise: Exercise | None = None
) -> CheckResult:
    """The served data is younger than the decided window, and a source change reaches answers."""
    base = {
        "area": AREA,
        "id": "data.freshness",
        "title": "Served data is within the freshness window and a change reaches answers",
        "expected": f"<= {window.warn_after_hours:g} h (warn after), <= "
        f"{window.error_after_hours:g} h (error after); cadence + change lag <= "
        f"{window.error_after_hours:g} h",
        "unit": "hours (age of the served data, worst source)",
        "remedy": "freshness-slo",
        "decision": "update-cadence",
    }
    if table.empty:
        return CheckResult(**base, status="error", detail="no data source to measure")
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
    return CheckResult(**base, status=status, observed=observed, detail=detail)


def _fmt_age(age: float | None) -> str:
    if age is None or pd.isna(age):
        return "unknown"
    return f"{age * 3600:.1f} s" if age < 1 / 60 else f"{age:.2f} h"


# ---------------------------------------------------------------------------------------------
# Checks over the exercise


def _unmeasured(base: Mapping[str, Any], exercise: Exercise) -> CheckResult | None:
    """The result for an exercise that did not run, or None when it ran."""
    if isinstance(exercise, Unavailable):
        return CheckResult(**base, status=exercise.status, detail=exercise.reason)
    if not exercise.steps:
        reason = "the target is measured through its answers only: no ingest hook"
        return CheckResult(**base, status="skip", detail=reason)
    return None


def check_validation(exercise: Exercise) -> CheckResult:
    """Invalid documents are quarantined with check, reason and batch, never indexed, never lost."""
    base = {
        "area": AREA,
        "id": "data.validation",
        "title": "Invalid documents are quarantined with a reason and never indexed",
        "expected": "1.0 (every invalid probe quarantined, none indexed; 0 served documents "
        "failing the schema; ingested + quarantined = read)",
        "unit": "share of invalid probe documents kept out",
        "remedy": "validate-on-ingest-quarantine",
        "decision": "data-location",
    }
    unmeasured = _unmeasured(base, exercise)
    if unmeasured is not None:
        return unmeasured
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
    return CheckResult(**base, status=status, observed=round(share, 3), detail=detail)


def check_change_detection(exercise: Exercise) -> CheckResult:
    """Ingests classify added, changed, deleted and unchanged documents as they really changed."""
    base = {
        "area": AREA,
        "id": "data.change_detection",
        "title": "Ingests classify added, changed, deleted and unchanged documents correctly",
        "expected": "0 (an unchanged re-ingest changes nothing; no phantom adds or deletes)",
        "unit": "misclassified documents",
        "remedy": "content-hash-change-detection",
        "decision": "update-cadence",
    }
    unmeasured = _unmeasured(base, exercise)
    if unmeasured is not None:
        return unmeasured
    assert isinstance(exercise, PipelineExercise)
    judged = [step for step in exercise.steps if step.name not in ("baseline", "rollback")]
    if not exercise.visible and all(step.added is None for step in judged):
        return CheckResult(
            **base, status="skip", detail="the ingest hook reports no added/changed/deleted counts"
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
    return CheckResult(
        **base, status="fail" if wrong else "pass", observed=len(wrong), detail=detail
    )


def check_schema_drift(exercise: Exercise) -> CheckResult:
    """Documents that drift from the stored contract are reported and stopped before the index."""
    base = {
        "area": AREA,
        "id": "data.schema_drift",
        "title": "Drift from the stored contract is reported before it reaches the index",
        "expected": "1.0 (every drifted document reported and kept out of the index)",
        "unit": "share of drifted documents caught",
        "remedy": "schema-contract",
        "decision": "data-location",
    }
    unmeasured = _unmeasured(base, exercise)
    if unmeasured is not None:
        return unmeasured
    assert isinstance(exercise, PipelineExercise)
    if exercise.drop is None:
        return CheckResult(**base, status="skip", detail=exercise.drop_reason)
    if not exercise.drifted_paths:
        return CheckResult(
            **base,
            status="skip",
            observed=0,
            detail="the upstream drop matches the stored contract: no drift to catch",
        )
    if exercise.reached_index is None or exercise.reported is None:
        return CheckResult(
            **base,
            status="skip",
            detail=f"{len(exercise.drifted_paths)} drifted files found, but what reached the "
            "index is not visible through the ingest hook",
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
    return CheckResult(
        **base, status="pass" if share == 1 else "fail", observed=round(share, 3), detail=detail
    )


def check_format_drill(exercise: Exercise, tolerance: float) -> CheckResult:
    """Answer quality holds while a broken upstream drop is ingested (the upstream drill)."""
    base = {
        "area": AREA,
        "id": "data.upstream_drill",
        "title": "Answer quality holds through an upstream format change",
        "unit": "golden hit rate during the drill",
        "remedy": "serve-last-good-version",
        "decision": "failure-policy",
    }
    unmeasured = _unmeasured({**base, "expected": f"drop <= {tolerance:g}"}, exercise)
    if unmeasured is not None:
        return unmeasured
    assert isinstance(exercise, PipelineExercise)
    if exercise.drop is None:
        return CheckResult(**base, expected="", status="skip", detail=exercise.drop_reason)
    before, during = _phase_rates(exercise, "before", "during")
    if before is None or during is None:
        return CheckResult(
            **base, expected="", status="error", detail="no golden question was answered"
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
    return CheckResult(
        **base, expected=expected, status=status, observed=round(during.hit, 3), detail=detail
    )


def check_recovery(exercise: Exercise, tolerance: float) -> CheckResult:
    """A rollback restores answer quality, and a deleted source document leaves the answers."""
    base = {
        "area": AREA,
        "id": "data.recovery",
        "title": "Rollback restores answers; a deleted document leaves the answers",
        "unit": "golden hit rate after rollback",
        "remedy": "versioned-rollback",
        "decision": "data-location",
    }
    unmeasured = _unmeasured({**base, "expected": f"drop <= {tolerance:g}"}, exercise)
    if unmeasured is not None:
        return unmeasured
    assert isinstance(exercise, PipelineExercise)
    before, after = _phase_rates(exercise, "before", "after")
    if before is None or after is None:
        return CheckResult(
            **base, expected="", status="error", detail="no golden question was answered"
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
    return CheckResult(
        **base,
        expected=expected,
        status="fail" if problems else "pass",
        observed=round(after.hit, 3),
        detail=detail,
    )


def check_lineage(exercise: Exercise) -> CheckResult:
    """Every source an answer cites traces to a source file and an ingest version."""
    base = {
        "area": AREA,
        "id": "data.lineage",
        "title": "Every cited source traces to a source file and an ingest version",
        "expected": "1.0 (every cited source -> file + ingest version)",
        "unit": "share of cited sources traced",
        "remedy": "lineage-ids",
        "decision": "data-location",
    }
    if isinstance(exercise, Unavailable):
        return CheckResult(**base, status=exercise.status, detail=exercise.reason)
    records = {(record.phase, record.doc_id): record for record in exercise.lineage}
    if not records:
        return CheckResult(
            **base, status="fail", observed=0.0, detail="no answer cited a source: nothing traces"
        )
    traced = [record for record in records.values() if record.traced]
    broken = [record for record in records.values() if not record.traced]
    share = len(traced) / len(records)
    versions = all(record.version is not None for record in traced)
    if broken:
        shown = "; ".join(f"{r.doc_id} ({r.phase}): {r.reason}" for r in broken[:4])
        status, detail = "fail", f"{len(broken)} of {len(records)} citations do not trace: {shown}"
    elif not versions:
        status = "warn"
        detail = (
            f"all {len(records)} citations trace to a declared source file; the ingest version "
            "is not visible from outside (return it with each citation)"
        )
    else:
        status = "pass"
        detail = f"all {len(records)} citations trace to a source file and an ingest version"
    return CheckResult(**base, status=status, observed=round(share, 3), detail=detail)


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
    lineage: Exercise,
    tolerance: float,
) -> list[CheckResult]:
    """Every check of notebook 02, in the order the notebook shows them."""
    return [
        check_freshness(freshness, window, exercise),
        check_validation(exercise),
        check_change_detection(exercise),
        check_schema_drift(exercise),
        check_format_drill(exercise, tolerance),
        check_recovery(exercise, tolerance),
        check_lineage(lineage),
    ]


def lineage_source(
    exercise: Exercise, target: Target, engagement: Engagement, budget: DepthBudget
) -> Exercise:
    """The exercise's citations when it ran, else citations traced through the target's answers."""
    if isinstance(exercise, PipelineExercise) and exercise.lineage:
        return exercise
    return trace_citations(target, engagement, budget)


# ---------------------------------------------------------------------------------------------
# Tables and figures for the notebook and the report


def _not_measured(exercise: Exercise) -> pd.DataFrame | None:
    if isinstance(exercise, Unavailable):
        return pd.DataFrame({"not measured": [exercise.reason]})
    if not exercise.steps:
        return pd.DataFrame({"not measured": ["no ingest hook: measured through answers only"]})
    return None


def steps_table(exercise: Exercise) -> pd.DataFrame:
    """One row per ingest of the exercise: what it reported and how much it got wrong."""
    missing = _not_measured(exercise)
    if missing is not None:
        return missing
    assert isinstance(exercise, PipelineExercise)
    rows = [
        {
            "step": step.name,
            "version": step.version,
            "read": step.read,
            "added": step.added,
            "changed": step.changed,
            "deleted": step.deleted,
            "unchanged": step.unchanged,
            "quarantined": step.quarantined,
            "kept last good": step.kept_last_good,
            "counts add up": step.counts_add_up,
            "misclassified": len(step.misclassified),
        }
        for step in exercise.steps
    ]
    frame = pd.DataFrame(rows).set_index("step")
    counts = [column for column in frame.columns if column != "counts add up"]
    return frame.astype({column: "Int64" for column in counts})


def probes_table(exercise: Exercise) -> pd.DataFrame:
    """One row per invalid probe document: indexed or quarantined, with check, reason and batch."""
    missing = _not_measured(exercise)
    if missing is not None:
        return missing
    assert isinstance(exercise, PipelineExercise)
    rows = [
        {
            "rule": probe.rule,
            "the probe has": probe.breaks,
            "indexed": probe.indexed,
            "quarantined": probe.quarantined,
            "check": probe.check,
            "reason": probe.reason,
            "batch": probe.version,
        }
        for probe in exercise.probes
    ]
    return pd.DataFrame(rows).set_index("rule").astype({"batch": "Int64"})


def drift_table(exercise: Exercise) -> pd.DataFrame:
    """The drop's drift from the contract: source, field, change, expected, observed, documents."""
    missing = _not_measured(exercise)
    if missing is not None:
        return missing
    assert isinstance(exercise, PipelineExercise)
    columns = ["source", "field", "change", "expected", "observed", "documents"]
    rows = [{column: getattr(item, column) for column in columns} for item in exercise.drift]
    return pd.DataFrame(rows, columns=columns)


def lineage_table(exercise: Exercise) -> pd.DataFrame:
    """Each cited source of the measured answers, with its file, ingest version and verdict."""
    if isinstance(exercise, Unavailable):
        return pd.DataFrame({"not measured": [exercise.reason]})
    rows = {
        (record.phase, record.doc_id): {
            "phase": record.phase,
            "cited": record.doc_id,
            "file": Path(record.path).name if record.path else None,
            "ingest version": record.version,
            "traced": record.traced,
            "problem": record.reason,
        }
        for record in exercise.lineage
    }
    return pd.DataFrame(list(rows.values()))


def freshness_figure(table: pd.DataFrame, window: UpdateCadence) -> go.Figure:
    """Newest and oldest served data per source (hours, log scale) against the window."""
    floor = 1e-4  # a just-ingested source is seconds old: keep it visible on a log axis
    figure = go.Figure()
    for column, name, colour in (
        ("newest_age_h", "newest", "#1565c0"),
        ("oldest_age_h", "oldest", "#90caf9"),
    ):
        values = [floor if v is None or pd.isna(v) else max(float(v), floor) for v in table[column]]
        figure.add_bar(x=list(table["source"]), y=values, name=name, marker_color=colour)
    sources = list(table["source"])
    for hours, label, status in (
        (window.warn_after_hours, "warn after", "warn"),
        (window.error_after_hours, "error after", "fail"),
    ):
        # drawn as traces: shapes and annotations want log10 values on a log axis
        figure.add_scatter(
            x=sources,
            y=[hours] * len(sources),
            mode="lines",
            line={"dash": "dash", "color": STATUS_COLOURS[status]},
            name=f"{label} {hours:g} h",
        )
    figure.update_layout(
        title="Age of the served data per source against the freshness window",
        yaxis={"type": "log", "title": "age (hours, log scale)"},
        xaxis={"title": "data source"},
        barmode="group",
        height=360,
        margin={"t": 60, "b": 40},
    )
    return figure


def changes_figure(exercise: Exercise) -> go.Figure:
    """The change summary of each ingest of the exercise, misclassified documents in red."""
    figure = go.Figure()
    if not isinstance(exercise, PipelineExercise) or not exercise.steps:
        figure.update_layout(title="No ingest was exercised", height=200)
        return figure
    steps = list(exercise.steps)
    names = [step.name for step in steps]
    for kind, colour in (
        ("added", "#2e7d32"),
        ("changed", "#1565c0"),
        ("deleted", "#6d4c41"),
        ("quarantined", "#f9a825"),
        ("kept_last_good", "#8e24aa"),
    ):
        values = [getattr(step, kind) or 0 for step in steps]
        figure.add_bar(x=names, y=values, name=kind.replace("_", " "), marker_color=colour)
    figure.add_scatter(
        x=names,
        y=[len(step.misclassified) for step in steps],
        mode="markers",
        marker={"color": STATUS_COLOURS["fail"], "size": 12, "symbol": "x"},
        name="misclassified",
    )
    figure.update_layout(
        title="What each ingest changed (unchanged documents not drawn)",
        barmode="stack",
        yaxis={"title": "documents"},
        height=380,
        margin={"t": 60, "b": 80},
    )
    return figure


def quality_figure(exercises: Iterable[Exercise | None]) -> go.Figure:
    """Golden hit rate (solid) and empty-or-wrong share (dashed) before, during, after the drill."""
    table = quality_table(exercises)
    figure = go.Figure()
    palette = ["#c62828", "#2e7d32", "#1565c0", "#6a1b9a"]
    for index, (label, rows) in enumerate(table.groupby("pipeline", sort=False)):
        colour = palette[index % len(palette)]
        figure.add_scatter(
            x=list(rows["phase"]),
            y=list(rows["hit rate"]),
            name=f"{label}: hit rate",
            mode="lines+markers",
            line={"color": colour},
        )
        figure.add_scatter(
            x=list(rows["phase"]),
            y=list(rows["wrong"] + rows["empty"]),
            name=f"{label}: empty or wrong",
            mode="lines+markers",
            line={"color": colour, "dash": "dash"},
        )
    figure.update_layout(
        title="Answer quality before, during and after the upstream format change",
        yaxis={"range": [0, 1.05], "title": "share of golden questions"},
        xaxis={"title": "drill phase (during: v2 drop ingested; after: rolled back)"},
        height=380,
        margin={"t": 60, "b": 40},
    )
    return figure
