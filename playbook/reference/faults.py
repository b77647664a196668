"""How the reference system acts out a fault at a stage, and the errors its upstreams raise."""

from __future__ import annotations

import threading

from playbook.faults import DEFAULT_LATENCY_S, DEFAULT_RETRY_AFTER_S, HANG_LIMIT_S, Fault


class UpstreamError(Exception):
    """A failure of a stage's upstream; `transient` ones are worth retrying."""

    transient = False


class InjectedError(UpstreamError):
    """An injected non-transient failure (a bug, a refused connection)."""


class RateLimited(UpstreamError):
    """The upstream answered 429; `retry_after` is the seconds it asked to wait."""

    transient = True

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServerError(UpstreamError):
    """The upstream answered 5xx."""

    transient = True

    def __init__(self, message: str, status: int = 503) -> None:
        super().__init__(message)
        self.status = status


class StageTimeout(UpstreamError):
    """A stage did not finish within its budget (or a hung upstream gave up on its own)."""


# The failure mode an answer's error stands for, as the failure-policy decision names them; the
# `type` label of the errors counter, so an alert rule per decided mode reads its own series.
_MODES_BY_ERROR = {
    "StageTimeout": "timeout",
    "RateLimited": "rate_limit",
    "ServerError": "server_error",
}


def failure_mode(error: str) -> str:
    """`timeout`, `rate_limit`, `server_error`, `malformed_output`, `nonsense_output`, or the
    error's own type for anything else (an `Answer.error` reads `Type: message`)."""
    kind, _, message = error.partition(":")
    if kind == "OutputRejected":
        return (
            "malformed_output"
            if "malformed" in message or "no text" in message
            else ("nonsense_output")
        )
    return _MODES_BY_ERROR.get(kind, kind or "error")


def strike(fault: Fault, cancel: threading.Event, request: int) -> None:
    """Act out a fault that delays or fails the call; returns for the faults that alter output.

    Waits on `cancel` rather than sleeping, so a caller that stopped waiting (a timeout) ends
    the worker at once instead of leaving it to sleep out the fault.
    """
    if fault.kind == "latency":
        cancel.wait(DEFAULT_LATENCY_S if fault.seconds is None else fault.seconds)
    elif fault.kind == "hang":
        cancel.wait(min(HANG_LIMIT_S, fault.seconds or HANG_LIMIT_S))
        raise StageTimeout(f"{fault.stage} upstream did not answer (request {request} hung)")
    elif fault.kind == "exception":
        raise InjectedError(
            f"ConnectionResetError: [Errno 104] Connection reset by peer ({fault.stage} upstream)"
        )
    elif fault.kind == "rate_limit":
        retry_after = DEFAULT_RETRY_AFTER_S if fault.seconds is None else fault.seconds
        raise RateLimited(
            f"429 Too Many Requests from the {fault.stage} upstream (Retry-After: {retry_after})",
            retry_after=retry_after,
        )
    elif fault.kind == "server_error":
        raise ServerError(f"503 Service Unavailable from the {fault.stage} upstream")
