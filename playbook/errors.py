"""The one exception type for mistakes a user can make and fix."""

from __future__ import annotations


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
