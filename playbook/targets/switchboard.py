"""The fault injection point of a Python target: its upstream calls go through a switchboard.

An HTTP service gets faults from the fault proxy on the hop to its model endpoint; a Python
callable has no such hop, so the team routes its upstream calls through this switchboard instead:

```python
# engagement.yaml: target: {spec: "python:team.bot:answer", fault_hook: "python:team.bot:wire"}
BOARD = None

def wire(switchboard):            # called once, when notebook 03 asks for faults
    global BOARD
    BOARD = switchboard

def answer(question, user=None):
    passages = BOARD.call("retrieval", search, question, empty=[]) if BOARD else search(question)
    text = BOARD.call("generation", complete, question, passages) if BOARD else complete(...)
    ...
```

With no fault in force a call passes straight through. A fault in force acts on the call the
way the real upstream would fail: `latency` waits then calls, `hang` waits past any budget and
raises `TimeoutError`, `exception` raises `ConnectionResetError`, `rate_limit` and `server_error`
raise `InjectedStatus` (with `status_code` and `retry_after`), `malformed` and `nonsense` return
junk or fluent nonsense instead of calling, `empty_retrieval` returns the `empty=` value. So the
team's own timeouts, retries, breakers and fallbacks are what the checks measure. Calls are
counted per stage and tied to the request the adapter is answering, as the fault proxy counts the
requests that reach it.
"""

from __future__ import annotations

import contextvars
import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from playbook.faults import (
    DEFAULT_LATENCY_S,
    DEFAULT_RETRY_AFTER_S,
    HANG_LIMIT_S,
    STAGE_ONLY,
    Fault,
    FaultPlan,
    altered_output,
)

T = TypeVar("T")
_NO_EMPTY = object()
_REQUEST: contextvars.ContextVar[int | None] = contextvars.ContextVar("request", default=None)


class InjectedStatus(Exception):
    """An injected HTTP error status from an upstream (429 with `retry_after`, or 5xx)."""

    def __init__(self, status_code: int, retry_after: float | None = None) -> None:
        phrase = "Too Many Requests" if status_code == 429 else "Service Unavailable"
        super().__init__(f"{status_code} {phrase}")
        self.status_code = status_code
        self.retry_after = retry_after


@dataclass(frozen=True)
class Strike:
    """A call that met the fault in force."""

    request: int
    stage: str
    attempt: int
    kind: str


class Switchboard:
    """Puts the playbook's faults on a Python target's upstream calls and counts them."""

    route = "the Python target's switchboard (target.fault_hook)"
    # The team's caches and breakers cannot be reset between cells: one request at a time ties
    # each strike to the answer it produced.
    isolated = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._plan = FaultPlan()
        self._numbers = itertools.count()
        self._calls: Counter[str] = Counter()
        self._attempts: Counter[tuple[int, str]] = Counter()
        self._wired: set[str] = set()
        self._empty_at: set[str] = set()
        self._current: int | None = None  # the request in flight, for calls from other threads
        self.strikes: list[Strike] = []

    @contextmanager
    def request(self) -> Iterator[int]:
        """Number one request of the target, so the calls it makes count as its attempts."""
        with self._lock:
            number = next(self._numbers)
            self._current = number
        token = _REQUEST.set(number)
        try:
            yield number
        finally:
            _REQUEST.reset(token)
            with self._lock:
                if self._current == number:
                    self._current = None

    def call(
        self, stage: str, function: Callable[..., T], *args: Any, empty: Any = _NO_EMPTY, **kwargs
    ) -> T:
        """Call `function` as the upstream of `stage`, with the fault in force acted out on it.

        `empty` is what this upstream returns when it finds nothing (retrieval: `[]`); without it,
        empty-retrieval faults cannot be injected at this stage.
        """
        request = _REQUEST.get()
        with self._lock:
            # A call from a worker thread of the team's code does not carry the context: it
            # belongs to the request in flight (faults are injected one request at a time).
            request = self._current if request is None else request
            if request is None:  # called outside any request the adapter numbered
                request = next(self._numbers)
            attempt = self._attempts[(request, stage)]
            self._attempts[(request, stage)] += 1
            self._calls[stage] += 1
            self._wired.add(stage)
            if empty is not _NO_EMPTY:
                self._empty_at.add(stage)
            fault = self._plan.fault_for(stage, request, attempt)
            if fault is not None:
                self.strikes.append(Strike(request, stage, attempt, fault.kind))
        if fault is None:
            return function(*args, **kwargs)
        return self._act(fault, request, function, args, kwargs, empty)

    def _act(
        self,
        fault: Fault,
        request: int,
        function: Callable[..., T],
        args: tuple,
        kwargs: dict,
        empty: Any,
    ) -> Any:
        if fault.kind == "latency":
            time.sleep(DEFAULT_LATENCY_S if fault.seconds is None else fault.seconds)
            return function(*args, **kwargs)
        if fault.kind == "hang":
            time.sleep(min(HANG_LIMIT_S, fault.seconds or HANG_LIMIT_S))
            raise TimeoutError(f"the {fault.stage} upstream did not answer")
        if fault.kind == "exception":
            raise ConnectionResetError(104, "Connection reset by peer")
        if fault.kind == "rate_limit":
            retry_after = DEFAULT_RETRY_AFTER_S if fault.seconds is None else fault.seconds
            raise InjectedStatus(429, retry_after)
        if fault.kind == "server_error":
            raise InjectedStatus(503)
        if fault.kind in ("malformed", "nonsense"):
            return altered_output(fault, request)
        return None if empty is _NO_EMPTY else empty  # empty_retrieval

    # ---- the FaultInjection capability ----------------------------------------------------

    def supports(self, kind: str, stage: str) -> bool:
        """Stages the target's code has called through the switchboard, where the kind applies."""
        if STAGE_ONLY.get(kind, stage) != stage or stage not in self._wired:
            return False
        return kind != "empty_retrieval" or stage in self._empty_at

    def apply(self, fault: Fault | None) -> None:
        with self._lock:
            self._plan = FaultPlan.of(fault) if fault else FaultPlan()
            self._numbers = itertools.count()
            self._attempts.clear()

    def reset(self) -> None:
        """Nothing of the team's system can be reset from here; the fault is lifted elsewhere."""

    def calls(self, stage: str) -> int:
        with self._lock:
            return self._calls[stage]

    def mark(self) -> int:
        with self._lock:
            return len(self.strikes)

    def first_call_struck(self, mark: int, stage: str) -> bool:
        with self._lock:
            return any(s.stage == stage and s.attempt == 0 for s in self.strikes[mark:])

    def breaker_state(self) -> str | None:
        return None

    def breaker_reset_s(self) -> float | None:
        return None
