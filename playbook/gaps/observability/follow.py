"""Following one failure: from the answer a user reported, by its trace id, to the log lines and
the spans that explain it. When nothing failed on its own, one failure is caused where the
target offers a fault route."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from playbook.faults import Fault
from playbook.golden import GoldenItem
from playbook.targets.base import Answer, Target
from playbook.targets.capabilities import (
    FaultInjection,
    Logs,
    SpanRecord,
    Spans,
    capability,
    why_missing,
)

FAILED = ("error", "degraded")
TRACE_FIELDS = ("trace_id", "traceId", "trace.id")


@dataclass(frozen=True)
class FollowedFailure:
    """A failed answer and what its trace id leads to."""

    question: str
    answer: Answer | None
    how: str  # how the failure came about
    log_entries: tuple[dict[str, Any], ...] = ()
    spans: tuple[SpanRecord, ...] = ()
    logs_missing: str | None = None  # why logs could not be read
    spans_missing: str | None = None

    @property
    def trace_id(self) -> str | None:
        return self.answer.trace_id if self.answer is not None else None


def trace_of(entry: dict[str, Any]) -> str | None:
    for name in TRACE_FIELDS:
        if entry.get(name):
            return str(entry[name]).lower()
    return None


def follow_a_failure(
    target: Target, items: Sequence[GoldenItem], seen: Sequence[tuple[str, Answer]]
) -> FollowedFailure:
    """Follow the first failed answer among `seen`, else one caused by an injected 5xx at
    generation; report what its trace id finds in the target's logs and spans."""
    failed = next(((q, a) for q, a in seen if a.status in FAILED), None)
    how = "failed during the evaluation"
    if failed is None:
        injector = capability(target, FaultInjection)
        asked = next((item for item in items if item.answerable), None)
        if injector is None or asked is None or not injector.supports("server_error", "generation"):
            reason = why_missing(target, FaultInjection) if injector is None else "no fault to use"
            return FollowedFailure(
                "", None, f"nothing failed, and no failure can be caused: {reason}"
            )
        injector.reset()  # a cached answer would not reach the failing upstream
        injector.apply(Fault("server_error", "generation"))
        try:
            answer = target.ask(asked.question, asked.user)
        finally:
            injector.apply(None)
            injector.reset()
        failed = (asked.question, answer)
        how = "a 5xx injected at generation"
    question, answer = failed
    trace_id = (answer.trace_id or "").lower()
    logs = capability(target, Logs)
    spans = capability(target, Spans)
    entries = tuple(
        entry
        for entry in (logs.entries() if logs else [])
        if trace_id and trace_of(entry) == trace_id
    )
    found = tuple(
        span for span in (spans.spans() if spans else []) if span.trace_id.lower() == trace_id
    )
    return FollowedFailure(
        question,
        answer,
        how,
        entries,
        found,
        None if logs else why_missing(target, Logs),
        None if spans else why_missing(target, Spans),
    )
