"""The one exception type for mistakes a user can make and fix."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class PlaybookError(Exception):
    """A user-fixable problem: the message names the file, the field and what was expected.

    The CLI prints it as one line and exits with status 2; notebooks show it without a traceback.
    """


def describe_validation_error(source: object, exc: Exception) -> PlaybookError:
    """One PlaybookError for a pydantic ValidationError, naming the file and every bad field."""
    problems = []
    for error in getattr(exc, "errors", lambda: [])():
        field = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field (check the spelling)"
        elif error["type"] == "missing":
            message = "missing (this field is required)"
        problems.append(f"field '{field}': {message}")
    return PlaybookError(f"{source}: " + "; ".join(problems or [str(exc)]))


def field_path(loc: Sequence[object], prefix: str = "") -> str:
    """A pydantic error location as the path a user reads: `attested[2].date`."""
    text = prefix
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def plain_message(
    error: Mapping[str, Any],
    quoted: tuple[type, ...] = (str, int, float, bool),
    quote_value_errors: bool = True,
) -> str:
    """A pydantic error in plain words, with the value given when it is one of `quoted` (or
    None); a validator's own message (`value_error`) is quoted too unless told not to."""
    kind = error["type"]
    if kind == "missing":
        return "missing (this field is required)"
    if kind == "extra_forbidden":
        return "unknown field (check the spelling)"
    message = str(error["msg"]).removeprefix("Value error, ")
    if message.startswith("Input should be "):
        message = "expected " + message.removeprefix("Input should be ")
    elif message.startswith("String should"):
        message = "expected a text that should" + message.removeprefix("String should")
    value = error.get("input")
    if (quote_value_errors or kind != "value_error") and (
        isinstance(value, quoted) or value is None
    ):
        message += f" (got {value!r})"
    return message


def one_line(text: str, limit: int) -> str:
    """`text` on one line, spacing collapsed, cut to `limit` characters with an ellipsis: a
    reason quoted inside a check's detail or a table cell."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
