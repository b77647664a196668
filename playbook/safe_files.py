"""Reading the files users write, with limits: every file the playbook reads goes through here.

A user's file can be anything: binary bytes, Latin-1, a YAML alias bomb (1.6 KB that expands to
gigabytes), duplicate keys where the last silently wins, nesting deep enough to exhaust the
interpreter's stack. Each is refused with a message that names the file, where in it, and what was
expected, never a traceback and never a hang. The limits are stated in templates/formats.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError

from playbook.errors import PlaybookError, describe_validation_error

M = TypeVar("M", bound=BaseModel)

MAX_CONFIG_BYTES = 1 * 1024 * 1024  # engagement.yaml, decisions.yaml, users.yaml
MAX_GOLDEN_BYTES = 64 * 1024 * 1024  # the golden set
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024  # one data source file
MAX_DEPTH = 64  # nesting of mappings and lists in YAML and JSON


class FileProblem(ValueError):
    """Why a file cannot be read as text or parsed; its message names the place in the file."""


def read_text(path: Path, limit: int) -> str:
    """The file's text: UTF-8, no NUL bytes, at most `limit` bytes, or a FileProblem saying why.

    OSError (missing, a folder, no permission) is left to the caller, which knows which field
    named the file.
    """
    path = Path(path)
    size = path.stat().st_size
    if size > limit:
        raise FileProblem(f"{size:,} bytes, more than the {limit:,} this file may have")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileProblem(
            f"not UTF-8 text (line {line}, byte 0x{data[exc.start]:02x}): save it as UTF-8"
        ) from None
    if "\x00" in text:
        raise FileProblem("binary content (a NUL byte), expected text")
    return text.removeprefix("\ufeff")


def read_config(path: Path, what: str, field: str | None = None) -> str:
    """The text of a configuration file, or a PlaybookError naming the file and the field."""
    return _read_named(Path(path), MAX_CONFIG_BYTES, what, field)


def model_lines(
    path: Path, model: type[M], what: str, field: str | None = None, limit: int = MAX_GOLDEN_BYTES
) -> list[tuple[int, M]]:
    """Each non-blank line of a JSON Lines file as `model`, with its line number. A file that
    cannot be read, or a line that is not a valid object, is a PlaybookError naming the file
    (`what` it should be, the engagement `field` that named it), the line and the field."""
    path = Path(path)
    found = []
    for number, line in enumerate(_read_named(path, limit, what, field).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            data = parse_json(line)
        except FileProblem as exc:
            raise PlaybookError(f"{where}: {exc}") from None
        if not isinstance(data, dict):
            raise PlaybookError(f"{where}: expected a JSON object (one {what} entry per line)")
        try:
            found.append((number, model.model_validate(data)))
        except ValidationError as exc:
            raise describe_validation_error(where, exc) from None
    return found


def _read_named(path: Path, limit: int, what: str, field: str | None) -> str:
    named = f" (field '{field}')" if field else ""
    try:
        return read_text(path, limit)
    except FileNotFoundError:
        raise PlaybookError(f"{path}: {what} not found{named}") from None
    except IsADirectoryError:
        raise PlaybookError(f"{path}: is a folder, expected the {what} file{named}") from None
    except FileProblem as exc:
        raise PlaybookError(f"{path}: {exc}") from None
    except OSError as exc:
        raise PlaybookError(f"{path}: cannot read the {what} ({exc.strerror}){named}") from None


class StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing aliases, duplicate keys and nesting past MAX_DEPTH."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise ComposerError(
                None,
                None,
                f"an alias (*{event.anchor}) is not accepted: write the value out",
                event.start_mark,
            )
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise ComposerError(
                    None,
                    None,
                    f"nested deeper than {MAX_DEPTH} levels",
                    self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:  # an unhashable key: SafeConstructor says so below
                    continue
                if duplicate:
                    raise ConstructorError(
                        None, None, f"key {key!r} is written twice", key_node.start_mark
                    )
        return super().construct_mapping(node, deep)


def parse_yaml(text: str, loader: type[StrictLoader] = StrictLoader) -> Any:
    """Parsed YAML, or a FileProblem naming the line and column and what is wrong."""
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise FileProblem(f"not valid YAML at {where}{problem}".replace("at : ", ": ")) from None
    except RecursionError:
        raise FileProblem(f"nested deeper than {MAX_DEPTH} levels") from None


def parse_json(text: str) -> Any:
    """Parsed JSON, or a FileProblem naming the line and what is wrong."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileProblem(
            f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise FileProblem(f"nested deeper than {MAX_DEPTH} levels") from None
    if _depth(value) > MAX_DEPTH:
        raise FileProblem(f"nested deeper than {MAX_DEPTH} levels")
    return value


def _depth(value: Any, limit: int = MAX_DEPTH + 1) -> int:
    """How deep containers nest in `value`, counted up to `limit` (no deeper walk is needed)."""
    deepest, level = 0, [(value, 1)]
    while level:
        item, depth = level.pop()
        if isinstance(item, dict | list) and depth > deepest:
            deepest = depth
            if deepest >= limit:
                return deepest
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        level.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest
