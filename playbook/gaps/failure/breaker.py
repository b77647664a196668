"""The breaker episode: a sustained fault, then recovery; does the circuit breaker open and close?

Where the target does not report its breaker's state, the state is inferred from the upstream
calls: a failed answer whose request never reached the upstream means the breaker is open.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import pandas as pd

from playbook.faults import Fault
from playbook.gaps.failure.classify import classify
from playbook.gaps.failure.matrix import FaultSettings, ask_timed
from playbook.golden import GoldenItem
from playbook.targets.base import Target
from playbook.targets.capabilities import FaultInjection, capability, why_missing

BREAKER_POLL_S = 0.25


@dataclass(frozen=True)
class BreakerPoint:
    """One request of the breaker episode: when, in which phase, the state and the calls made."""

    seconds: float
    phase: Literal["fault", "recovery"]
    state: str
    upstream_calls: int
    outcome: str


@dataclass(frozen=True)
class BreakerEpisode:
    """A sustained fault, then recovery: whether the breaker opened and closed again."""

    target: str
    route: str
    stage: str = "generation"
    points: tuple[BreakerPoint, ...] = ()
    opened_after: int | None = None  # requests under fault before it was seen open
    closed_after_s: float | None = None  # seconds from the fault's end until closed
    recovery_wait_s: float = 0.0
    inferred: bool = False  # state inferred from upstream calls (a black-box target)
    skipped: str = ""
    error: str = ""

    def frame(self) -> pd.DataFrame:
        """One row per request of the episode."""
        columns = ["seconds", "phase", "state", "upstream_calls", "outcome"]
        rows = [{name: getattr(p, name) for name in columns} for p in self.points]
        return pd.DataFrame(rows, columns=columns)


def run_breaker_episode(
    target: Target,
    control: Sequence[GoldenItem],
    settings: FaultSettings,
    stage: str = "generation",
) -> BreakerEpisode:
    """Sustain a 5xx at `stage`, then lift it and wait (bounded) for the breaker to close."""
    injector = capability(target, FaultInjection)
    base = BreakerEpisode(target=target.spec, route="", stage=stage)
    if injector is None:
        return replace(base, skipped=why_missing(target, FaultInjection))
    if not injector.supports("server_error", stage):
        return replace(base, skipped=f"the route cannot inject faults at {stage}")
    if not control:
        return replace(base, error="no control question to ask")
    inferred = injector.breaker_state() is None
    reset_s = injector.breaker_reset_s()
    wait = settings.recovery_wait_s if reset_s is None else min(reset_s + 2.0, 60.0)
    base = replace(base, route=injector.route, inferred=inferred, recovery_wait_s=wait)
    injector.reset()
    injector.apply(Fault("server_error", stage, 1.0, settings.seed))  # type: ignore[arg-type]
    started = time.monotonic()
    points: list[BreakerPoint] = []
    opened_after = None

    def ask(number: int, phase: Literal["fault", "recovery"]) -> BreakerPoint:
        item = control[number % len(control)]
        calls = injector.calls(stage)
        answer, seconds = ask_timed(target, item)
        made = injector.calls(stage) - calls
        outcome, _ = classify(answer, item, seconds, settings.budget_s)
        state = injector.breaker_state()
        if state is None:  # black box: a failed answer that never reached the upstream
            state = "open" if made == 0 and outcome != "correct" else "closed"
        return BreakerPoint(time.monotonic() - started, phase, state, made, outcome)

    for number in range(settings.episode_requests):
        point = ask(number, "fault")
        points.append(point)
        if point.state == "open" and opened_after is None:
            opened_after = number + 1
    injector.apply(None)
    closed_after = None
    if opened_after is not None:
        lifted = time.monotonic()
        number = settings.episode_requests
        while time.monotonic() - lifted < wait:
            time.sleep(BREAKER_POLL_S)
            point = ask(number, "recovery")
            points.append(point)
            number += 1
            if point.state == "closed" and point.outcome == "correct" and point.upstream_calls:
                closed_after = time.monotonic() - lifted
                break
    injector.reset()
    return replace(
        base, points=tuple(points), opened_after=opened_after, closed_after_s=closed_after
    )
