"""Lineage: does every source an answer cites trace to a source file and an ingest version?"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from playbook.engagement import DepthBudget, Engagement
from playbook.golden import engagement_golden, sample_golden
from playbook.sources import location_file
from playbook.sources.parsed_files import read_sources_through
from playbook.targets.base import Target
from playbook.targets.capabilities import IngestHistory, capability


@dataclass(frozen=True)
class LineageRecord:
    """One cited source of one answer, and whether it traces to a file and an ingest version."""

    phase: str
    doc_id: str
    path: str | None
    version: int | None
    traced: bool
    reason: str = ""


def trace_lineage(history: IngestHistory, doc_id: str, phase: str = "") -> LineageRecord:
    """A served document's file and ingest version, checked to exist."""
    lineage = history.lineage(doc_id)
    if lineage is None:
        return LineageRecord(phase, doc_id, None, None, False, "not a served document")
    problems = []
    if not lineage.path or not Path(location_file(lineage.path)).is_file():
        problems.append(f"source file {lineage.path or '(none)'} does not exist")
    if lineage.version not in {info.version for info in history.versions()}:
        problems.append(f"ingest version {lineage.version} is not recorded")
    return LineageRecord(
        phase, doc_id, lineage.path, lineage.version, not problems, "; ".join(problems)
    )


@dataclass(frozen=True)
class CitationTrace:
    """The citations of answers to golden questions, traced (lineage without an exercise)."""

    label: str
    lineage: tuple[LineageRecord, ...]


def trace_citations(
    target: Target, engagement: Engagement, budget: DepthBudget, parse_cache: Path | None = None
) -> CitationTrace | str:
    """Ask golden questions and trace each cited source: through the target's ingest history
    when it shows one, or else to a file of the engagement's declared sources (read through the
    run's `parse_cache`). A string says why nothing could be asked."""
    golden, problem = engagement_golden(engagement)
    if problem:
        return f"cannot ask golden questions: {problem}"
    history = capability(target, IngestHistory)
    declared: dict[str, str] = {}
    if history is None:
        records, _ = read_sources_through(engagement.resolved_sources(), parse_cache)
        declared = {record.declared_id: record.location for record in records}
    answerable = [item for item in golden if item.answerable]
    deadline = time.monotonic() + budget.probe_seconds
    traced: list[LineageRecord] = []
    for item in sample_golden(answerable, budget.questions):
        if time.monotonic() > deadline:
            break
        for doc_id in target.ask(item.question, item.user).sources:
            traced.append(_trace(history, declared, doc_id))
    return CitationTrace(target.spec, tuple(traced))


def _trace(history: IngestHistory | None, declared: dict[str, str], doc_id: str) -> LineageRecord:
    if history is not None:
        return trace_lineage(history, doc_id, "before")
    path = declared.get(doc_id)
    reason = "ingest version not visible" if path else "no declared source file holds it"
    return LineageRecord("before", doc_id, path, None, path is not None, reason)


def traced_records(records: Sequence[LineageRecord]) -> dict[tuple[str, str], LineageRecord]:
    """One record per (phase, cited document): a document cited twice counts once per phase."""
    return {(record.phase, record.doc_id): record for record in records}
