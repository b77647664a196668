"""The engagement's definition of done: checks that must pass, and things a person must attest.

`definition_of_done.yaml` holds two lists. An *automated* item names checks and the least status
each must reach in the run's evidence; a check missing from the evidence, skipped or in error is
not measured, so the item is not met. An *attested* item is what only a person can confirm (an
owner named, a runbook written, a rollback rehearsed): met when someone signed it with a date.
As in the ML Test Score rubric, an attested item earns half the points of an automated one. The
system is *done* when every required item is met and the readiness gate passes.
"""

from __future__ import annotations

import datetime as dt
import difflib
import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import ipywidgets as widgets
import pandas as pd
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from playbook.atomic import backup_path, write_text_keeping_backup
from playbook.decisions.files import is_bundled, parse_yaml
from playbook.engagement import Engagement
from playbook.errors import PlaybookError, field_path, one_line, plain_message
from playbook.evidence import CheckResult, Evidence
from playbook.safe_files import FileProblem, read_config
from playbook.scorecard import Gate, Scorecard

DEFINITION_FILE = "definition_of_done.yaml"
AUTOMATED_POINTS = 1.0
ATTESTED_POINTS = 0.5  # ML Test Score: a manual confirmation earns half an automated one
ItemKind = Literal["automated", "attested"]
RequiredStatus = Literal["pass", "warn"]
_RANK = {"pass": 2, "warn": 1}
_ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
_DETAIL_CHARS = 160


@cache
def declared_check_ids() -> frozenset[str]:
    """Every check id a notebook of the playbook declares (what an automated item may name)."""
    from playbook.notebooks import SEQUENCE

    return frozenset(
        check.id
        for info in SEQUENCE
        if (declared := info.declared_checks()) is not None
        for check in declared
    )


def _known_check(check_id: str) -> str:
    known = declared_check_ids()
    if check_id not in known:
        close = difflib.get_close_matches(check_id, sorted(known), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ValueError(f"expected a check id the playbook declares, got {check_id!r}{hint}")
    return check_id


CheckId = Annotated[
    str, Field(pattern=r"^[a-z_]+\.[a-z0-9_]+$"), AfterValidator(_known_check)
]  # fmt: skip


class _Item(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    id: str = Field(pattern=_ID_PATTERN, description="kebab-case, unique in the file")
    title: str = Field(min_length=1, description="what must be true, as a stakeholder reads it")
    required: bool = Field(default=True, description="false: counts for the score, not for done")


class AutomatedItem(_Item):
    """Met when every listed check reached at least `status` in the run's evidence."""

    checks: tuple[CheckId, ...] = Field(min_length=1, description="the check ids that prove it")
    status: RequiredStatus = Field(default="pass", description="the least status each must reach")

    @field_validator("checks", mode="before")
    @classmethod
    def _list_as_tuple(cls, value: object) -> object:
        return tuple(value) if isinstance(value, list) else value


class AttestedItem(_Item):
    """Met when a named person attested it on a date; a link to the evidence is recommended."""

    attested_by: str = Field(default="", description="who confirms it (empty: not yet)")
    date: dt.date | None = Field(default=None, strict=False, description="when (YYYY-MM-DD)")
    link: str = Field(default="", description="where the proof is: runbook, ticket, minutes")

    @field_validator("date", mode="before")
    @classmethod
    def _date_or_empty(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        if value is not None and not isinstance(value, str | dt.date):
            raise ValueError(f"expected a date written YYYY-MM-DD, got {value!r:.40}")
        return value


class DefinitionOfDone(BaseModel):
    """The content of definition_of_done.yaml, items in the order they were written."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    automated: tuple[AutomatedItem, ...] = Field(default=(), description="checks that must pass")
    attested: tuple[AttestedItem, ...] = Field(default=(), description="what a person confirms")

    @field_validator("automated", "attested", mode="before")
    @classmethod
    def _list_as_tuple(cls, value: object) -> object:
        if value is None:
            return ()
        return tuple(value) if isinstance(value, list) else value

    @model_validator(mode="after")
    def _unique_ids(self) -> DefinitionOfDone:
        seen: set[str] = set()
        for item in (*self.automated, *self.attested):
            if item.id in seen:
                raise ValueError(f"item id {item.id!r} is used twice: expected unique ids")
            seen.add(item.id)
        return self

    @property
    def items(self) -> tuple[AutomatedItem | AttestedItem, ...]:
        return (*self.automated, *self.attested)

    def with_attestation(
        self, item_id: str, attested_by: str, date: dt.date | None, link: str
    ) -> DefinitionOfDone:
        """A copy with one attested item's signature replaced (the order of items is kept)."""
        if item_id not in {item.id for item in self.attested}:
            raise KeyError(item_id)
        attested = tuple(
            item.model_copy(
                update={"attested_by": attested_by.strip(), "date": date, "link": link.strip()}
            )
            if item.id == item_id
            else item
            for item in self.attested
        )
        return self.model_copy(update={"attested": attested})


# ---------------------------------------------------------------------------------------------
# The file


def _message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind == "too_short":
        return "expected at least one item"
    if kind == "tuple_type":
        return f"expected a list (got {error.get('input')!r:.40})"
    return plain_message(error, quote_value_errors=False)


def definition_from_data(data: object, source: object = DEFINITION_FILE) -> DefinitionOfDone:
    """The model of YAML-shaped data, or a PlaybookError naming the source and every bad field."""
    if data is None:
        return DefinitionOfDone()
    if not isinstance(data, Mapping):
        raise PlaybookError(
            f"{source}: expected a mapping with the lists 'automated' and 'attested' at top level"
        )
    try:
        return DefinitionOfDone.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # An empty list after a bad item is that item's problem, not a second one.
        errors = [
            error
            for error in errors
            if error["type"] != "too_short"
            or not any(other["loc"][: len(error["loc"])] == error["loc"] and other is not error
                       for other in errors)
        ]  # fmt: skip
        problems = [
            f"field '{field_path(e['loc']) or '(top level)'}': {_message(e)}" for e in errors
        ]
        raise PlaybookError(f"{source}: " + "; ".join(problems)) from None


def load_definition(path: Path) -> DefinitionOfDone:
    """Read definition_of_done.yaml (limits of `playbook.safe_files`), or a PlaybookError."""
    path = Path(path)
    text = read_config(path, "definition of done")
    try:
        data = parse_yaml(text)  # dates stay text: an impossible one is a field's problem
    except FileProblem as exc:
        raise PlaybookError(f"{path}: {exc}") from None
    return definition_from_data(data, path)


def read_definition(path: Path) -> DefinitionOfDone | None:
    """The definition in `path`, or None when the engagement has none (an older engagement)."""
    return load_definition(path) if Path(path).exists() else None


HEADER = """\
# Definition of done: what must be true before this system is called production-ready.
# automated: checks of a run that must reach `status` (pass, or warn at least); a check the run
#   did not measure (missing, skipped, error) leaves its item unmet. One point each.
# attested: what only a person can confirm; met when `attested_by` and `date` are filled, with a
#   `link` to the proof. Half a point each (as in the ML Test Score rubric).
# `required: false` counts for the score but not for the done verdict. Notebook 07's form edits the
# attestations; templates/formats.md explains every field.
"""


class _FlowList(list):
    """A list written on one line (`checks: [a.b, c.d]`)."""


class _DefinitionDumper(yaml.SafeDumper):
    """Writes empty values as nothing (`date:`), check lists on one line, list items indented."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


_DefinitionDumper.add_representer(
    type(None), lambda dumper, _: dumper.represent_scalar("tag:yaml.org,2002:null", "")
)
_DefinitionDumper.add_representer(
    _FlowList,
    lambda dumper, value: dumper.represent_sequence(
        "tag:yaml.org,2002:seq", value, flow_style=True
    ),
)


def definition_data(definition: DefinitionOfDone) -> dict[str, list[dict[str, Any]]]:
    """The YAML-shaped data of a definition, every field written out, in the model's order."""
    automated = []
    for item in definition.automated:
        data = item.model_dump()
        data["checks"] = _FlowList(item.checks)
        automated.append(data)
    attested = [item.model_dump() for item in definition.attested]
    order = ("id", "title", "checks", "status", "attested_by", "date", "link", "required")
    return {
        "automated": [{key: item[key] for key in order if key in item} for item in automated],
        "attested": [{key: item[key] for key in order if key in item} for item in attested],
    }


def definition_yaml(definition: DefinitionOfDone) -> str:
    """The text of definition_of_done.yaml, with a header saying how the file works."""
    body = yaml.dump(
        definition_data(definition),
        Dumper=_DefinitionDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        indent=2,
    )
    return HEADER + body


def save_definition(definition: DefinitionOfDone, path: Path) -> Path:
    """Write the file atomically, after keeping the previous one as a backup."""
    path = Path(path)
    try:
        write_text_keeping_backup(path, definition_yaml(definition))
    except OSError as exc:
        raise PlaybookError(
            f"{path}: cannot write the definition of done ({exc.strerror or exc})"
        ) from None
    return path


@dataclass(frozen=True)
class DefinitionLocation:
    """Where notebook 07 reads the definition from and where its form saves it."""

    source: Path  # the engagement's definition_of_done.yaml
    path: Path  # where the form saves: the source, unless it is the bundled demo's
    bundled: bool  # the demo engagement in the repository, which a run never edits

    def current(self) -> DefinitionOfDone | None:
        """The saved copy when there is one, else the engagement's file, else None."""
        return read_definition(self.path if self.path.exists() else self.source)


def definition_path(engagement_folder: Path) -> Path:
    """The definition of done of an engagement folder."""
    return Path(engagement_folder) / DEFINITION_FILE


def definition_location(engagement: Engagement, run_dir: Path) -> DefinitionLocation:
    """The engagement's file, saved in place; for the bundled demo, saved inside the run."""
    source = definition_path(engagement.folder)
    if is_bundled(engagement):
        return DefinitionLocation(source, Path(run_dir) / "definition" / DEFINITION_FILE, True)
    return DefinitionLocation(source, source, False)


# ---------------------------------------------------------------------------------------------
# Evaluation against a run


@dataclass(frozen=True)
class CheckStanding:
    """One check an automated item names, as the run's evidence has it."""

    id: str
    status: str  # pass, warn, fail, error, skip, or "missing" (no evidence)
    met: bool
    reason: str

    @property
    def measured(self) -> bool:
        return self.status in ("pass", "warn", "fail")


@dataclass(frozen=True)
class ItemOutcome:
    """Whether one item of the definition is met in this run, and why."""

    id: str
    title: str
    kind: ItemKind
    required: bool
    met: bool
    earned: float
    possible: float
    reason: str
    checks: tuple[CheckStanding, ...] = ()

    @property
    def area(self) -> str:
        """The gap area holding it back: its first unmet check's (`done` for attestations)."""
        if self.kind == "attested" or not self.checks:
            return "done"
        unmet = [check for check in self.checks if not check.met] or list(self.checks)
        return unmet[0].id.split(".", 1)[0]


@dataclass(frozen=True)
class DoneVerdict:
    """The definition of done against one run: each item, the points, and the verdict."""

    items: tuple[ItemOutcome, ...]
    gate: Gate

    @property
    def earned(self) -> float:
        return sum(item.earned for item in self.items)

    @property
    def possible(self) -> float:
        return sum(item.possible for item in self.items)

    @property
    def score(self) -> float | None:
        """Points earned over points possible; None with no items."""
        return self.earned / self.possible if self.possible else None

    @property
    def unmet_required(self) -> tuple[ItemOutcome, ...]:
        return tuple(item for item in self.items if item.required and not item.met)

    @property
    def done(self) -> bool:
        """Every required item met and the readiness gate passed."""
        return self.gate == "pass" and not self.unmet_required

    def verdict(self) -> str:
        """The line a stakeholder reads."""
        points = (
            "no items defined"
            if self.score is None
            else f"{self.earned:g} of {self.possible:g} points ({self.score:.2f})"
        )
        if self.done:
            return f"Done: every required item is met and the gate passes; {points}."
        reasons = []
        if self.gate != "pass":
            reasons.append(f"the readiness gate is {self.gate}")
        unmet = self.unmet_required
        if unmet:
            names = ", ".join(item.id for item in unmet)
            reasons.append(f"{len(unmet)} required item(s) not met ({names})")
        return f"Not done: {'; '.join(reasons)}; {points}."

    def table(self) -> pd.DataFrame:
        """One row per item, in the file's order: kind, required, met, points and why."""
        columns = ["item", "kind", "title", "required", "met", "points", "reason"]
        rows = [
            {
                "item": item.id,
                "kind": item.kind,
                "title": item.title,
                "required": item.required,
                "met": item.met,
                "points": f"{item.earned:g} / {item.possible:g}",
                "reason": item.reason,
            }
            for item in self.items
        ]
        return pd.DataFrame(rows, columns=columns).set_index("item")

    def to_contract(self) -> dict[str, Any]:
        """A `done` block for run.json."""
        return {
            "done": self.done,
            "score": None if self.score is None else round(self.score, 4),
            "earned": self.earned,
            "possible": self.possible,
            "unmet_required": [item.id for item in self.unmet_required],
        }


def observed_text(check: CheckResult) -> str:
    """What a check observed, with its unit, as a reader scans it ("" when nothing was)."""
    value = check.observed
    if value is None:
        return ""
    if isinstance(value, float):
        shown = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
    else:
        shown = str(value)
    return f"{shown} {check.unit}".strip()


def standing(check_id: str, found: CheckResult | None, least: RequiredStatus) -> CheckStanding:
    """Whether one check reached `least` (pass > warn); unmeasured checks never do."""
    if found is None:
        return CheckStanding(
            check_id, "missing", False, f"not measured: {check_id} has no evidence in this run"
        )
    status = found.status
    detail = one_line(found.detail, _DETAIL_CHARS)
    if status == "skip":
        why = f"not measured: {check_id} was skipped ({detail or 'no reason given'})"
        return CheckStanding(check_id, status, False, why)
    if status == "error":
        why = f"not measured: {check_id} could not run ({detail or 'no detail'})"
        return CheckStanding(check_id, status, False, why)
    seen = observed_text(found)
    against = ", ".join(
        part for part in (f"observed {seen}" if seen else "", f"expected {found.expected}") if part
    )
    if _RANK.get(status, 0) >= _RANK[least]:
        return CheckStanding(check_id, status, True, f"{check_id} {status}")
    needs = "" if status == "fail" else f", the item needs {least}"
    return CheckStanding(check_id, status, False, f"{check_id} {status}{needs} ({against})")


def _automated(item: AutomatedItem, by_id: Mapping[str, CheckResult]) -> ItemOutcome:
    standings = tuple(standing(check, by_id.get(check), item.status) for check in item.checks)
    unmet = [check for check in standings if not check.met]
    met = not unmet
    if met:
        reason = "met: " + ", ".join(check.reason for check in standings)
    else:
        reason = "; ".join(check.reason for check in unmet)
    points = AUTOMATED_POINTS if met else 0.0
    return ItemOutcome(
        item.id, item.title, "automated", item.required, met, points, AUTOMATED_POINTS, reason,
        standings,
    )  # fmt: skip


def _attested(item: AttestedItem, today: dt.date) -> ItemOutcome:
    missing = [name for name, value in (("attested_by", item.attested_by.strip()),
                                         ("date", item.date)) if not value]  # fmt: skip
    if missing:
        met, reason = False, f"not attested: {' and '.join(missing)} empty"
    elif item.date is not None and item.date > today:
        met = False
        reason = f"not attested: dated {item.date.isoformat()}, after today (attest once done)"
    else:
        met = True
        reason = f"attested by {item.attested_by.strip()} on {item.date}"
        reason += (
            f" ({item.link.strip()})"
            if item.link.strip()
            else "; no link to the proof (recommended: the runbook, ticket or minutes)"
        )
    points = ATTESTED_POINTS if met else 0.0
    return ItemOutcome(
        item.id, item.title, "attested", item.required, met, points, ATTESTED_POINTS, reason
    )


def evidence_by_check(evidence: Iterable[Evidence]) -> dict[str, CheckResult]:
    """Every check of a run by id (a later file wins, as a re-run notebook's would)."""
    return {check.id: check for item in evidence for check in item.checks}


def evaluate_definition(
    definition: DefinitionOfDone,
    evidence: Iterable[Evidence],
    scorecard: Scorecard,
    today: dt.date | None = None,
) -> DoneVerdict:
    """Each item against the run's evidence, and the done verdict with the scorecard's gate."""
    today = today or dt.date.today()
    by_id = evidence_by_check(evidence)
    outcomes = [_automated(item, by_id) for item in definition.automated]
    outcomes += [_attested(item, today) for item in definition.attested]
    return DoneVerdict(tuple(outcomes), scorecard.gate)


# ---------------------------------------------------------------------------------------------
# The attestation form

FORM_CLASS = "pb-attestation-form"
SAVE_CLASS = "pb-save"
STATUS_CLASS = "pb-status"
_LABEL_STYLE = {"description_width": "120px"}


def _css(item_id: str, field: str) -> str:
    return f"pb-attest-{item_id}-{field}"


class AttestationForm:
    """The attested items of one definition_of_done.yaml: who, when and where the proof is.

    Interactive, it shows a name, a date picker and a link per item and a Save button that writes
    the file atomically; headless (`playbook run`), it only reads the file. Either way
    `definition` is what is on file now.
    """

    def __init__(self, path: Path, source: Path | None = None, interactive: bool = True) -> None:
        self.path = Path(path)
        self.source = Path(source) if source else self.path
        self.interactive = interactive
        self.definition = read_definition(self.path if self.path.exists() else self.source)
        self.who: dict[str, widgets.Text] = {}
        self.date: dict[str, widgets.DatePicker] = {}
        self.link: dict[str, widgets.Text] = {}
        self.widget: widgets.VBox | None = self._build() if interactive else None

    def _build(self) -> widgets.VBox:
        self.status = widgets.HTML(value="")
        self.status.add_class(STATUS_CLASS)
        self.saved = widgets.HTML(value="")
        self.saved.add_class("pb-saved")
        self.save_button = widgets.Button(description="Save", button_style="primary", icon="save")
        self.save_button.add_class(SAVE_CLASS)
        self.save_button.on_click(lambda _: self.save())
        rows: list[widgets.Widget] = []
        if self.definition is None:
            self.status.value = (
                f"No <code>{html.escape(str(self.source))}</code>: copy "
                f"templates/client/{DEFINITION_FILE} into the engagement to define what done means."
            )
            self.save_button.disabled = True
        else:
            for item in self.definition.attested:
                rows.append(self._item_box(item))
        where = html.escape(str(self.path))
        backup = html.escape(backup_path(self.path).name)
        header = widgets.HTML(
            "<b>Attestations</b> — what only a person can confirm. Save writes "
            f"<code>{where}</code> (the previous version is kept as <code>{backup}</code>)."
        )
        form = widgets.VBox([header, *rows, self.save_button, self.status, self.saved])
        form.add_class(FORM_CLASS)
        return form

    def _item_box(self, item: AttestedItem) -> widgets.VBox:
        layout = widgets.Layout(width="640px")
        who = widgets.Text(
            value=item.attested_by, description="Attested by", placeholder="name, role",
            style=_LABEL_STYLE, layout=layout,
        )  # fmt: skip
        date = widgets.DatePicker(value=item.date, description="Date", style=_LABEL_STYLE)
        link = widgets.Text(
            value=item.link, description="Link", placeholder="runbook, ticket or minutes",
            style=_LABEL_STYLE, layout=layout,
        )  # fmt: skip
        for control, field in ((who, "who"), (date, "date"), (link, "link")):
            control.add_class(_css(item.id, field))
        self.who[item.id], self.date[item.id], self.link[item.id] = who, date, link
        required = "" if item.required else " <i>(not required)</i>"
        title = widgets.HTML(
            f"<b>{html.escape(item.title)}</b> <code>{html.escape(item.id)}</code>{required}"
        )
        box = widgets.VBox([title, who, date, link])
        box.add_class("pb-attest-" + item.id)
        return box

    def values(self) -> DefinitionOfDone | None:
        """The definition with the form's attestations (items and their order as on file);
        headless, the definition on file."""
        if self.definition is None or self.widget is None:
            return self.definition
        updated = self.definition
        for item in self.definition.attested:
            updated = updated.with_attestation(
                item.id, self.who[item.id].value, self.date[item.id].value, self.link[item.id].value
            )
        return updated

    def save(self) -> Path | None:
        """Write the file with the form's attestations and show what was saved (headless, or
        with no file to edit, nothing is written)."""
        definition = self.values()
        if definition is None or self.widget is None:
            return None
        try:
            save_definition(definition, self.path)
        except PlaybookError as exc:
            self.status.value = f'<span style="color:#b00020">{html.escape(str(exc))}</span>'
            return None
        self.definition = definition
        table = attestations_table(definition)
        signed = int(table["met"].sum())
        self.status.value = (
            f"Saved <code>{html.escape(str(self.path))}</code>: {signed} of {len(table)} "
            "attestations complete (a name and a date)."
        )
        self.saved.value = table.to_html(escape=True)
        return self.path

    def table(self) -> pd.DataFrame:
        """The attestations on file."""
        return attestations_table(self.definition or DefinitionOfDone())

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget if self.widget is not None else self.table())


def attestations_table(definition: DefinitionOfDone, today: dt.date | None = None) -> pd.DataFrame:
    """One row per attested item: who, when, the link, and whether it counts as met."""
    today = today or dt.date.today()
    columns = ["item", "title", "attested by", "date", "link", "required", "met", "reason"]
    rows = []
    for item in definition.attested:
        outcome = _attested(item, today)
        rows.append(
            {
                "item": item.id,
                "title": item.title,
                "attested by": item.attested_by,
                "date": item.date.isoformat() if item.date else "",
                "link": item.link,
                "required": item.required,
                "met": outcome.met,
                "reason": outcome.reason,
            }
        )
    return pd.DataFrame(rows, columns=columns).set_index("item")


def attestation_form(
    path: Path, source: Path | None = None, interactive: bool = True
) -> AttestationForm:
    """The attestation form over `path` (read from `source` until the first save); headless
    (`interactive=False`) it only reads the file."""
    return AttestationForm(path, source, interactive)
