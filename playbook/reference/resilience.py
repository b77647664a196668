"""Time budgets, bounded retries and the circuit breaker settings of the production profile."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, TypeVar

import pybreaker
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_random_exponential

from playbook.errors import PlaybookError
from playbook.reference.faults import RateLimited, StageTimeout

T = TypeVar("T")


@dataclass(frozen=True)
class StageBudgets:
    """Seconds each stage may take before the caller stops waiting (with `timeouts` on)."""

    retrieval: float = 1.0
    generation: float = 2.0

    def __post_init__(self) -> None:
        for stage in ("retrieval", "generation"):
            if getattr(self, stage) <= 0:
                raise PlaybookError(f"budgets: field '{stage}': expected seconds > 0")

    def of(self, stage: str) -> float:
        """The budget of `stage` in seconds."""
        return float(getattr(self, stage))


@dataclass(frozen=True)
class RetryPolicy:
    """How transient failures are retried: attempts in all, jittered backoff, Retry-After cap."""

    attempts: int = 3
    initial_wait: float = 0.05
    max_wait: float = 1.0
    max_retry_after: float = 2.0  # a longer Retry-After is not worth holding the user for
    budget_ratio: float | None = None  # retries earned per call (None: no retry budget)
    budget_reserve: float = 2.0  # retries available at the start, and at most saved up

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise PlaybookError("retries: field 'attempts': expected at least 1")
        if self.budget_ratio is not None and self.budget_ratio < 0:
            raise PlaybookError("retries: field 'budget_ratio': expected a value >= 0")


# The production profile's policy: a retry budget caps what retries add to a failing upstream at
# about half a call per request (plus a small reserve), whatever the number of attempts.
BUDGETED_RETRY_POLICY = RetryPolicy(budget_ratio=0.5)


class RetryBudget:
    """A token bucket of retries shared by one call path (Finagle's RetryBudget, gRPC throttling).

    Each call deposits `ratio` tokens (never more than `reserve` in all) and each retry spends
    one, so during a long outage retries add at most `ratio` calls per request, where a fixed
    number of attempts would multiply the load on the upstream that is already failing.
    """

    def __init__(self, ratio: float, reserve: float) -> None:
        self.ratio = ratio
        self.reserve = reserve
        self._tokens = reserve
        self._lock = threading.Lock()

    def deposit(self) -> None:
        """Credit one call."""
        with self._lock:
            self._tokens = min(self.reserve, self._tokens + self.ratio)

    def withdraw(self) -> bool:
        """Spend one retry if the budget holds one."""
        with self._lock:
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False

    def refill(self) -> None:
        """Back to a full reserve (a fresh experiment)."""
        with self._lock:
            self._tokens = self.reserve

    @classmethod
    def of(cls, policy: RetryPolicy) -> RetryBudget | None:
        """The budget a policy asks for, or None."""
        if policy.budget_ratio is None:
            return None
        return cls(policy.budget_ratio, policy.budget_reserve)


@dataclass(frozen=True)
class BreakerSettings:
    """When the generation breaker opens (consecutive failures) and how long it stays open."""

    fail_max: int = 5
    reset_timeout: float = 10.0


def _is_transient(exc: BaseException) -> bool:
    return bool(getattr(exc, "transient", False))


class _RetryAfterWait:
    """Jittered exponential backoff, but never sooner than the upstream's Retry-After."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._backoff = wait_random_exponential(multiplier=policy.initial_wait, max=policy.max_wait)

    def __call__(self, state: RetryCallState) -> float:
        wait = self._backoff(state)
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimited) and exc.retry_after:
            wait = max(wait, exc.retry_after)
        return wait


class _StopOnLongRetryAfter:
    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy

    def __call__(self, state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        return (
            isinstance(exc, RateLimited)
            and exc.retry_after is not None
            and exc.retry_after > self._policy.max_retry_after
        )


class _StopWhenBudgetSpent:
    def __init__(self, budget: RetryBudget) -> None:
        self._budget = budget

    def __call__(self, state: RetryCallState) -> bool:
        return not self._budget.withdraw()


def call_with_retries(
    call: Callable[[int], T],
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
    budget: RetryBudget | None = None,
) -> T:
    """Run `call(attempt)`, retrying transient errors; the one retry loop of a call path."""
    stop = stop_after_attempt(policy.attempts) | _StopOnLongRetryAfter(policy)
    if budget is not None:
        budget.deposit()
        # Last in the `|`: tenacity's stop_any short-circuits, so a token is spent only on a
        # retry that the attempt limit and the Retry-After cap would allow anyway.
        stop = stop | _StopWhenBudgetSpent(budget)
    retrying = Retrying(
        stop=stop,
        wait=_RetryAfterWait(policy),
        retry=retry_if_exception(_is_transient),
        reraise=True,
        sleep=sleep,
    )
    for attempt in retrying:
        with attempt:
            return call(attempt.retry_state.attempt_number - 1)
    raise AssertionError("unreachable: tenacity either returns or re-raises")


def call_with_budget(
    executor: ThreadPoolExecutor,
    call: Callable[[threading.Event], T],
    budget: float,
    stage: str,
) -> T:
    """Run `call(cancel)` in a worker; after `budget` seconds stop waiting and tell it to stop."""
    cancel = threading.Event()
    future = executor.submit(call, cancel)
    try:
        return future.result(timeout=budget)
    except FutureTimeout:
        cancel.set()
        future.cancel()
        raise StageTimeout(f"{stage} exceeded its budget of {budget:g} s") from None


class ConcurrentCircuitBreaker(pybreaker.CircuitBreaker):
    """pybreaker's circuit breaker without its lock around the guarded call.

    pybreaker holds one lock for the whole of `call`, so calls through one breaker run one at a
    time (pybreaker issue #3): a single slow or hung generation queues every other request
    behind it. State changes keep their own locking; what is given up, as in the unmerged
    pybreaker #41, is that a half-open breaker may let a few concurrent trial calls through.
    """

    def call(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call `func` under the rules of the current state, without serialising callers."""
        return self.state.call(func, *args, **kwargs)
