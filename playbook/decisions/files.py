"""decisions.yaml: read leniently, written atomically with a backup, and where a run keeps it.

Loading is lenient on purpose: a partly filled or damaged file still yields a full model (defaults
where a value is missing or invalid) plus one problem per bad field, so a team never loses what it
decided.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import pandas as pd
import yaml
from pydantic import BaseModel, ValidationError

from playbook.atomic import backup_path as backup_path  # where tests and the form look
from playbook.atomic import write_text_keeping_backup
from playbook.decisions.model import (
    REQUIRED_DECISIONS,
    REQUIRED_TYPES,
    Decisions,
    ExtraDecision,
    attribute_name,
)
from playbook.engagement import TEMPLATES_DIR, Engagement
from playbook.errors import PlaybookError, field_path, plain_message
from playbook.safe_files import FileProblem, StrictLoader, read_config
from playbook.safe_files import parse_yaml as parse_strict_yaml

DECISIONS_FILE = "decisions.yaml"
ADR_FOLDER = "adr"
FILE_FIELD = "(file)"
NOT_MADE = "not in the file: decision not made yet (defaults shown)"


class Problem(NamedTuple):
    """One field of decisions.yaml that could not be used as written, and what was expected."""

    field: str
    message: str

    @property
    def not_made(self) -> bool:
        """True when a required decision is simply absent (not made yet) rather than wrong."""
        return self.message == NOT_MADE


@dataclass(frozen=True)
class DecisionsLoad:
    """What loading decisions.yaml gave: a full model (defaults where invalid) and the problems."""

    decisions: Decisions
    problems: tuple[Problem, ...]
    path: Path

    @property
    def ok(self) -> bool:
        """True when every field was usable as written and every decision was in the file."""
        return not self.problems

    def problems_table(self) -> pd.DataFrame:
        """One row per problem: the field and what was expected."""
        return pd.DataFrame(list(self.problems), columns=["field", "problem"])


# ---------------------------------------------------------------------------------------------
# Lenient validation: keep every valid value, name every invalid one


ModelT = TypeVar("ModelT", bound=BaseModel)
DECISION_VALUES = (str, int, float, bool, dt.date)  # values a problem quotes (dates are decided)


def _remove(data: dict[str, Any], loc: Sequence[object]) -> bool:
    """Remove the value at `loc` (or, failing that, its nearest removable parent)."""
    for depth in range(len(loc), 0, -1):
        node: Any = data
        try:
            for part in loc[: depth - 1]:
                node = node[part]
            key = loc[depth - 1]
            if isinstance(node, dict) and key in node:
                del node[key]
                return True
            if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
                del node[key]
                return True
        except (KeyError, IndexError, TypeError):
            continue
    return False


def _location_key(error: Mapping[str, Any]) -> list[tuple[int, int | str]]:
    return [(0, part) if isinstance(part, int) else (1, str(part)) for part in error["loc"]]


def _mutable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _mutable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_mutable(item) for item in value]
    return value


def _validate_leniently(
    model: type[ModelT], data: object, prefix: str
) -> tuple[ModelT | None, list[Problem]]:
    """Validate `data`, dropping each invalid value (so its default applies) and naming it."""
    if not isinstance(data, Mapping):
        kind = type(data).__name__
        return None, [Problem(prefix, f"expected a mapping of fields, got {kind} ({data!r:.60})")]
    working = _mutable(data)
    found: dict[tuple[object, ...], Problem] = {}
    result: ModelT | None = None
    for _ in range(200):  # each round removes at least one value, so this ends well before
        try:
            result = model.model_validate(working)
            break
        except ValidationError as exc:
            removed = False
            # Deepest and last first, so removing one list item does not shift the next one.
            for error in sorted(exc.errors(), key=_location_key, reverse=True):
                loc = tuple(error["loc"])
                if loc not in found:  # a value dropped last round is not also reported "missing"
                    found[loc] = Problem(
                        field_path(loc, prefix), plain_message(error, DECISION_VALUES)
                    )
                removed = _remove(working, loc) or removed
            if not removed:
                break
    order = {name: index for index, name in enumerate(model.model_fields)}
    ordered = sorted(found.items(), key=lambda item: (order.get(str(item[0][0]), len(order)),))
    return result, [problem for _, problem in ordered]


def decisions_from_data(data: object) -> tuple[Decisions, list[Problem]]:
    """Build the model from YAML-shaped data: valid values kept, one problem per invalid field."""
    problems: list[Problem] = []
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        problems.append(
            Problem(
                FILE_FIELD, "expected a mapping of decision ids (data-location, ...) at top level"
            )
        )
        data = {}
    known = {attribute_name(key) for key in ("system", "extra", *REQUIRED_DECISIONS)}
    for key in data:
        if attribute_name(str(key)) not in known:
            problems.append(
                Problem(
                    str(key),
                    "unknown decision id: expected one of "
                    + ", ".join(REQUIRED_DECISIONS)
                    + " (put other decisions under 'extra')",
                )
            )
    values: dict[str, Any] = {}
    system = data.get("system", "")
    if isinstance(system, str):
        values["system"] = system
    else:
        problems.append(Problem("system", f"expected a text naming the system (got {system!r})"))
    for decision_id, model in REQUIRED_TYPES.items():
        raw = data.get(decision_id, data.get(attribute_name(decision_id)))
        if raw is None:
            problems.append(Problem(decision_id, NOT_MADE))
            values[attribute_name(decision_id)] = model()
            continue
        decision, found = _validate_leniently(model, raw, decision_id)
        problems.extend(found)
        values[attribute_name(decision_id)] = decision if decision is not None else model()
    values["extra"] = _extras(data.get("extra", []), problems)
    return Decisions.model_validate(values), problems


def _extras(raw: object, problems: list[Problem]) -> tuple[ExtraDecision, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(Problem("extra", "expected a list of decisions, each with an id and title"))
        return ()
    extras: list[ExtraDecision] = []
    seen = set(REQUIRED_DECISIONS)
    for index, item in enumerate(raw):
        prefix = f"extra[{index}]"
        decision, found = _validate_leniently(ExtraDecision, item, prefix)
        problems.extend(found)
        if decision is None:
            if isinstance(item, Mapping):
                problems.append(
                    Problem(prefix, "left out: it needs at least a valid kebab-case id")
                )
        elif decision.id in seen:
            problems.append(Problem(f"{prefix}.id", f"duplicate decision id {decision.id!r}"))
        else:
            seen.add(decision.id)
            extras.append(decision)
    return tuple(extras)


# ---------------------------------------------------------------------------------------------
# decisions.yaml


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


class _DecisionsDumper(yaml.SafeDumper):
    """Writes multi-line texts as literal blocks so decisions.yaml stays readable and diffable."""

    yaml_representers = {**yaml.SafeDumper.yaml_representers, str: _represent_text}


def yaml_text(data: object) -> str:
    """YAML as decisions.yaml and the records' front matter write it (literal multi-line texts)."""
    return yaml.dump(
        data, Dumper=_DecisionsDumper, sort_keys=False, allow_unicode=True, width=100, indent=2
    )


class _DecisionsLoader(StrictLoader):
    """Keeps dates as text, so an impossible date is one field's problem, not a crash."""

    yaml_constructors = {
        **StrictLoader.yaml_constructors,
        "tag:yaml.org,2002:timestamp": yaml.SafeLoader.construct_yaml_str,
    }


def parse_yaml(text: str) -> Any:
    """The data of a YAML text (limits of `playbook.safe_files`); dates stay text, so an
    impossible one is a field's problem. A FileProblem says what is wrong and where."""
    return parse_strict_yaml(text, _DecisionsLoader)


def decisions_yaml(decisions: Decisions) -> str:
    """The text of decisions.yaml for these decisions, with a header saying how it is used."""
    header = (
        "# Architecture decisions: read by every playbook notebook, rendered as records in adr/.\n"
        "# Written by notebook 01's form or by hand. One section per decision id; `confirmed_by`\n"
        "# names the playbook checks that test the decision.\n"
    )
    return header + yaml_text(decisions.to_data())


def save_decisions(decisions: Decisions, path: Path) -> Path:
    """Write decisions.yaml atomically, after keeping the previous file as `decisions.yaml.bak`."""
    path = Path(path)
    try:
        write_text_keeping_backup(path, decisions_yaml(decisions))
    except OSError as exc:
        raise PlaybookError(f"{path}: cannot write decisions ({exc.strerror or exc})") from None
    return path


def load_decisions(path: Path) -> DecisionsLoad:
    """Read decisions.yaml leniently: a full model (defaults where invalid) plus every problem."""
    path = Path(path)
    if not path.exists():
        problem = Problem(FILE_FIELD, f"{path}: not found, so every decision uses its default")
        return DecisionsLoad(Decisions(), (problem,), path)
    try:
        text = read_config(path, "decisions file", "decisions")
    except PlaybookError as exc:
        problem = Problem(FILE_FIELD, f"{exc}; every decision uses its default")
        return DecisionsLoad(Decisions(), (problem,), path)
    return load_decisions_text(text, path)


def load_decisions_text(text: str, path: Path = Path(DECISIONS_FILE)) -> DecisionsLoad:
    """Parse the text of a decisions file leniently (see `load_decisions`)."""
    try:
        data = parse_yaml(text)
    except FileProblem as exc:
        message = f"{path}: {exc}; every decision uses its default"
        return DecisionsLoad(Decisions(), (Problem(FILE_FIELD, message),), Path(path))
    decisions, problems = decisions_from_data(data)
    return DecisionsLoad(decisions, tuple(problems), Path(path))


# ---------------------------------------------------------------------------------------------
# Where decisions and records live for a run


@dataclass(frozen=True)
class DecisionsLocation:
    """Where a notebook reads decisions from, saves them to, and renders their records."""

    source: Path  # the engagement's decisions.yaml
    path: Path  # where the form saves: the source, unless that is inside the repository
    adr: Path  # where the records go
    bundled: bool  # True for the demo engagement shipped in the repository (never written)

    def current(self) -> DecisionsLoad:
        """The latest decisions: the saved copy when one exists, else the engagement's file."""
        return load_decisions(self.path if self.path.exists() else self.source)


def is_bundled(engagement: Engagement) -> bool:
    """True when the engagement is one of the repository's templates, which a run must not edit."""
    folder = Path(engagement.folder).resolve()
    return folder == TEMPLATES_DIR.resolve() or TEMPLATES_DIR.resolve() in folder.parents


def decisions_location(engagement: Engagement, run_dir: Path) -> DecisionsLocation:
    """Where notebook 01 reads and saves decisions: the engagement, or the run for the demo."""
    source = engagement.decisions_path
    if is_bundled(engagement):
        scratch = Path(run_dir) / "decisions"
        return DecisionsLocation(source, scratch / DECISIONS_FILE, scratch / ADR_FOLDER, True)
    return DecisionsLocation(source, source, engagement.folder / ADR_FOLDER, False)
