"""A team's system as a Python callable (`python:module:callable`), measured in process.

The callable takes the question, and the user id too when its signature has a `user` parameter,
`**kwargs`, or a second positional parameter. It may return an `Answer`, a string (the answer text,
status `ok`), or a mapping with `answer` (or `text`), `sources` (ids, or objects with an `id`),
`status` (one of ok, degraded, refused, error), `trace_id` and `timings` (seconds per stage).

An exception from the callable is an `Answer(status="error")` whose text is the exception as a
program that does not handle it would show it (`KeyError: 'x'`): that raw failure reaching the user
is exactly what the failure checks look for. `timings["total"]` is measured here when the callable
does not report one.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playbook.errors import PlaybookError
from playbook.targets.base import ANSWER_STATUSES, Answer
from playbook.targets.capabilities import FaultInjection
from playbook.targets.declared import Declared
from playbook.targets.spec import parse_spec
from playbook.targets.switchboard import Switchboard

if TYPE_CHECKING:
    from playbook.engagement import Engagement


def load_callable(spec: str, search_path: Path | None = None) -> Callable[..., Any]:
    """Import the callable a `python:module:callable` spec names, or raise PlaybookError."""
    parsed = parse_spec(spec)
    where = f"target spec {parsed.text!r} (field 'target.spec' or --target)"
    if parsed.kind != "python":
        raise PlaybookError(f"{where}: expected python:module:callable")
    module_name, attribute = parsed.value.split(":")
    try:
        module = _import(module_name, search_path)
    except Exception as exc:  # an import runs arbitrary code: any failure is the spec's problem
        raise PlaybookError(
            f"{where}: cannot import module {module_name!r} ({type(exc).__name__}: {exc})"
        ) from None
    function = getattr(module, attribute, None)
    if function is None:
        raise PlaybookError(f"{where}: module {module_name!r} has no attribute {attribute!r}")
    if not callable(function):
        raise PlaybookError(
            f"{where}: {module_name}.{attribute} is a {type(function).__name__}, "
            "expected a callable"
        )
    return function


def _import(module_name: str, search_path: Path | None) -> Any:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        top = module_name.split(".")[0]
        if search_path is None or exc.name != top or not Path(search_path).is_dir():
            raise
    # A trainee's module next to engagement.yaml: the folder stays on the path afterwards, since
    # the module may import its siblings lazily on its first call.
    folder = str(Path(search_path).resolve())
    if folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        return importlib.import_module(module_name)
    except BaseException:
        sys.path.remove(folder)
        raise


def _call_style(function: Callable[..., Any]) -> str:
    """How to pass the user: `keyword`, `positional`, or `none` (it takes the question only)."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):  # some builtins have no signature
        return "none"
    if any(p.name == "user" or p.kind is p.VAR_KEYWORD for p in parameters):
        return "keyword"
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return "positional"
    return "none"


class PythonTarget:
    """A Target that calls a Python function in this process.

    It offers what its engagement declares: faults through a switchboard handed to
    `target.fault_hook` (see `playbook.targets.switchboard`), the pipeline through the ingest
    hook, and the logs of `target.logs`.
    """

    def __init__(
        self, spec: str, search_path: Path | None = None, engagement: Engagement | None = None
    ) -> None:
        self.spec = parse_spec(spec).text
        self._function = load_callable(spec, search_path)
        self._style = _call_style(self._function)
        self._search_path = search_path
        self._declared = Declared(engagement, self)
        self._switchboard: Switchboard | None = None

    def __repr__(self) -> str:
        return f"PythonTarget(spec={self.spec!r})"

    def ask(self, question: str, user: str | None = None) -> Answer:
        """Call the function; its exceptions and odd return values become error Answers."""
        started = time.perf_counter()
        numbered = self._switchboard.request() if self._switchboard else contextlib.nullcontext()
        try:
            with numbered:
                if self._style == "keyword":
                    result = self._function(question, user=user)
                elif self._style == "positional":
                    result = self._function(question, user)
                else:
                    result = self._function(question)
        except Exception as exc:
            raw = f"{type(exc).__name__}: {exc}"
            return Answer(
                text=raw,
                status="error",
                timings={"total": time.perf_counter() - started},
                error=f"the callable raised {raw}",
            )
        return _to_answer(result, time.perf_counter() - started)

    def capability(self, kind: type) -> Any:
        """Faults through the declared fault hook; the rest as the engagement declares."""
        if kind is FaultInjection:
            hook = self._declared.config.fault_hook if self._declared.config else None
            if not hook:
                return None
            if self._switchboard is None:
                board = Switchboard()
                load_callable(hook, self._search_path)(board)
                self._switchboard = board
            return self._switchboard
        return self._declared.capability(kind)

    def missing_capability(self, kind: type) -> str:
        """What engagement.yaml must declare for this target to offer `kind`."""
        return self._declared.missing(kind)

    def close(self) -> None:
        """Nothing to release: the callable belongs to its module."""


def _to_answer(result: Any, total: float) -> Answer:
    if isinstance(result, Answer):
        if "total" in result.timings:
            return result
        return replace(result, timings={**result.timings, "total": total})
    if isinstance(result, str):
        return Answer(text=result, timings={"total": total})
    if isinstance(result, Mapping):
        return _from_mapping(result, total)
    return Answer(
        text="",
        status="error",
        timings={"total": total},
        error=f"the callable returned {type(result).__name__}, expected an Answer, a str or a dict",
    )


def _from_mapping(result: Mapping[str, Any], total: float) -> Answer:
    text = result.get("answer", result.get("text"))
    if not isinstance(text, str):
        return Answer(
            text="",
            status="error",
            timings={"total": total},
            error=(
                "the callable returned a dict without a string 'answer' (or 'text'); its keys: "
                f"{', '.join(map(str, list(result)[:8])) or 'none'}. Return {{'answer': text, "
                "'sources': [document ids]}, or wrap the function in one that does"
            ),
        )
    status = result.get("status", "ok")
    if status not in ANSWER_STATUSES:
        return Answer(
            text=text,
            status="error",
            timings={"total": total},
            error=f"the callable returned status {status!r}, expected one of {ANSWER_STATUSES}",
        )
    sources = tuple(
        str(item["id"]) if isinstance(item, Mapping) and "id" in item else str(item)
        for item in result.get("sources") or ()
    )
    stages = result.get("timings") or {}
    timings = {
        str(name): float(seconds)
        for name, seconds in (stages.items() if isinstance(stages, Mapping) else ())
        if isinstance(seconds, int | float) and not isinstance(seconds, bool)
    }
    timings.setdefault("total", total)
    trace_id = result.get("trace_id")
    return Answer(
        text=text,
        sources=sources,
        status=status,
        timings=timings,
        trace_id=None if trace_id is None else str(trace_id),
    )
