"""The fault matrix: fault kind x stage x rate, asked on golden questions the target gets right.

Choices a reader should know about:

- Only golden questions the target answers correctly *without* faults are asked under faults
  (the control): a fault experiment measures what the fault changes, not answer quality
  (notebook 05's business).
- A cell at a partial rate r asks per_cell / r questions, so about as many requests meet the
  fault as at rate 1. Slow faults (hang, added latency) run at rate 1 with the cell's questions
  in parallel where the route can isolate cells, so a prototype that waits out every hang still
  finishes in about one hang; the other kinds run one question at a time, so each upstream call
  and strike is tied to a request.
- Between cells the route resets what it can (the reference system: cache emptied, breaker
  closed, retry budget refilled). A black-box target cannot be reset: its cells run one question
  at a time, a request its cache answered never meets the fault and is not counted as faulted,
  and one cell's open breaker may still degrade the next cell's answers (safe, but for another
  reason than the fault).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from playbook.engagement import DepthBudget
from playbook.faults import STAGE_ONLY, STAGES, Fault, FaultPlan
from playbook.gaps.failure.classify import KINDS, SLOW_KINDS, Outcome, classify
from playbook.golden import GoldenItem, sample_golden
from playbook.targets.base import Answer, Target
from playbook.targets.capabilities import (
    Contrast,
    FaultInjection,
    Logs,
    capability,
    why_missing,
)

if TYPE_CHECKING:
    from playbook.decisions import Decisions

ERROR_TYPE_FIELDS = ("error.type", "error_type", "errorType")
SETTLE_POLL_S = 0.1
CONTRAST_SHARE = 0.25  # of the matrix time budget, for the other profile's matrix
CONTROL_SHARE = 0.25  # of the matrix time budget, for the controls (at least one is asked)


@dataclass(frozen=True)
class FaultSettings:
    """How large and how long the fault experiments are, sized from the depth and the decisions."""

    questions: int  # golden questions asked without faults to pick the control
    per_cell: int  # faulted requests per cell (a cell at rate r asks per_cell / r questions)
    rates: tuple[float, ...]  # fault rates of the fast kinds; slow kinds run at rate 1
    budget_s: float  # the decided end-to-end p95: slower than this is no answer
    latency_s: float  # latency a `latency` fault adds
    hang_s: float  # how long a `hang` fault holds: longer than the budget
    retry_after_s: float  # the Retry-After a 429 asks for
    episode_requests: int  # requests under sustained fault in the breaker episode
    recovery_wait_s: float  # longest wait for a breaker to close again
    max_seconds: float  # wall time of the whole matrix
    concurrency: int = 8
    seed: int = 0
    kinds: tuple[str, ...] = KINDS  # the fault kinds to run (all by default)


def fault_settings(budget: DepthBudget, decisions: Decisions, seed: int = 0) -> FaultSettings:
    """Settings for a depth: questions from the depth budget, times from the latency budget."""
    budget_s = decisions.latency_budget.p95_ms / 1000.0
    return FaultSettings(
        questions=budget.questions,
        per_cell=max(3, budget.questions // 5),
        rates=(1.0, 0.3),
        budget_s=budget_s,
        latency_s=round(0.2 * budget_s, 3),
        hang_s=round(budget_s + max(0.25, 0.2 * budget_s), 3),
        retry_after_s=0.1,
        episode_requests=12,
        recovery_wait_s=30.0,
        max_seconds=2 * budget.probe_seconds,  # controls, cells and the contrast together
        seed=seed,
    )


@dataclass(frozen=True)
class Observation:
    """One answer under a fault, as the user saw it, and what it cost upstream."""

    kind: str
    stage: str
    rate: float
    question: str  # golden id
    outcome: Outcome
    reason: str
    status: str
    seconds: float
    faulted: bool  # the request's first call at the stage met the fault
    upstream_calls: int | None  # calls at the stage for this request (None when run in parallel)
    trace_id: str | None
    logged: bool | None = None  # a log entry with its trace id and error type (None: no failure)

    @property
    def failure(self) -> bool:
        """Whether the system itself gave no normal answer: a case its logs must explain."""
        return self.status in ("degraded", "error") or self.outcome in (
            "raw_failure",
            "no_answer_in_budget",
        )


@dataclass(frozen=True)
class CellResult:
    """One cell of the matrix: a fault kind at a stage and rate, over a few questions."""

    kind: str
    stage: str
    rate: float
    requests: int
    faulted: int
    upstream_calls: int
    seconds: float
    skipped: str = ""


@dataclass(frozen=True)
class FaultMatrix:
    """Every cell and every classified answer of one target's fault experiments."""

    target: str
    route: str
    settings: FaultSettings
    cells: tuple[CellResult, ...] = ()
    observations: tuple[Observation, ...] = ()
    control: tuple[str, ...] = ()  # golden ids answered correctly without faults
    log_source: str | None = None
    skipped: str = ""  # why no fault could be injected (a black-box target without a route)
    error: str = ""  # why the experiments could not run

    def frame(self) -> pd.DataFrame:
        """One row per answer."""
        columns = [f.name for f in Observation.__dataclass_fields__.values()]
        rows = [{name: getattr(o, name) for name in columns} for o in self.observations]
        return pd.DataFrame(rows, columns=columns)

    def faulted(self) -> list[Observation]:
        """The answers whose request met the fault."""
        return [o for o in self.observations if o.faulted]

    def control_of(self, items: Iterable[GoldenItem]) -> list[GoldenItem]:
        """The items of the control, in the order given."""
        return [item for item in items if item.id in self.control]


def ask_timed(target: Target, item: GoldenItem) -> tuple[Answer, float]:
    """The target's answer to a golden question and the seconds the user waited for it."""
    started = time.monotonic()
    answer = target.ask(item.question, item.user)
    return answer, time.monotonic() - started


def control_questions(
    target: Target,
    items: Sequence[GoldenItem],
    settings: FaultSettings,
    deadline: float | None = None,
) -> list[GoldenItem]:
    """Answerable golden questions (a seeded sample) the target answers correctly without faults,
    as many as it answers before `deadline` (time.monotonic)."""
    answerable = [item for item in items if item.answerable]
    chosen = sample_golden(answerable, settings.questions, settings.seed)
    if chosen:  # a warm-up: a cold start (pools, connections) is not the fault under test
        ask_timed(target, chosen[0])
    control = []
    for item in chosen:
        if deadline is not None and time.monotonic() >= deadline and control:
            break
        answer, seconds = ask_timed(target, item)
        if classify(answer, item, seconds, settings.budget_s)[0] == "correct":
            control.append(item)
    return control


def planned_cells(settings: FaultSettings) -> list[tuple[str, str, float]]:
    """(kind, stage, rate) of every cell: valid stages only, slow kinds at rate 1 only, and
    last: each of their requests waits seconds, and a slow target that spent the time budget
    on them met no 429, 5xx or exception at all."""
    cells = []
    for kind in (kind for kind in KINDS if kind in settings.kinds):
        for stage in STAGES:
            if STAGE_ONLY.get(kind, stage) != stage:
                continue
            rates = (1.0,) if kind in SLOW_KINDS else settings.rates
            cells.extend((kind, stage, rate) for rate in rates)
    return sorted(cells, key=lambda cell: cell[0] in SLOW_KINDS)


def _fault(
    kind: str, stage: str, rate: float, index: int, settings: FaultSettings, requests: int
) -> Fault:
    """The cell's fault. At a partial rate its seed is the first of a fixed sequence whose
    schedule strikes about `rate` of the first attempts: a few requests per cell are too few to
    leave to one unlucky draw, and retries still meet fresh draws."""
    seconds = {
        "latency": settings.latency_s,
        "hang": settings.hang_s,
        "rate_limit": settings.retry_after_s,
    }.get(kind)
    candidates = [settings.seed + index + 1_000 * step for step in range(20 if rate < 1 else 1)]
    faults = [Fault(kind, stage, rate, seed, seconds) for seed in candidates]  # type: ignore[arg-type]
    wanted = rate * requests
    return min(
        faults,
        key=lambda f: abs(len(FaultPlan.of(f).faulted_requests(requests, stage)) - wanted),
    )


TIME_SPENT = "time budget spent"  # why a cell was not run: the matrix ran out of time


def run_fault_matrix(
    target: Target, items: Sequence[GoldenItem], settings: FaultSettings
) -> FaultMatrix:
    """Run every cell the target's fault route can inject on the control questions.

    Faults reach the target through its `FaultInjection` capability; without one, the matrix is
    skipped with what the engagement must declare. Failures are looked up in its `Logs`.
    """
    injector = capability(target, FaultInjection)
    base = FaultMatrix(target=target.spec, route="", settings=settings)
    if injector is None:
        return replace(base, skipped=why_missing(target, FaultInjection))
    logs = capability(target, Logs)
    base = replace(base, route=injector.route, log_source=logs.source if logs else None)
    if not items:
        return replace(
            base,
            error="the engagement has no golden questions to ask (scope.golden_set in notebook "
            "00 says why)",
        )
    injector.apply(None)
    injector.reset()
    started = time.monotonic()
    deadline = started + settings.max_seconds  # the controls count against it too
    # a slow target answers few controls in a quarter of the time, and leaves the rest to cells
    control = control_questions(
        target, items, settings, started + settings.max_seconds * CONTROL_SHARE
    )
    if not control:
        return replace(
            base,
            error="no golden question was answered correctly without faults, so no fault "
            "effect can be told apart (fix what notebook 00 reports first)",
        )
    cells: list[CellResult] = []
    observations: list[Observation] = []
    offset = 0
    planned = planned_cells(settings)
    left = sum(injector.supports(kind, stage) for kind, stage, _ in planned)
    for index, (kind, stage, rate) in enumerate(planned):
        if not injector.supports(kind, stage):
            reason = f"the route cannot inject {kind} at {stage}"
            cells.append(CellResult(kind, stage, rate, 0, 0, 0, 0.0, reason))
            continue
        now = time.monotonic()
        if now >= deadline:
            cells.append(CellResult(kind, stage, rate, 0, 0, 0, 0.0, TIME_SPENT))
            continue
        # each cell left gets an equal share of the time left (what one does not use passes
        # on): a slow target meets every fault kind at least once, not the first few only
        cell_deadline = now + (deadline - now) / left
        left -= 1
        # At a partial rate, enough requests that about `per_cell` of them meet the fault.
        count = math.ceil(settings.per_cell / max(rate, 0.05))
        questions = [control[(offset + n) % len(control)] for n in range(count)]
        offset += count
        injector.reset()
        injector.apply(_fault(kind, stage, rate, index, settings, count))
        run = _run_parallel if kind in SLOW_KINDS and injector.isolated else _run_sequential
        cell, seen = run(target, injector, questions, kind, stage, rate, settings, cell_deadline)
        cells.append(cell)
        observations.extend(seen)
        if not injector.isolated:
            injector.apply(None)
            settle(target, control, settings, deadline)
    injector.apply(None)
    injector.reset()
    if logs is not None:
        observations = _with_logs(observations, logs.entries())
    return replace(
        base,
        cells=tuple(cells),
        observations=tuple(observations),
        control=tuple(item.id for item in control),
    )


def settle(
    target: Target, control: Sequence[GoldenItem], settings: FaultSettings, deadline: float
) -> bool:
    """Wait (bounded) until a target that cannot be reset answers a control question correctly
    again, so one cell's open breaker does not hide the next cell's fault. True once it does."""
    until = min(deadline, time.monotonic() + settings.recovery_wait_s)
    for number in itertools.count():
        item = control[number % len(control)]
        answer, seconds = ask_timed(target, item)
        if classify(answer, item, seconds, settings.budget_s)[0] == "correct":
            return True
        if time.monotonic() + SETTLE_POLL_S >= until:
            return False
        time.sleep(SETTLE_POLL_S)
    return False


def _run_sequential(
    target: Target,
    injector: FaultInjection,
    questions: Sequence[GoldenItem],
    kind: str,
    stage: str,
    rate: float,
    settings: FaultSettings,
    deadline: float,
) -> tuple[CellResult, list[Observation]]:
    started = time.monotonic()
    before = injector.calls(stage)
    seen = []
    for item in questions:
        if time.monotonic() >= deadline:
            break
        mark, calls = injector.mark(), injector.calls(stage)
        answer, seconds = ask_timed(target, item)
        outcome, reason = classify(answer, item, seconds, settings.budget_s)
        seen.append(
            Observation(
                kind,
                stage,
                rate,
                item.id,
                outcome,
                reason,
                answer.status,
                seconds,
                injector.first_call_struck(mark, stage),
                injector.calls(stage) - calls,
                answer.trace_id,
            )
        )
    cell = CellResult(
        kind,
        stage,
        rate,
        len(seen),
        sum(o.faulted for o in seen),
        injector.calls(stage) - before,
        time.monotonic() - started,
    )
    return cell, seen


def _run_parallel(
    target: Target,
    injector: FaultInjection,
    questions: Sequence[GoldenItem],
    kind: str,
    stage: str,
    rate: float,
    settings: FaultSettings,
    deadline: float,
) -> tuple[CellResult, list[Observation]]:
    started = time.monotonic()
    before = injector.calls(stage)
    workers = max(1, min(settings.concurrency, len(questions)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fault-cell") as pool:
        answers = list(pool.map(lambda item: ask_timed(target, item), questions))
    seen = []
    for item, (answer, seconds) in zip(questions, answers, strict=True):
        outcome, reason = classify(answer, item, seconds, settings.budget_s)
        seen.append(
            Observation(
                kind,
                stage,
                rate,
                item.id,
                outcome,
                reason,
                answer.status,
                seconds,
                True,  # rate 1: every request that reaches the stage meets the fault
                None,
                answer.trace_id,
            )
        )
    calls = injector.calls(stage) - before
    return CellResult(
        kind, stage, rate, len(seen), len(seen), calls, time.monotonic() - started
    ), seen


def _error_type(entry: dict[str, Any]) -> str | None:
    for name in ERROR_TYPE_FIELDS:
        value = entry.get(name)
        if value:
            return str(value)
    error = entry.get("error")
    if isinstance(error, dict) and error.get("type"):
        return str(error["type"])
    return None


def _with_logs(
    observations: Iterable[Observation], entries: Sequence[dict[str, Any]]
) -> list[Observation]:
    """Mark each failure as logged when an entry carries its trace id and an error type."""
    typed = {
        str(entry.get("trace_id") or entry.get("traceId"))
        for entry in entries
        if _error_type(entry) and (entry.get("trace_id") or entry.get("traceId"))
    }
    marked = []
    for observation in observations:
        if not observation.failure:
            marked.append(observation)
            continue
        logged = observation.trace_id is not None and observation.trace_id in typed
        marked.append(replace(observation, logged=logged))
    return marked


def route_table(target: Target) -> pd.DataFrame:
    """What a notebook shows: how faults reach the target and where its logs are read, or why
    faults cannot reach it."""
    injector = capability(target, FaultInjection)
    if injector is None:
        facts = {"fault route": "none", "why": why_missing(target, FaultInjection)}
    else:
        logs = capability(target, Logs)
        facts = {"fault route": injector.route, "logs read": logs.source if logs else "none"}
    return pd.DataFrame({"value": facts})


def contrast_matrix(
    target: Target, items: Sequence[GoldenItem], settings: FaultSettings, workdir: Path
) -> FaultMatrix | None:
    """The same matrix on the target's other profile, where it has one (else None), in a
    quarter of the time: it is shown for comparison, and a prototype re-reading a large corpus
    for every question (about a second each on the Python docs) spent a quick run's minute."""
    contrast = capability(target, Contrast)
    if contrast is None:
        return None
    other = contrast.open(Path(workdir) / "contrast")
    try:
        return run_fault_matrix(
            other, items, replace(settings, max_seconds=settings.max_seconds * CONTRAST_SHARE)
        )
    finally:
        other.close()


def run_fault_matrices(
    target: Target, items: Sequence[GoldenItem], settings: FaultSettings, workdir: Path
) -> tuple[FaultMatrix, FaultMatrix | None]:
    """The target's matrix and its other profile's (`contrast_matrix`), run at the same time:
    each is mostly waiting out hangs, latency and Retry-After, which needs no CPU (the demo's
    two take 10 and 7 s one after the other)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="contrast-matrix") as pool:
        other = pool.submit(contrast_matrix, target, items, settings, workdir)
        matrix = run_fault_matrix(target, items, settings)
        return matrix, other.result()
