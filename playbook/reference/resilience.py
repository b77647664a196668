"""Time budgets, bounded retries and the circuit breaker settings of the production profile."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import TypeVar

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

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise PlaybookError("retries: field 'attempts': expected at least 1")


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


def call_with_retries(
    call: Callable[[int], T],
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `call(attempt)`, retrying transient errors; the one retry loop of a call path."""
    retrying = Retrying(
        stop=stop_after_attempt(policy.attempts) | _StopOnLongRetryAfter(policy),
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
