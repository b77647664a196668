"""Decisions as tables for notebooks and reports, and several teams' decisions side by side."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from playbook.decisions.files import DECISIONS_FILE, DecisionsLoad, load_decisions
from playbook.decisions.model import Decisions
from playbook.decisions.records import cell_text
from playbook.engagement import engagement_file, load_engagement
from playbook.errors import PlaybookError

if TYPE_CHECKING:
    from pandas.io.formats.style import Styler


def decisions_table(decisions: Decisions) -> pd.DataFrame:
    """One row per decision: id, title, status, choice and the checks that confirm it."""
    rows = [
        {
            "id": d.id,
            "title": d.title,
            "status": d.status,
            "choice": d.choice,
            "confirmed by": ", ".join(d.confirmed_by),
        }
        for d in decisions.all_decisions()
    ]
    return pd.DataFrame(rows, columns=["id", "title", "status", "choice", "confirmed by"])


def settings_table(decisions: Decisions, decision_id: str) -> pd.DataFrame:
    """One decision's status, outcome and topic values as a two-column table."""
    decision = decisions.get(decision_id)
    rows = [("status", decision.status), ("choice", decision.choice or "—")]
    rows += [(decision.setting_label(k), cell_text(v)) for k, v in decision.settings().items()]
    rows.append(("confirmed by", ", ".join(decision.confirmed_by) or "—"))
    return pd.DataFrame(rows, columns=["field", "value"]).set_index("field")


def comparison_values(decisions: Decisions) -> dict[str, str]:
    """The fields teams compare, flattened to `decision-id.field` -> display text."""
    values: dict[str, str] = {}
    for decision in decisions.all_decisions():
        values[f"{decision.id}.status"] = decision.status
        values[f"{decision.id}.choice"] = cell_text(decision.choice)
        for name, value in decision.settings().items():
            values[f"{decision.id}.{name}"] = cell_text(value)
        values[f"{decision.id}.confirmed_by"] = cell_text(", ".join(decision.confirmed_by))
    return values


def compare_named(named: Mapping[str, DecisionsLoad | Decisions]) -> pd.DataFrame:
    """Teams' decisions side by side: one row per field, one column per team, plus `differs`."""
    columns: dict[str, dict[str, str]] = {}
    for team, item in named.items():
        loaded = item if isinstance(item, DecisionsLoad) else None
        decisions = loaded.decisions if loaded else item
        values = comparison_values(decisions)  # type: ignore[arg-type]
        values["file.problems"] = str(len(loaded.problems)) if loaded else "0"
        columns[team] = values
    fields: list[str] = []
    for values in columns.values():
        fields.extend(field for field in values if field not in fields)
    frame = pd.DataFrame(
        {team: [values.get(field, "—") for field in fields] for team, values in columns.items()},
        index=pd.Index(fields, name="field"),
    )
    frame["differs"] = frame.nunique(axis=1) > 1 if len(columns) > 1 else False
    return frame


def _team_file(folder: Path) -> Path:
    folder = Path(folder)
    if folder.is_file():
        return folder
    if not folder.exists():
        raise PlaybookError(
            f"{folder}: not found (expected an engagement folder or a decisions file)"
        )
    if engagement_file(folder).exists():
        try:
            return load_engagement(folder).decisions_path
        except PlaybookError:
            pass  # a broken engagement.yaml should not hide the team's decisions
    return folder / DECISIONS_FILE


def compare_decisions(folders: Sequence[Path]) -> pd.DataFrame:
    """Compare several teams' decisions (engagement folders or decisions files), named by folder."""
    named: dict[str, DecisionsLoad] = {}
    for folder in folders:
        folder = Path(folder)
        name = folder.name if folder.is_dir() else f"{folder.parent.name}/{folder.name}"
        unique, count = name, 2
        while unique in named:
            unique, count = f"{name} ({count})", count + 1
        named[unique] = load_decisions(_team_file(folder))
    return compare_named(named)


def compare_styler(frame: pd.DataFrame) -> Styler:
    """The comparison with differing rows highlighted, for a notebook or an HTML report."""
    teams = [column for column in frame.columns if column != "differs"]

    def highlight(row: pd.Series) -> list[str]:
        colour = "background-color: #fff3cd; font-weight: bold" if row["differs"] else ""
        return [colour if column in teams else "" for column in row.index]

    return frame.style.apply(highlight, axis=1).set_caption(
        "Architecture decisions side by side (highlighted: the teams decided differently)"
    )
