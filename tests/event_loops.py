"""Running a coroutine from a test whatever loop the session left running.

pytest-playwright's sync API keeps an event loop running in the main thread once a browser test
has used it, and `asyncio.run` refuses to start inside a running loop; a thread of its own has
none (the load generator runs its loop the same way, for Jupyter kernels).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_in_own_loop(coroutine: Coroutine[Any, Any, T], timeout_s: float = 60.0) -> T:
    """`asyncio.run(coroutine)` in a new thread; its result, or its exception re-raised."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = asyncio.run(coroutine)
        except BaseException as exc:  # handed to the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="test-own-loop", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        raise TimeoutError(f"the coroutine did not finish in {timeout_s:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
