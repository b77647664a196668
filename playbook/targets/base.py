"""What the playbook measures: anything that answers a question for a user."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

AnswerStatus = Literal["ok", "degraded", "refused", "error"]
ANSWER_STATUSES: tuple[AnswerStatus, ...] = ("ok", "degraded", "refused", "error")


@dataclass(frozen=True)
class Answer:
    """One answer as the user would see it, plus what the playbook needs to judge it.

    `text` is exactly what the user is shown (a raw error included, when the target shows one);
    `error` is the internal reason, for logs and classification, never shown by the playbook.
    """

    text: str
    sources: tuple[str, ...] = ()
    status: AnswerStatus = "ok"
    timings: Mapping[str, float] = field(default_factory=dict)  # seconds per stage, "total" too
    trace_id: str | None = None
    error: str | None = None

    @property
    def seconds(self) -> float | None:
        """End-to-end seconds, when the target reported it."""
        return self.timings.get("total")


@runtime_checkable
class Target(Protocol):
    """A system under test. Every adapter (reference, http, python) implements this."""

    spec: str

    def ask(self, question: str, user: str | None = None) -> Answer:
        """Ask on behalf of `user` (a user id from the engagement's users file); never raises."""
        ...

    def close(self) -> None:
        """Release connections, servers or files the target holds."""
        ...
