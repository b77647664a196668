"""Traces: does every answer leave a span tree that shows its stages, named as the OpenTelemetry
GenAI semantic conventions name them, so that a slow or failed request can be explained?"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from playbook.gaps.failure.classify import is_refusal
from playbook.targets.base import Answer
from playbook.targets.capabilities import STAGE_OPERATIONS, SpanRecord, stage_of

GENAI_ATTRIBUTES = ("gen_ai.operation.name", "gen_ai.request.model")  # on every stage span
MIN_COVERAGE = 0.95  # share of answers whose trace shows every stage


@dataclass(frozen=True)
class TraceOf:
    """One answer and what its trace shows."""

    question: str
    trace_id: str | None
    spans: tuple[SpanRecord, ...]
    stages: tuple[str, ...]  # the stages found in its spans
    missing_attributes: tuple[str, ...]  # GenAI attributes absent from its stage spans
    refused: bool = False  # a refusal may stop after retrieval: no generation to trace

    @property
    def complete(self) -> bool:
        needed = {"retrieval"} if self.refused else set(STAGE_OPERATIONS)
        return needed <= set(self.stages) and not self.missing_attributes


def traces_of(
    questions: Sequence[str], answers: Sequence[Answer], spans: Sequence[SpanRecord]
) -> list[TraceOf]:
    """Each answer matched to the spans of its trace (by the trace id the answer carried)."""
    by_trace: dict[str, list[SpanRecord]] = defaultdict(list)
    for span in spans:
        by_trace[span.trace_id.lower()].append(span)
    found = []
    for question, answer in zip(questions, answers, strict=True):
        trace_id = (answer.trace_id or "").lower() or None
        own = tuple(sorted(by_trace.get(trace_id or "", []), key=lambda span: span.start_ns))
        stages = tuple(dict.fromkeys(s for span in own if (s := stage_of(span))))
        missing = sorted(
            {
                attribute
                for span in own
                if stage_of(span)
                for attribute in GENAI_ATTRIBUTES
                if attribute not in span.attributes
            }
        )
        found.append(TraceOf(question, trace_id, own, stages, tuple(missing), is_refusal(answer)))
    return found


def coverage_table(traces: Sequence[TraceOf]) -> pd.DataFrame:
    rows = [
        {
            "question": trace.question[:70],
            "trace id": trace.trace_id or "-",
            "spans": len(trace.spans),
            "stages": ", ".join(trace.stages) or "-",
            "missing attributes": ", ".join(trace.missing_attributes) or "-",
            "complete": trace.complete,
        }
        for trace in traces
    ]
    columns = ["question", "trace id", "spans", "stages", "missing attributes", "complete"]
    return pd.DataFrame(rows, columns=columns)


def span_tree(spans: Sequence[SpanRecord]) -> pd.DataFrame:
    """The spans of one trace, parents before children, with depth and offsets in ms."""
    if not spans:
        return pd.DataFrame(columns=["span", "stage", "start_ms", "duration_ms", "status"])
    children: dict[str | None, list[SpanRecord]] = defaultdict(list)
    ids = {span.span_id for span in spans}
    for span in spans:
        parent = span.parent_id if span.parent_id in ids else None
        children[parent].append(span)
    origin = min(span.start_ns for span in spans)
    rows: list[dict[str, object]] = []

    def walk(parent: str | None, depth: int) -> None:
        for span in sorted(children.get(parent, []), key=lambda item: item.start_ns):
            rows.append(
                {
                    "span": "  " * depth + span.name,
                    "stage": stage_of(span) or "",
                    "start_ms": round((span.start_ns - origin) / 1e6, 2),
                    "duration_ms": round(span.seconds * 1000, 2),
                    "status": span.status,
                    "attributes": _shown(span.attributes),
                }
            )
            walk(span.span_id, depth + 1)

    walk(None, 0)
    return pd.DataFrame(rows)


def _shown(attributes: Mapping[str, object]) -> str:
    return ", ".join(
        f"{key}={value}" for key, value in sorted(attributes.items()) if key.startswith("gen_ai.")
    )
