"""Failure checks (notebook 03): inject faults, classify what the user is shown, hold it to policy.

A fault matrix crosses fault kinds (hang, added latency, exception, 429 with Retry-After, 5xx,
malformed output, nonsense output, empty retrieval) with the stage they strike (retrieval,
generation) and a rate; each cell asks a seeded sample of golden questions and classifies every
answer. Faults reach a reference target through its own injection points, and an HTTP target
through the fault proxy (`playbook.faultproxy`) on the hop to its model endpoint, so a team's
service is measured the same way without changing its code.

Choices a reader should know about:

- Only golden questions the target answers correctly *without* faults are asked under faults
  (the control): a fault experiment measures what the fault changes, not answer quality
  (notebook 05's business).
- A cell at a partial rate r asks per_cell / r questions, so about as many requests meet the
  fault as at rate 1. Slow faults (hang, added latency) run at rate 1 with the cell's questions
  in parallel, so a prototype that waits out every hang still finishes in about one hang; the
  other kinds run one question at a time, so each upstream call and strike is tied to a request.
- Between cells a reference target is reset (cache emptied, breaker closed, retry budget
  refilled). A black-box target cannot be: its cells run one question at a time, a request its
  cache answered never meets the fault and is not counted as faulted, and one cell's open breaker
  may still degrade the next cell's answers (safe, but for another reason than the fault).
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, get_args

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playbook.engagement import DepthBudget, Engagement
from playbook.evidence import CheckResult
from playbook.faultproxy import FaultProxy, Toxic
from playbook.golden import GoldenItem, load_golden_set, sample_golden
from playbook.reference.faults import NONSENSE, STAGE_ONLY, Fault, FaultKind
from playbook.targets.base import Answer, Target

if TYPE_CHECKING:
    from playbook.decisions import Decisions
    from playbook.reference.system import ReferenceSystem

AREA = "failure"
Outcome = Literal[
    "correct", "safe_degraded", "wrong_confident", "raw_failure", "no_answer_in_budget"
]
OUTCOMES: tuple[Outcome, ...] = (
    "correct",
    "safe_degraded",
    "wrong_confident",
    "raw_failure",
    "no_answer_in_budget",
)
OUTCOME_LABELS = {
    "correct": "correct",
    "safe_degraded": "safe degraded",
    "wrong_confident": "wrong but confident",
    "raw_failure": "raw failure shown",
    "no_answer_in_budget": "no answer in budget",
}
GRACEFUL: frozenset[str] = frozenset({"correct", "safe_degraded"})
KINDS: tuple[str, ...] = get_args(FaultKind)
KIND_LABELS = {
    "latency": "added latency",
    "hang": "timeout (hang)",
    "exception": "exception",
    "rate_limit": "429 + Retry-After",
    "server_error": "5xx",
    "malformed": "malformed output",
    "nonsense": "nonsense output",
    "empty_retrieval": "empty retrieval",
}
STAGES = ("retrieval", "generation")
SLOW_KINDS = frozenset({"latency", "hang"})
BAD_OUTPUT_KINDS = frozenset({"malformed", "nonsense"})
# Fault kind -> the failure mode of the decisions (failure-policy) it exercises.
FAILURE_MODE = {
    "hang": "timeout",
    "rate_limit": "rate_limit",
    "server_error": "server_error",
    "malformed": "malformed_output",
    "nonsense": "nonsense_output",
    "empty_retrieval": "empty_retrieval",
}
TRANSIENT_KINDS = ("rate_limit", "server_error")
# With independent faults at the partial rate, a system that retries recovers most faulted
# requests and one that does not recovers none: half separates the two with room for chance.
MIN_RECOVERED_SHARE = 0.5
BREAKER_POLL_S = 0.25
MAX_LOG_BYTES = 5 * 1024 * 1024
ERROR_TYPE_FIELDS = ("error.type", "error_type", "errorType")

_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\s*File \"[^\"]+\", line \d+", re.M)
_EXCEPTION = re.compile(r"\b[A-Z]\w*?(?:Error|Exception|Timeout|Rejected)\b: ")
_HTTP_ERROR = re.compile(
    r"\b[45]\d\d (?:Bad Request|Unauthorized|Forbidden|Not Found|Too Many Requests|"
    r"Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout)\b|<html|<!doctype",
    re.I,
)
_JUNK = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]|<\|endoftext\|>")
_HONEST = re.compile(
    r"\bdegraded\b|\btry again\b|\bcannot (?:answer|search|help)\b|\bcould not "
    r"(?:find|compose|answer)\b|\b(?:temporarily )?unavailable\b|\bnot available\b|\bright now\b",
    re.I,
)
_REFUSAL = re.compile(r"\bcould not find\b|\bno (?:relevant )?(?:document|information)\b", re.I)


# ---- settings ---------------------------------------------------------------------------------


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
        max_seconds=max(60.0, 20.0 * budget.seconds),
        seed=seed,
    )


# ---- classification ---------------------------------------------------------------------------


def raw_failure_reason(text: str) -> str | None:
    """Why `text` is a raw failure when shown to a user (None when it is not one)."""
    if not text.strip():
        return "empty answer"
    if _TRACEBACK.search(text):
        return "stack trace"
    if _JUNK.search(text):
        return "malformed text"
    if _HTTP_ERROR.search(text):
        return "HTTP error body"
    if _EXCEPTION.search(text):
        return "exception text"
    stripped = text.lstrip()
    if stripped[:1] in "{[" and '"' in stripped[:40]:
        return "raw JSON payload"
    return None


def classify(
    answer: Answer, item: GoldenItem, seconds: float, budget_s: float
) -> tuple[Outcome, str]:
    """The outcome of one answer for the user who asked, and a short reason.

    Judged on what the user is shown (`text`, `status`, `sources`) and how long they waited:
    later than the budget is no answer; then anything raw; then a labelled degradation or an
    honest refusal is safe; an unlabelled answer is correct only when it cites a gold document.
    """
    if seconds > budget_s:
        return "no_answer_in_budget", f"answered after {seconds:.2f} s"
    raw = raw_failure_reason(answer.text)
    if raw:
        return "raw_failure", raw
    gold = set(item.gold_docs)
    cites_gold = bool(gold & set(answer.sources)) if gold else bool(answer.sources)
    honest = bool(_HONEST.search(answer.text))
    refusal = answer.status == "refused" or bool(_REFUSAL.search(answer.text))
    if not item.answerable:
        if refusal or honest:
            return "correct", "refused an unanswerable question"
        return "wrong_confident", "answered an unanswerable question"
    if answer.status == "degraded":
        return "safe_degraded", "labelled degraded answer"
    if answer.status == "refused" or (answer.status == "ok" and refusal and not cites_gold):
        return "safe_degraded", "honest refusal"
    if answer.status == "ok":
        if cites_gold:
            return "correct", "cites a gold document"
        if honest:
            return "safe_degraded", "labelled as degraded in its text"
        return "wrong_confident", "unlabelled answer without a gold citation"
    if honest:
        return "safe_degraded", "error status with an honest message"
    return "raw_failure", "error status without an honest message"


# ---- how faults reach a target ----------------------------------------------------------------


class FaultInjector(Protocol):
    """Puts faults in force on a target and counts the calls its upstreams receive."""

    route: str
    log_source: str | None
    isolated: bool  # cells can be reset apart, so slow cells may run their questions in parallel

    def supports(self, kind: str, stage: str) -> bool:
        """Whether this route can inject `kind` at `stage`."""
        ...

    def apply(self, fault: Fault | None) -> None:
        """Put `fault` in force (None: no fault), restarting its schedule."""
        ...

    def reset(self) -> None:
        """A fresh start for the next experiment, where the target allows one."""
        ...

    def calls(self, stage: str) -> int:
        """Calls made to `stage`'s upstream so far, retries included."""
        ...

    def mark(self) -> int:
        """A position in the record of strikes, for `first_call_struck`."""
        ...

    def first_call_struck(self, mark: int, stage: str) -> bool:
        """Whether the first call at `stage` after `mark` met the fault."""
        ...

    def breaker_state(self) -> str | None:
        """The breaker's state when the target exposes it, else None (inferred from calls)."""
        ...

    def breaker_reset_s(self) -> float | None:
        """How long the breaker stays open, when the target says."""
        ...

    def log_entries(self) -> list[dict[str, Any]]:
        """Structured log entries the target wrote (empty when there are none)."""
        ...


class ReferenceFaults:
    """The reference system's own injection points (`FaultPlan`), counters and logs."""

    def __init__(self, system: ReferenceSystem, spec: str = "reference") -> None:
        self.system = system
        self.route = f"{spec}: the reference system's injection points (retrieval, generation)"
        self.log_source = "the reference system's log"
        self.isolated = True

    def supports(self, kind: str, stage: str) -> bool:
        return STAGE_ONLY.get(kind, stage) == stage

    def apply(self, fault: Fault | None) -> None:
        from playbook.reference.faults import FaultPlan

        self.system.set_faults(FaultPlan.of(fault) if fault else None)

    def reset(self) -> None:
        self.system.reset()

    def calls(self, stage: str) -> int:
        return self.system.upstream_calls[stage]

    def mark(self) -> int:
        return len(self.system.fault_events)

    def first_call_struck(self, mark: int, stage: str) -> bool:
        events = self.system.fault_events[mark:]
        return any(event.stage == stage and event.attempt == 0 for event in events)

    def breaker_state(self) -> str | None:
        return self.system.breaker_state

    def breaker_reset_s(self) -> float | None:
        return self.system.breaker_settings.reset_timeout

    def log_entries(self) -> list[dict[str, Any]]:
        return [entry for entry in self.system.logs if isinstance(entry, dict)]


def toxic_for(fault: Fault) -> Toxic:
    """The fault proxy's toxic that acts out `fault` on an HTTP hop."""
    seconds = fault.seconds
    rate = fault.rate
    if fault.kind == "latency":
        return Toxic("latency", rate, latency_ms=1000.0 * (seconds or 0.5), name="latency")
    if fault.kind == "hang":
        return Toxic("timeout", rate, timeout_ms=1000.0 * (seconds or 0.0), name="hang")
    if fault.kind == "exception":
        return Toxic("reset_peer", rate, name="exception")
    if fault.kind == "rate_limit":
        return Toxic("status", rate, status=429, retry_after=seconds, name="rate_limit")
    if fault.kind == "server_error":
        return Toxic("status", rate, status=503, name="server_error")
    if fault.kind == "malformed":
        return Toxic("malformed", rate, name="malformed")
    if fault.kind == "nonsense":
        text = NONSENSE[fault.seed % len(NONSENSE)]
        completion = {
            "id": "chatcmpl-nonsense",
            "object": "chat.completion",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
        }
        return Toxic("body", rate, body=json.dumps(completion).encode(), name="nonsense")
    raise ValueError(f"{fault.kind} faults cannot be injected on an HTTP hop")


class ProxyFaults:
    """Faults on the HTTP hop from a team's service to one upstream, through the fault proxy.

    Counts are what the proxy received; the breaker state is not visible, only inferred from
    requests that never reached the upstream; logs come from the file the engagement names.
    """

    def __init__(self, proxy: FaultProxy, stage: str = "generation", log_file: Path | None = None):
        self.proxy = proxy
        self.stage = stage
        self.log_file = Path(log_file) if log_file else None
        self.route = f"fault proxy {proxy.url} -> {proxy.upstream} ({stage} upstream)"
        self.log_source = str(self.log_file) if self.log_file else None
        # A black box cannot be reset: only one request at a time ties each strike (or a cache
        # hit that never reached the upstream) to the answer it produced.
        self.isolated = False

    def supports(self, kind: str, stage: str) -> bool:
        return stage == self.stage and kind != "empty_retrieval"

    def apply(self, fault: Fault | None) -> None:
        if fault is None:
            self.proxy.clear_toxics()
        else:
            self.proxy.set_toxics(toxic_for(fault))

    def reset(self) -> None:
        self.proxy.clear_toxics()

    def calls(self, stage: str) -> int:
        return self.proxy.received if stage == self.stage else 0

    def mark(self) -> int:
        return self.proxy.received

    def first_call_struck(self, mark: int, stage: str) -> bool:
        arrivals = self.proxy.toxics_since(mark) if stage == self.stage else []
        return bool(arrivals) and arrivals[0] is not None

    def breaker_state(self) -> str | None:
        return None

    def breaker_reset_s(self) -> float | None:
        return None

    def log_entries(self) -> list[dict[str, Any]]:
        return read_json_lines(self.log_file) if self.log_file else []


def read_json_lines(path: Path, max_bytes: int = MAX_LOG_BYTES) -> list[dict[str, Any]]:
    """The JSON objects of a JSON-lines log (its last `max_bytes`); other lines are skipped."""
    try:
        with Path(path).open("rb") as stream:
            stream.seek(0, 2)
            size = stream.tell()
            stream.seek(max(0, size - max_bytes))
            data = stream.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    entries = []
    for line in data.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


@dataclass
class FaultRoute:
    """How faults reach a target (or why they cannot); holds the fault proxy it started."""

    injector: FaultInjector | None
    reason: str
    proxy: FaultProxy | None = None

    def describe(self) -> pd.DataFrame:
        """What a notebook shows: the route, or why there is none."""
        if self.injector is None:
            facts = {"fault route": "none", "why": self.reason}
        else:
            facts = {
                "fault route": self.injector.route,
                "logs read": self.injector.log_source or "none",
            }
        return pd.DataFrame({"value": facts})

    def close(self) -> None:
        """Stop the fault proxy, if this route started one."""
        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None


def fault_route(
    target: Target,
    engagement: Engagement | None = None,
    proxy_port: int = 0,
    upstream: str = "",
    seed: int = 0,
) -> FaultRoute:
    """The route for a target: reference injection points, or a fault proxy for an HTTP target."""
    from playbook.targets.reference import ReferenceTarget

    if isinstance(target, ReferenceTarget):
        return FaultRoute(ReferenceFaults(target.system, target.spec), "")
    spec = getattr(target, "spec", "")
    if not str(spec).startswith(("http://", "https://")):
        return FaultRoute(
            None,
            "this target kind has no fault injection point the playbook can reach; serve it over "
            "HTTP and put the fault proxy on its model endpoint",
        )
    if not proxy_port or not upstream:
        return FaultRoute(
            None,
            "an HTTP target is measured through the fault proxy on the hop to its model "
            "endpoint: set notebooks.03_failure_handling.fault_proxy_port and fault_upstream "
            "in engagement.yaml and point the service's model base URL at "
            "http://127.0.0.1:<fault_proxy_port>",
        )
    proxy = FaultProxy(upstream, port=proxy_port, seed=seed).start()
    log_file = None
    if engagement is not None and engagement.target.logs:
        log_file = engagement.resolve(engagement.target.logs)
    return FaultRoute(ProxyFaults(proxy, "generation", log_file), "", proxy)


def golden_questions(engagement: Engagement) -> list[GoldenItem]:
    """The engagement's golden set, or none when it names no golden set."""
    if not engagement.golden_set:
        return []
    return load_golden_set(engagement.resolve(engagement.golden_set))


def contrast_matrix(
    target: Target, items: Sequence[GoldenItem], settings: FaultSettings, workdir: Path
) -> FaultMatrix | None:
    """For a reference target, the same matrix on the other profile as shipped (else None)."""
    from playbook.targets.reference import ReferenceTarget

    if not isinstance(target, ReferenceTarget):
        return None
    other = "production" if target.profile == "prototype" else "prototype"
    contrast = ReferenceTarget(target.engagement, other, Path(workdir) / f"contrast-{other}", {})
    try:
        return run_fault_matrix(contrast, items, fault_route(contrast), settings)
    finally:
        contrast.close()


# ---- the fault matrix -------------------------------------------------------------------------


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


def _ask(target: Target, item: GoldenItem) -> tuple[Answer, float]:
    started = time.monotonic()
    answer = target.ask(item.question, item.user)
    return answer, time.monotonic() - started


def control_questions(
    target: Target, items: Sequence[GoldenItem], settings: FaultSettings
) -> list[GoldenItem]:
    """Answerable golden questions (a seeded sample) the target answers correctly without faults."""
    answerable = [item for item in items if item.answerable]
    chosen = sample_golden(answerable, settings.questions, settings.seed)
    if chosen:  # a warm-up: a cold start (pools, connections) is not the fault under test
        _ask(target, chosen[0])
    control = []
    for item in chosen:
        answer, seconds = _ask(target, item)
        if classify(answer, item, seconds, settings.budget_s)[0] == "correct":
            control.append(item)
    return control


def planned_cells(settings: FaultSettings) -> list[tuple[str, str, float]]:
    """(kind, stage, rate) of every cell: valid stages only, slow kinds at rate 1 only."""
    cells = []
    for kind in (kind for kind in KINDS if kind in settings.kinds):
        for stage in STAGES:
            if STAGE_ONLY.get(kind, stage) != stage:
                continue
            rates = (1.0,) if kind in SLOW_KINDS else settings.rates
            cells.extend((kind, stage, rate) for rate in rates)
    return cells


def _fault(
    kind: str, stage: str, rate: float, index: int, settings: FaultSettings, requests: int
) -> Fault:
    """The cell's fault. At a partial rate its seed is the first of a fixed sequence whose
    schedule strikes about `rate` of the first attempts: a few requests per cell are too few to
    leave to one unlucky draw, and retries still meet fresh draws."""
    from playbook.reference.faults import FaultPlan

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


def run_fault_matrix(
    target: Target,
    items: Sequence[GoldenItem],
    route: FaultRoute | FaultInjector | None,
    settings: FaultSettings,
) -> FaultMatrix:
    """Run every cell the route can inject on the control questions and classify each answer."""
    injector = route.injector if isinstance(route, FaultRoute) else route
    base = FaultMatrix(target=target.spec, route="", settings=settings)
    if injector is None:
        reason = route.reason if isinstance(route, FaultRoute) else "no fault route"
        return replace(base, skipped=reason)
    base = replace(base, route=injector.route, log_source=injector.log_source)
    if not items:
        return replace(base, error="the engagement has no golden questions to ask")
    injector.apply(None)
    injector.reset()
    control = control_questions(target, items, settings)
    if not control:
        return replace(
            base,
            error="no golden question was answered correctly without faults, so no fault "
            "effect can be told apart (fix what notebook 00 reports first)",
        )
    deadline = time.monotonic() + settings.max_seconds
    cells: list[CellResult] = []
    observations: list[Observation] = []
    offset = 0
    for index, (kind, stage, rate) in enumerate(planned_cells(settings)):
        if not injector.supports(kind, stage):
            reason = f"the route cannot inject {kind} at {stage}"
            cells.append(CellResult(kind, stage, rate, 0, 0, 0, 0.0, reason))
            continue
        if time.monotonic() >= deadline:
            cells.append(CellResult(kind, stage, rate, 0, 0, 0, 0.0, "time budget spent"))
            continue
        # At a partial rate, enough requests that about `per_cell` of them meet the fault.
        count = math.ceil(settings.per_cell / max(rate, 0.05))
        questions = [control[(offset + n) % len(control)] for n in range(count)]
        offset += count
        injector.reset()
        injector.apply(_fault(kind, stage, rate, index, settings, count))
        run = _run_parallel if kind in SLOW_KINDS and injector.isolated else _run_sequential
        cell, seen = run(target, injector, questions, kind, stage, rate, settings, deadline)
        cells.append(cell)
        observations.extend(seen)
    injector.apply(None)
    injector.reset()
    observations = _with_logs(observations, injector.log_entries(), injector.log_source)
    return replace(
        base,
        cells=tuple(cells),
        observations=tuple(observations),
        control=tuple(item.id for item in control),
    )


def _run_sequential(
    target: Target,
    injector: FaultInjector,
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
        answer, seconds = _ask(target, item)
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
    injector: FaultInjector,
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
        answers = list(pool.map(lambda item: _ask(target, item), questions))
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
    observations: Iterable[Observation], entries: Sequence[dict[str, Any]], source: str | None
) -> list[Observation]:
    """Mark each failure as logged when an entry carries its trace id and an error type."""
    typed = {
        str(entry.get("trace_id") or entry.get("traceId"))
        for entry in entries
        if _error_type(entry) and (entry.get("trace_id") or entry.get("traceId"))
    }
    marked = []
    for observation in observations:
        if not observation.failure or source is None:
            marked.append(observation)
            continue
        logged = observation.trace_id is not None and observation.trace_id in typed
        marked.append(replace(observation, logged=logged))
    return marked


# ---- the breaker episode ----------------------------------------------------------------------


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
    route: FaultRoute | FaultInjector | None,
    settings: FaultSettings,
    stage: str = "generation",
) -> BreakerEpisode:
    """Sustain a 5xx at `stage`, then lift it and wait (bounded) for the breaker to close."""
    injector = route.injector if isinstance(route, FaultRoute) else route
    base = BreakerEpisode(target=target.spec, route="", stage=stage)
    if injector is None:
        reason = route.reason if isinstance(route, FaultRoute) else "no fault route"
        return replace(base, skipped=reason)
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
        answer, seconds = _ask(target, item)
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


# ---- checks -----------------------------------------------------------------------------------


def _base(check: str, title: str, expected: str, unit: str, remedy: str, decision: str) -> dict:
    return {
        "area": AREA,
        "id": f"failure.{check}",
        "title": title,
        "expected": expected,
        "unit": unit,
        "remedy": remedy,
        "decision": decision,
    }


def _not_measured(matrix: FaultMatrix | BreakerEpisode, base: dict) -> CheckResult | None:
    if matrix.skipped:
        return CheckResult(**base, status="skip", detail=matrix.skipped)
    if matrix.error:
        return CheckResult(**base, status="error", detail=matrix.error)
    return None


def _by_kind(observations: Iterable[Observation]) -> dict[str, list[Observation]]:
    grouped: dict[str, list[Observation]] = defaultdict(list)
    for observation in observations:
        grouped[observation.kind].append(observation)
    return {kind: grouped[kind] for kind in KINDS if kind in grouped}


def _nothing_faulted(matrix: FaultMatrix) -> str:
    missed = len(matrix.observations)
    return (
        f"no request met a fault ({missed} asked): every answer came without reaching the "
        "faulted upstream, from a cache perhaps; turn the target's answer cache off or add "
        "golden questions"
    )


def graceful_shares(matrix: FaultMatrix) -> dict[str, float]:
    """Per fault kind, the share of faulted requests that got a correct or safe degraded answer."""
    return {
        kind: sum(o.outcome in GRACEFUL for o in seen) / len(seen)
        for kind, seen in _by_kind(matrix.faulted()).items()
    }


def check_graceful_degradation(matrix: FaultMatrix, decisions: Decisions) -> CheckResult:
    """Under every fault kind, the decided share of faulted requests still ends gracefully."""
    target_share = decisions.failure_policy.target_graceful_share
    base = _base(
        "graceful_degradation",
        "Every fault kind degrades gracefully (correct, or labelled and useful, or honest)",
        f">= {target_share:g} in every fault kind",
        "share of faulted requests (worst fault kind)",
        "graceful-fallback",
        "failure-policy",
    )
    if (early := _not_measured(matrix, base)) is not None:
        return early
    shares = graceful_shares(matrix)
    if not shares:
        return CheckResult(**base, status="error", detail=_nothing_faulted(matrix))
    worst = min(shares.values())
    below = {kind: share for kind, share in shares.items() if share < target_share}
    parts = []
    for kind, share in sorted(below.items(), key=lambda pair: pair[1]):
        bad = Counter(o.outcome for o in matrix.faulted() if o.kind == kind)
        bad_outcomes = [o for o in OUTCOMES if o not in GRACEFUL and bad[o]]
        top = max(bad_outcomes, key=lambda o: bad[o]) if bad_outcomes else "none"
        parts.append(f"{KIND_LABELS[kind]} {share:.0%} (mostly {OUTCOME_LABELS[top]})")
    detail = f"{len(shares)} fault kinds, {len(matrix.faulted())} faulted requests; " + (
        "below target: " + "; ".join(parts) if parts else "every kind at or above target"
    )
    status = "pass" if not below else "fail"
    return CheckResult(**base, status=status, observed=round(worst, 3), detail=detail)


def check_no_raw_failures(matrix: FaultMatrix) -> CheckResult:
    """No answer shows the user a stack trace, exception text, HTTP error body or nothing."""
    base = _base(
        "no_raw_failures",
        "No raw failure reaches the user (stack trace, exception, HTTP error body, empty)",
        "0",
        "raw failures shown",
        "graceful-fallback",
        "failure-policy",
    )
    if (early := _not_measured(matrix, base)) is not None:
        return early
    if not matrix.observations:
        return CheckResult(**base, status="error", detail="no answer was collected")
    raw = [o for o in matrix.observations if o.outcome == "raw_failure"]
    kinds = Counter(f"{KIND_LABELS[o.kind]} at {o.stage}" for o in raw)
    reasons = Counter(o.reason for o in raw)
    detail = f"{len(raw)} of {len(matrix.observations)} answers were raw failures"
    if raw:
        detail += "; under " + ", ".join(f"{k} ({n})" for k, n in kinds.most_common())
        detail += "; shown as " + ", ".join(f"{r} ({n})" for r, n in reasons.most_common())
    return CheckResult(
        **base, status="pass" if not raw else "fail", observed=len(raw), detail=detail
    )


def p95(values: Sequence[float]) -> float:
    """The 95th percentile by the nearest-rank method (exact on small samples, no interpolation)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def latency_under_fault(matrix: FaultMatrix) -> pd.DataFrame:
    """p95 seconds the user waited, per fault kind and stage, over the faulted requests."""
    grouped: dict[tuple[str, str], list[float]] = defaultdict(list)
    for o in matrix.faulted():
        grouped[(o.kind, o.stage)].append(o.seconds)
    rows = [
        {
            "fault": KIND_LABELS[kind],
            "kind": kind,
            "stage": stage,
            "requests": len(values),
            "p95_ms": round(1000 * p95(values), 1),
            "max_ms": round(1000 * max(values), 1),
        }
        for (kind, stage), values in grouped.items()
    ]
    return pd.DataFrame(rows, columns=["fault", "kind", "stage", "requests", "p95_ms", "max_ms"])


def check_latency_under_fault(matrix: FaultMatrix, decisions: Decisions) -> CheckResult:
    """Under every fault, the p95 wait stays within the decided end-to-end budget."""
    budget_ms = decisions.latency_budget.p95_ms
    base = _base(
        "latency_under_fault",
        "Latency under every fault stays within the decided p95 budget",
        f"<= {budget_ms} ms p95 under every fault",
        "ms, p95 of the slowest fault",
        "timeouts-from-budget",
        "latency-budget",
    )
    if (early := _not_measured(matrix, base)) is not None:
        return early
    table = latency_under_fault(matrix)
    if table.empty:
        return CheckResult(**base, status="error", detail=_nothing_faulted(matrix))
    worst = table.sort_values("p95_ms", ascending=False).iloc[0]
    over = table[table["p95_ms"] > budget_ms]
    detail = f"slowest: {worst['fault']} at {worst['stage']} ({worst['p95_ms']:.0f} ms p95)"
    if not over.empty:
        detail += "; over budget: " + ", ".join(
            f"{row.fault} at {row.stage} {row.p95_ms:.0f} ms" for row in over.itertuples()
        )
    status = "pass" if over.empty else "fail"
    return CheckResult(**base, status=status, observed=float(worst["p95_ms"]), detail=detail)


def check_log_completeness(matrix: FaultMatrix) -> CheckResult:
    """Every failure left a log entry carrying its trace id and its error type."""
    base = _base(
        "log_completeness",
        "Every failure is logged with its trace id and error type",
        "1.0 (every failure)",
        "share of failures logged",
        "structured-error-logging",
        "observability",
    )
    if (early := _not_measured(matrix, base)) is not None:
        return early
    if matrix.log_source is None:
        return CheckResult(
            **base,
            status="skip",
            detail="no log to read: name the target's JSON-lines log file in engagement.yaml "
            "(field 'target.logs')",
        )
    failures = [o for o in matrix.observations if o.failure]
    if not failures:
        return CheckResult(**base, status="error", detail="no failure occurred to look up")
    logged = sum(bool(o.logged) for o in failures)
    share = logged / len(failures)
    no_trace = sum(o.trace_id is None for o in failures)
    detail = f"{logged} of {len(failures)} failures found in {matrix.log_source}"
    if no_trace:
        detail += f"; {no_trace} answers carried no trace id to look up"
    status = "pass" if logged == len(failures) else "fail"
    return CheckResult(**base, status=status, observed=round(share, 3), detail=detail)


def check_circuit_breaker(episode: BreakerEpisode) -> CheckResult:
    """The breaker opens under a sustained fault and closes again after recovery."""
    base = _base(
        "circuit_breaker",
        "The circuit breaker opens under a sustained fault and closes after recovery",
        "opens, then closes after recovery",
        "breaker behaviour",
        "circuit-breaker",
        "failure-policy",
    )
    if (early := _not_measured(episode, base)) is not None:
        return early
    how = "inferred from upstream calls" if episode.inferred else "reported by the target"
    faulted = sum(p.phase == "fault" for p in episode.points)
    if episode.opened_after is None:
        states = sorted({p.state for p in episode.points if p.phase == "fault"})
        calls = sum(p.upstream_calls for p in episode.points if p.phase == "fault")
        detail = (
            f"never opened in {faulted} requests under a sustained 5xx at {episode.stage} "
            f"(state {', '.join(states)}, {how}); the upstream took {calls} calls"
        )
        return CheckResult(**base, status="fail", observed="never opened", detail=detail)
    opened = f"opened after {episode.opened_after} failing requests"
    if episode.closed_after_s is None:
        detail = (
            f"{opened}, still not closed {episode.recovery_wait_s:.0f} s after recovery ({how})"
        )
        return CheckResult(**base, status="fail", observed="opened, never closed", detail=detail)
    detail = f"{opened}; closed {episode.closed_after_s:.1f} s after the fault ended ({how})"
    return CheckResult(**base, status="pass", observed="opened, then closed", detail=detail)


def retry_amplification(matrix: FaultMatrix) -> pd.DataFrame:
    """Upstream calls per request in each transient-fault cell (retries multiply this)."""
    rows = [
        {
            "fault": KIND_LABELS[cell.kind],
            "stage": cell.stage,
            "rate": cell.rate,
            "requests": cell.requests,
            "upstream_calls": cell.upstream_calls,
            "calls_per_request": round(cell.upstream_calls / cell.requests, 3),
        }
        for cell in matrix.cells
        if cell.kind in TRANSIENT_KINDS and cell.requests and not cell.skipped
    ]
    columns = ["fault", "stage", "rate", "requests", "upstream_calls", "calls_per_request"]
    return pd.DataFrame(rows, columns=columns)


def check_retry_amplification(matrix: FaultMatrix, decisions: Decisions) -> CheckResult:
    """Retries never multiply the load on a failing upstream beyond the decided factor."""
    limit = decisions.failure_policy.max_retry_amplification
    base = _base(
        "retry_amplification",
        "Retries do not multiply load on a failing upstream beyond the decided factor",
        f"<= {limit:g} calls per request",
        "upstream calls per request (worst transient fault)",
        "bounded-retries-with-jitter",
        "failure-policy",
    )
    if (early := _not_measured(matrix, base)) is not None:
        return early
    table = retry_amplification(matrix)
    if table.empty:
        return CheckResult(**base, status="error", detail="no transient fault (429, 5xx) was run")
    worst = table.sort_values("calls_per_request", ascending=False).iloc[0]
    single = [
        o.upstream_calls
        for o in matrix.observations
        if o.kind in TRANSIENT_KINDS and o.upstream_calls is not None
    ]
    detail = (
        f"worst: {worst['fault']} at {worst['stage']}, rate {worst['rate']:g}: "
        f"{int(worst['upstream_calls'])} calls for {int(worst['requests'])} requests"
    )
    if single:
        detail += f"; at most {max(single)} calls for one request"
    status = "pass" if worst["calls_per_request"] <= limit else "fail"
    return CheckResult(
        **base, status=status, observed=float(worst["calls_per_request"]), detail=detail
    )


def check_transient_recovery(matrix: FaultMatrix, decisions: Decisions) -> CheckResult:
    """Intermittent faults the policy says to retry are recovered into correct answers."""
    policy = decisions.failure_policy
    retried = [kind for kind in TRANSIENT_KINDS if policy.action_for(FAILURE_MODE[kind]) == "retry"]
    base = _base(
        "transient_recovery",
        "Intermittent faults the policy retries end in a correct answer",
        f">= {MIN_RECOVERED_SHARE:g} of faulted requests recovered",
        "share of faulted requests answered correctly",
        "bounded-retries-with-jitter",
        "failure-policy",
    )
    if (early := _not_measured(matrix, base)) is not None:
        return early
    if not retried:
        return CheckResult(
            **base, status="skip", detail="the failure policy retries no transient failure mode"
        )
    faulted = [o for o in matrix.faulted() if o.kind in retried and o.rate < 1.0]
    if not faulted:
        return CheckResult(
            **base,
            status="error",
            detail=f"no request met an intermittent {' or '.join(retried)} fault; "
            "raise the depth for a larger sample",
        )
    recovered = sum(o.outcome == "correct" for o in faulted)
    share = recovered / len(faulted)
    again = [o for o in faulted if o.upstream_calls is not None]
    detail = (
        f"{recovered} of {len(faulted)} requests that met an intermittent "
        f"{' or '.join(KIND_LABELS[k] for k in retried)} fault were answered correctly"
    )
    if again:
        calls_again = sum((o.upstream_calls or 0) > 1 for o in again)
        detail += f"; {calls_again} of {len(again)} called the upstream again"
    status = "pass" if share >= MIN_RECOVERED_SHARE else "fail"
    return CheckResult(**base, status=status, observed=round(share, 3), detail=detail)


def check_output_validation(matrix: FaultMatrix) -> CheckResult:
    """Malformed and nonsense generations are caught, never shown as an answer."""
    base = _base(
        "output_validation",
        "Nonsense and malformed model output never reaches the user as an answer",
        "0",
        "bad generations shown as answers",
        "output-validation",
        "failure-policy",
    )
    if (early := _not_measured(matrix, base)) is not None:
        return early
    faulted = [o for o in matrix.faulted() if o.kind in BAD_OUTPUT_KINDS]
    if not faulted:
        return CheckResult(
            **base, status="skip", detail="the route cannot inject malformed or nonsense output"
        )
    shown = [o for o in faulted if o.outcome in ("wrong_confident", "raw_failure")]
    by_kind = Counter(KIND_LABELS[o.kind] for o in shown)
    detail = f"{len(shown)} of {len(faulted)} bad generations were shown"
    if shown:
        detail += " (" + ", ".join(f"{k}: {n}" for k, n in by_kind.most_common()) + ")"
    status = "pass" if not shown else "fail"
    return CheckResult(**base, status=status, observed=len(shown), detail=detail)


def failure_checks(
    matrix: FaultMatrix, episode: BreakerEpisode, decisions: Decisions
) -> list[CheckResult]:
    """Every check of the area, in the notebook's order."""
    return [
        check_graceful_degradation(matrix, decisions),
        check_no_raw_failures(matrix),
        check_output_validation(matrix),
        check_latency_under_fault(matrix, decisions),
        check_transient_recovery(matrix, decisions),
        check_retry_amplification(matrix, decisions),
        check_circuit_breaker(episode),
        check_log_completeness(matrix),
    ]


# ---- tables -----------------------------------------------------------------------------------


def outcome_table(matrix: FaultMatrix) -> pd.DataFrame:
    """Per fault kind and stage: faulted requests by outcome, and the graceful share."""
    rows = []
    grouped: dict[tuple[str, str], list[Observation]] = defaultdict(list)
    for o in matrix.faulted():
        grouped[(o.kind, o.stage)].append(o)
    for (kind, stage), seen in grouped.items():
        counts = Counter(o.outcome for o in seen)
        row: dict[str, Any] = {"fault": KIND_LABELS[kind], "stage": stage, "faulted": len(seen)}
        row.update({OUTCOME_LABELS[o]: counts[o] for o in OUTCOMES})
        row["graceful share"] = round(sum(counts[o] for o in GRACEFUL) / len(seen), 3)
        rows.append(row)
    columns = ["fault", "stage", "faulted", *OUTCOME_LABELS.values(), "graceful share"]
    return pd.DataFrame(rows, columns=columns)


def policy_table(matrix: FaultMatrix, decisions: Decisions) -> pd.DataFrame:
    """Per failure mode: the action the decisions chose and what the user actually got."""
    rows = []
    for kind, mode in FAILURE_MODE.items():
        seen = [o for o in matrix.faulted() if o.kind == kind]
        counts = Counter(o.outcome for o in seen)
        calls = [o.upstream_calls for o in seen if o.upstream_calls is not None]
        rows.append(
            {
                "failure mode": mode,
                "decided action": decisions.failure_policy.action_for(mode),
                "faulted requests": len(seen),
                "most common outcome": OUTCOME_LABELS[counts.most_common(1)[0][0]]
                if seen
                else "not injected",
                "called the upstream again": f"{sum(c > 1 for c in calls)} of {len(calls)}"
                if calls
                else "n/a",
            }
        )
    return pd.DataFrame(rows)


# ---- figures ----------------------------------------------------------------------------------

_OUTCOME_COLOURS = [[0.0, "#f7f7f7"], [1.0, "#1f4e79"]]
_STATE_LEVEL = {"closed": 0, "half-open": 1, "open": 2, "disabled": 0}


def outcome_heatmap(*matrices: FaultMatrix) -> go.Figure:
    """Heatmaps of fault kind x outcome (share of faulted requests), one per target or profile."""
    shown = [m for m in matrices if m.observations]
    figure = make_subplots(
        rows=1,
        cols=max(1, len(shown)),
        subplot_titles=[m.target for m in shown] or ["no faults injected"],
        shared_yaxes=True,
        horizontal_spacing=0.04,
    )
    kinds = [KIND_LABELS[k] for k in KINDS]
    for column, matrix in enumerate(shown, start=1):
        by_kind = _by_kind(matrix.faulted())
        z, text = [], []
        for kind in KINDS:
            seen = by_kind.get(kind, [])
            counts = Counter(o.outcome for o in seen)
            z.append([counts[o] / len(seen) if seen else None for o in OUTCOMES])
            text.append([str(counts[o]) if seen else "" for o in OUTCOMES])
        figure.add_trace(
            go.Heatmap(
                z=z,
                x=[OUTCOME_LABELS[o] for o in OUTCOMES],
                y=kinds,
                text=text,
                texttemplate="%{text}",
                colorscale=_OUTCOME_COLOURS,
                zmin=0,
                zmax=1,
                showscale=column == len(shown),
                colorbar={"title": "share"},
                hovertemplate="%{y} -> %{x}: %{z:.0%}<extra></extra>",
            ),
            row=1,
            col=column,
        )
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(
        title="What the user got under each fault (count of faulted requests, shaded by share)",
        height=420,
        margin={"t": 80, "b": 40},
    )
    return figure


def latency_figure(matrix: FaultMatrix, decisions: Decisions) -> go.Figure:
    """p95 wait under each fault and stage, against the decided end-to-end budget."""
    table = latency_under_fault(matrix)
    budget_ms = decisions.latency_budget.p95_ms
    labels = [f"{row.fault} @ {row.stage}" for row in table.itertuples()]
    colours = ["#c62828" if v > budget_ms else "#2e7d32" for v in table["p95_ms"]]
    figure = go.Figure(
        go.Bar(x=labels, y=table["p95_ms"], marker_color=colours, name="p95 under fault")
    )
    figure.add_hline(y=budget_ms, line_dash="dash", annotation_text=f"budget {budget_ms} ms")
    figure.update_layout(
        title=f"p95 latency under each fault — {matrix.target}",
        yaxis={"title": "ms (p95 of faulted requests)"},
        height=380,
        margin={"t": 60, "b": 120},
    )
    return figure


def breaker_figure(episode: BreakerEpisode) -> go.Figure:
    """The breaker's state and the upstream calls of each request over a fault episode."""
    frame = episode.frame()
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    if not frame.empty:
        numbers = list(range(1, len(frame) + 1))
        figure.add_trace(
            go.Bar(
                x=numbers,
                y=frame["upstream_calls"],
                name="upstream calls",
                marker_color="#9e9e9e",
                opacity=0.5,
            ),
            secondary_y=True,
        )
        figure.add_trace(
            go.Scatter(
                x=numbers,
                y=[_STATE_LEVEL.get(state, 0) for state in frame["state"]],
                mode="lines+markers",
                line_shape="hv",
                name="breaker state",
                customdata=list(zip(frame["state"], frame["seconds"], strict=True)),
                hovertemplate="request %{x} at %{customdata[1]:.2f} s: %{customdata[0]}"
                "<extra></extra>",
            ),
            secondary_y=False,
        )
        faulted = int((frame["phase"] == "fault").sum())
        figure.add_vrect(
            x0=0.5,
            x1=faulted + 0.5,
            fillcolor="#c62828",
            opacity=0.08,
            line_width=0,
            annotation_text="sustained 5xx",
            annotation_position="top left",
        )
    how = " (inferred from upstream calls)" if episode.inferred else ""
    figure.update_yaxes(
        tickvals=[0, 1, 2],
        ticktext=["closed", "half-open", "open"],
        range=[-0.2, 2.2],
        secondary_y=False,
    )
    figure.update_yaxes(title_text="upstream calls", rangemode="tozero", dtick=1, secondary_y=True)
    recovered = (
        f"; closed {episode.closed_after_s:.1f} s after the fault ended"
        if episode.closed_after_s is not None
        else ""
    )
    figure.update_layout(
        title=f"Circuit breaker over a fault episode{how}{recovered} — {episode.target}",
        xaxis={"title": "request of the episode (fault, then recovery polls)"},
        height=380,
        margin={"t": 60, "b": 40},
    )
    return figure
