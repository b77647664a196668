"""The improvement plan: what holds readiness back, most blocking first, with the remedy to apply.

Order is the order of the work. Unmet items the definition of done requires come first, since
nothing is done without them. Then by area: unmeasured areas first (the gate cannot pass until they
are measured), then measured areas from the weakest score up (readiness is the minimum, so raising
the weakest area is what raises it). Within an area: fail, error, not measured, warn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from playbook.definition_of_done import (
    DEFINITION_FILE,
    CheckStanding,
    DefinitionOfDone,
    ItemOutcome,
    evaluate_definition,
    observed_text,
)
from playbook.evidence import CheckResult, Evidence
from playbook.notebooks import SEQUENCE
from playbook.patterns import pattern
from playbook.scorecard import AreaScore, Scorecard

COLUMNS = [
    "item", "title", "kind", "area", "status", "observed", "expected", "required for done",
    "done items", "remedy", "remedy text", "effort", "notebook",
]  # fmt: skip
EFFORT_MEANING = {"S": "hours", "M": "days", "L": "weeks"}
_STATUS_ORDER = {"fail": 0, "error": 1, "not measured": 2, "warn": 3, "not attested": 4}
_DONE_AREA = "done"
_NOTEBOOK_OF = {info.area: info.name for info in SEQUENCE}


@dataclass(frozen=True)
class _Row:
    item: str
    title: str
    kind: str  # check, area, attested
    area: str
    status: str
    observed: str
    expected: str
    remedy: str
    remedy_text: str
    effort: str
    done_items: tuple[str, ...] = ()
    required: bool = False

    def record(self) -> dict[str, object]:
        return {
            "item": self.item,
            "title": self.title,
            "kind": self.kind,
            "area": self.area,
            "status": self.status,
            "observed": self.observed,
            "expected": self.expected,
            "required for done": self.required,
            "done items": ", ".join(self.done_items),
            "remedy": self.remedy,
            "remedy text": self.remedy_text,
            "effort": self.effort,
            "notebook": _NOTEBOOK_OF.get(self.area, _NOTEBOOK_OF[_DONE_AREA]),
        }


def _shown(check: CheckResult) -> str:
    return observed_text(check) or "not measured"


def _area_rank(scorecard: Scorecard) -> dict[str, tuple[int, float, int]]:
    """Unmeasured areas first, then by score ascending; playbook order breaks ties."""
    ranks = {}
    for index, area in enumerate(scorecard.areas):
        if area.score is None:
            ranks[area.area] = (0, 0.0, index)
        else:
            ranks[area.area] = (1, area.score, index)
    return ranks


def _check_row(check: CheckResult, blocks: Sequence[ItemOutcome]) -> _Row:
    found = pattern(check.remedy or "")
    return _Row(
        item=check.id,
        title=check.title,
        kind="check",
        area=check.area,
        status=check.status,
        observed=_shown(check) if check.status != "error" else f"could not run: {check.detail}",
        expected=check.expected,
        remedy=found.title if found else "",
        remedy_text=found.remedy if found else "",
        effort=found.effort if found else "",
        done_items=tuple(item.id for item in blocks),
        required=any(item.required for item in blocks),
    )


def _attested_row(item: ItemOutcome) -> _Row:
    return _Row(
        item=item.id,
        title=item.title,
        kind="attested",
        area=_DONE_AREA,
        status="not attested",
        observed=item.reason,
        expected="a name and a date in attested_by and date, and a link to the proof",
        remedy=f"Have it confirmed: {item.title}",
        remedy_text=f"Once it is true, the person accountable signs it in {DEFINITION_FILE} "
        "(notebook 07's form): who, when, and a link to the proof.",
        effort="S",
        done_items=(item.id,),
        required=item.required,
    )


def _unmeasured_check_row(
    standing: CheckStanding, recorded: CheckResult | None, naming: Sequence[ItemOutcome]
) -> _Row:
    """A check an item needs that this run did not measure (missing, or skipped)."""
    return _Row(
        item=standing.id,
        title=recorded.title if recorded else standing.id,
        kind="check",
        area=standing.id.split(".", 1)[0],
        status="not measured",
        observed=standing.reason,
        expected=recorded.expected if recorded else "",
        remedy="Make the check measurable",
        remedy_text=standing.reason.removeprefix("not measured: "),
        effort="",
        done_items=tuple(dict.fromkeys(item.id for item in naming)),
        required=any(item.required for item in naming),
    )


def _area_row(area: AreaScore, naming: Sequence[ItemOutcome]) -> _Row:
    """An area in scope with no measurement: the gate cannot pass until it has one."""
    notebook = _NOTEBOOK_OF.get(area.area, area.area)
    return _Row(
        item=area.area,
        title=f"The {area.area} area is measured",
        kind="area",
        area=area.area,
        status="not measured",
        observed=area.reason,
        expected="at least one check measured (the gate needs every area in scope)",
        remedy=f"Measure the {area.area} area",
        remedy_text=f"Run notebook {notebook} against the target to the end: {area.reason}",
        effort="",
        done_items=tuple(dict.fromkeys(item.id for item in naming)),
        required=any(item.required for item in naming),
    )


def improvement_plan(
    scorecard: Scorecard,
    evidence: Sequence[Evidence],
    definition: DefinitionOfDone | None = None,
) -> pd.DataFrame:
    """Every failing, error and warning check, every unmeasured area and every unmet item of the
    definition of done, most blocking first (see the module's docstring), indexed by priority."""
    outcomes = (
        evaluate_definition(definition, evidence, scorecard).items if definition is not None else ()
    )
    unmet = [item for item in outcomes if not item.met]
    blocking: dict[str, list[ItemOutcome]] = {}  # check id -> the unmet items naming it
    for item in unmet:
        for standing in item.checks:
            if not standing.met:
                blocking.setdefault(standing.id, []).append(item)
    checks = {check.id: check for each in evidence for check in each.checks}
    unmeasured = {area.area: area for area in scorecard.areas if not area.measured}

    rows = [
        _check_row(check, blocking.get(check.id, []))
        for check in checks.values()
        if check.status in ("fail", "error", "warn")
    ]
    rows += [_attested_row(item) for item in unmet if item.kind == "attested"]
    listed = {row.item for row in rows}
    by_area: dict[str, list[ItemOutcome]] = {}  # unmeasured area -> the items waiting on it
    for item in unmet:
        for standing in item.checks:
            if standing.met or standing.id in listed:
                continue
            area = standing.id.split(".", 1)[0]
            if area in unmeasured:  # one row for the area, naming every item that waits on it
                by_area.setdefault(area, []).append(item)
                continue
            listed.add(standing.id)
            rows.append(
                _unmeasured_check_row(standing, checks.get(standing.id), blocking[standing.id])
            )
    rows += [_area_row(area, by_area.get(name, [])) for name, area in unmeasured.items()]

    ranks = _area_rank(scorecard)
    last = (2, 0.0, len(ranks))

    def priority(row: _Row) -> tuple[object, ...]:
        kind = 0 if row.kind == "area" else 1
        rank = ranks.get(row.area, last)
        return (not row.required, rank, _STATUS_ORDER.get(row.status, 9), kind, row.item)

    ordered = sorted(rows, key=priority)
    table = pd.DataFrame([row.record() for row in ordered], columns=COLUMNS)
    table.index = pd.RangeIndex(1, len(table) + 1, name="priority")
    return table


def _effort(letter: str) -> str:
    return f"effort {letter} ({EFFORT_MEANING[letter]})" if letter in EFFORT_MEANING else ""


def _sentence(group: pd.DataFrame) -> str:
    first = group.iloc[0]
    ids = list(group["item"])
    named = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
    done = " (required for done)" if bool(group["required for done"].any()) else ""
    where = f"open {first['notebook']}"
    effort = _effort(str(first["effort"]))
    tail = "; ".join(part for part in (where, effort) if part)
    if first["kind"] == "area":
        return (
            f"Measure the {first['area']} area{done}: {first['observed']}; the gate cannot pass "
            f"until it is measured ({tail})."
        )
    if first["kind"] == "attested":
        return (
            f"Get '{first['item']}' confirmed{done}: the accountable person signs it with a date "
            f"and a link in {DEFINITION_FILE} ({tail})."
        )
    if first["status"] == "not measured":
        return f"Make {named} measurable{done}: {first['remedy text']} ({tail})."
    if len(ids) == 1:
        finding = (
            f"{named} is {first['status']}: {first['observed']} against {first['expected']}"
            if first["expected"]
            else f"{named} is {first['status']}"
        )
    else:
        finding = f"it fixes {named}"
    action = first["remedy"] or f"Fix {named}"
    return f"{action}{done} — {finding} ({tail})."


def next_steps(plan: pd.DataFrame, n: int = 3) -> list[str]:
    """The `n` things to do next, one sentence each, in plan order; checks that share a remedy
    are one step. Empty when nothing holds readiness back."""
    if plan.empty or n <= 0:
        return []
    keys = [
        f"remedy:{row['remedy']}"
        if row["kind"] == "check" and row["status"] != "not measured" and row["remedy"]
        else f"item:{row['item']}"
        for _, row in plan.iterrows()
    ]
    grouped = plan.assign(_key=keys)
    order = list(dict.fromkeys(keys))[:n]
    return [_sentence(grouped[grouped["_key"] == key]) for key in order]
