"""What the data exercise amounts to, as tables: ingests, probes, drift, lineage, quality."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from playbook.gaps.data.exercise import PHASES, Exercise, PipelineExercise, Unavailable
from playbook.gaps.data.lineage import CitationTrace


def _not_measured(exercise: Exercise) -> pd.DataFrame | None:
    if isinstance(exercise, Unavailable):
        return pd.DataFrame({"not measured": [exercise.reason]})
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
            "unreadable files": len(step.errors),
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


def lineage_table(traced: CitationTrace | Unavailable) -> pd.DataFrame:
    """Each cited source of the measured answers, with its file, ingest version and verdict."""
    if isinstance(traced, Unavailable):
        return pd.DataFrame({"not measured": [traced.reason]})
    rows = {
        (record.phase, record.doc_id): {
            "phase": record.phase,
            "cited": record.doc_id,
            "file": Path(record.path).name if record.path else None,
            "ingest version": record.version,
            "traced": record.traced,
            "problem": record.reason,
        }
        for record in traced.lineage
    }
    return pd.DataFrame(list(rows.values()))


def quality_table(exercises: Iterable[Exercise | None]) -> pd.DataFrame:
    """Per pipeline and phase: questions, hit rate, and the shares of wrong and empty answers."""
    rows = []
    for exercise in exercises:
        if not isinstance(exercise, PipelineExercise):
            continue
        for phase in PHASES:
            answers = [q for q in exercise.asked if q.phase == phase]
            if not answers:
                continue
            count = Counter(q.outcome for q in answers)
            affected = [q for q in answers if q.affected]
            rows.append(
                {
                    "pipeline": exercise.label,
                    "phase": phase,
                    "questions": len(answers),
                    "hit rate": round(count["hit"] / len(answers), 3),
                    "wrong": round(count["wrong"] / len(answers), 3),
                    "empty": round(count["empty"] / len(answers), 3),
                    "hit rate on dropped documents": round(
                        sum(q.outcome == "hit" for q in affected) / len(affected), 3
                    )
                    if affected
                    else None,
                }
            )
    columns = ["pipeline", "phase", "questions", "hit rate", "wrong", "empty"]
    return pd.DataFrame(rows, columns=[*columns, "hit rate on dropped documents"])
