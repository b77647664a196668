"""The faults the playbook injects: kinds, stages, and which requests a plan strikes.

Shared by every route that acts faults out: the reference system's injection points, the fault
proxy on an HTTP hop, and the switchboard a Python target routes its upstream calls through.

Whether attempt `a` of request `k` meets fault `f` depends only on (f.seed, f.kind, f.stage, k,
a): the same plan over the same request sequence faults the same requests, run after run.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from playbook.errors import PlaybookError

FaultKind = Literal[
    "latency",
    "hang",
    "exception",
    "rate_limit",
    "server_error",
    "malformed",
    "nonsense",
    "empty_retrieval",
]
Stage = Literal["retrieval", "generation"]
FAULT_KINDS: tuple[str, ...] = FaultKind.__args__  # type: ignore[attr-defined]
STAGES: tuple[str, ...] = Stage.__args__  # type: ignore[attr-defined]
STAGE_ONLY = {"malformed": "generation", "nonsense": "generation", "empty_retrieval": "retrieval"}
HANG_LIMIT_S = 30.0  # a hang outlasts any budget but can never wedge a test run
DEFAULT_LATENCY_S = 0.5
DEFAULT_RETRY_AFTER_S = 0.2
NONSENSE = (
    "Our quarterly synergy roadmap leverages cloud-native paradigms to empower stakeholders "
    "across every vertical.",
    "The migration of the northern herds depends mostly on the length of the rainy season.",
    "Bake the loaf for forty minutes, until the crust sounds hollow when tapped underneath.",
)
MALFORMED = (
    '{"id": "cmpl-7f3", "choices": [{"index": 0, "delta": {"content": null}',
    "\x00\ufffd\ufffd<|endoftext|>\ufffd",
    '{"error": {"message": "Unterminated string starting at: line 1 column 212',
)


@dataclass(frozen=True)
class Fault:
    """One fault: what happens, at which stage, to which share of requests, from which seed."""

    kind: FaultKind
    stage: Stage
    rate: float = 1.0
    seed: int = 0
    seconds: float | None = None  # latency added; hang length (capped); Retry-After sent

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise PlaybookError(f"fault: field 'kind': {self.kind!r} is not one of {FAULT_KINDS}")
        if self.stage not in STAGES:
            raise PlaybookError(f"fault: field 'stage': {self.stage!r} is not one of {STAGES}")
        only = STAGE_ONLY.get(self.kind)
        if only and self.stage != only:
            raise PlaybookError(f"fault: field 'stage': {self.kind} faults apply to {only} only")
        if not 0.0 <= self.rate <= 1.0:
            raise PlaybookError(f"fault: field 'rate': {self.rate} is not between 0 and 1")
        if self.seconds is not None and self.seconds < 0:
            raise PlaybookError(f"fault: field 'seconds': {self.seconds} is negative")

    def hits(self, request: int, attempt: int = 0) -> bool:
        """Whether this fault strikes attempt `attempt` of request `request` (deterministic)."""
        if self.rate >= 1.0:
            return True
        if self.rate <= 0.0:
            return False
        draw = random.Random(f"{self.seed}:{self.kind}:{self.stage}:{request}:{attempt}")
        return draw.random() < self.rate


@dataclass(frozen=True)
class FaultPlan:
    """The faults in force; the first matching fault of a stage wins."""

    faults: tuple[Fault, ...] = ()

    @classmethod
    def of(cls, *faults: Fault) -> FaultPlan:
        """A plan of the given faults, in order."""
        return cls(tuple(faults))

    def fault_for(self, stage: str, request: int, attempt: int = 0) -> Fault | None:
        """The fault that strikes this attempt of this request at `stage`, if any."""
        for fault in self.faults:
            if fault.stage == stage and fault.hits(request, attempt):
                return fault
        return None

    def faulted_requests(self, count: int, stage: str | None = None) -> list[int]:
        """Indices among the first `count` requests whose first attempt meets a fault."""
        stages: Sequence[str] = (stage,) if stage else STAGES
        return [
            request
            for request in range(count)
            if any(self.fault_for(name, request) for name in stages)
        ]


def altered_output(fault: Fault, request: int) -> str:
    """The junk or the fluent nonsense a faulted generation returns instead of an answer."""
    pool = MALFORMED if fault.kind == "malformed" else NONSENSE
    return pool[random.Random(f"{fault.seed}:{fault.kind}:{request}").randrange(len(pool))]
