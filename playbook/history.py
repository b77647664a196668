"""Run history: every run of an engagement in time order, its scores, and what changed since the
last visit.

Read from each run's `run.json` (the scorecard the run recorded, never recomputed: history shows
what each run said at the time). A run folder whose record is missing, damaged or unfinished is
still listed, with its problem, so a gap in the history is visible rather than silently dropped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from playbook.notebooks import SCORED_AREAS
from playbook.safe_files import MAX_CONFIG_BYTES, FileProblem, parse_json, read_text

RUN_RECORD = "run.json"
BASE_COLUMNS = ["run", "started", "target", "readiness", "coverage", "gate", "min_readiness"]
PROBLEM_COLUMN = "problem"
READINESS = "readiness"
_RUN_ID_TIME = "%Y%m%dT%H%M%S"


@dataclass(frozen=True)
class RunSummary:
    """What one run.json says about its run, or why it cannot say it."""

    run: str
    started: datetime | None = None
    target: str | None = None
    readiness: float | None = None
    coverage: float | None = None
    gate: str | None = None
    min_readiness: float | None = None
    areas: dict[str, float | None] = field(default_factory=dict)
    problem: str = ""

    @property
    def sort_key(self) -> tuple[datetime, str]:
        when = self.started or _time_of_run_id(self.run) or datetime.max.replace(tzinfo=UTC)
        return when, self.run


def _time_of_run_id(run_id: str) -> datetime | None:
    """Run ids start with their UTC start time (`20261130T074706123Z-ab12`)."""
    try:
        return datetime.strptime(run_id[:15], _RUN_ID_TIME).replace(tzinfo=UTC)
    except ValueError:
        return None


def _started(value: object) -> tuple[datetime | None, str]:
    if not isinstance(value, str):
        return None, f"started_at: expected an ISO date and time, got {value!r:.40}"
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None, f"started_at: expected an ISO date and time, got {value!r:.40}"
    return (when if when.tzinfo else when.replace(tzinfo=UTC)), ""


def _share(value: object, name: str, problems: list[str]) -> float | None:
    """A score in 0..1 (None is 'not measured'); anything else is a named problem."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        problems.append(f"{name}: expected a number from 0 to 1 or null, got {value!r:.40}")
        return None
    if math.isnan(value):
        problems.append(f"{name}: expected a number from 0 to 1 or null, got NaN")
        return None
    return float(value)


def read_run_summary(run_dir: Path) -> RunSummary:
    """The summary of one run folder; a missing, damaged or unfinished run.json is its problem."""
    run_dir = Path(run_dir)
    path = run_dir / RUN_RECORD
    run_id = run_dir.name
    try:
        data = parse_json(read_text(path, MAX_CONFIG_BYTES))
    except FileNotFoundError:
        return RunSummary(run_id, problem=f"no {RUN_RECORD}: the run did not start properly")
    except (OSError, FileProblem) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return RunSummary(run_id, problem=f"{RUN_RECORD}: {why}")
    if not isinstance(data, Mapping):
        return RunSummary(run_id, problem=f"{RUN_RECORD}: expected a JSON object at top level")
    problems: list[str] = []
    recorded_id = data.get("run_id")
    if isinstance(recorded_id, str) and recorded_id and recorded_id != run_id:
        problems.append(f"run_id {recorded_id!r} differs from the folder name")
    started, why = _started(data.get("started_at"))
    if why:
        problems.append(why)
    target = data.get("target")
    target = target if isinstance(target, str) else None
    card = data.get("scorecard")
    values: dict[str, Any] = {}
    areas: dict[str, float | None] = {}
    if card is None:
        problems.append(
            "interrupted before it was scored"
            if data.get("interrupted")
            else "no scorecard: the run is still going, or stopped before it was scored"
        )
    elif not isinstance(card, Mapping):
        problems.append("scorecard: expected a JSON object")
    else:
        for name in ("readiness", "coverage", "min_readiness"):
            values[name] = _share(card.get(name), f"scorecard.{name}", problems)
        gate = card.get("gate")
        values["gate"] = gate if gate in ("pass", "fail", "incomplete") else None
        if gate is not None and values["gate"] is None:
            problems.append(f"scorecard.gate: expected pass, fail or incomplete, got {gate!r:.40}")
        recorded = card.get("areas")
        if isinstance(recorded, Mapping):
            areas = {
                str(area): _share(score, f"scorecard.areas.{area}", problems)
                for area, score in recorded.items()
            }
        else:
            problems.append("scorecard.areas: expected a JSON object of area scores")
    return RunSummary(run_id, started, target, areas=areas, problem="; ".join(problems), **values)


def _run_folders(engagement_folder: Path) -> list[Path]:
    runs = Path(engagement_folder) / "runs"
    if not runs.is_dir():
        return []
    return [path for path in runs.iterdir() if path.is_dir() and not path.name.startswith(".")]


def run_history(engagement_folder: Path) -> pd.DataFrame:
    """Every run of the engagement in time order: run id, started, target, readiness, coverage,
    gate, one column per area (None where not measured) and the problem of a damaged run."""
    summaries = sorted(
        (read_run_summary(path) for path in _run_folders(engagement_folder)),
        key=lambda summary: summary.sort_key,
    )
    extra = sorted({area for s in summaries for area in s.areas} - set(SCORED_AREAS))
    areas = [*SCORED_AREAS, *extra]
    rows = []
    for summary in summaries:
        row: dict[str, object] = {
            "run": summary.run,
            "started": summary.started,
            "target": summary.target,
            "readiness": summary.readiness,
            "coverage": summary.coverage,
            "gate": summary.gate,
            "min_readiness": summary.min_readiness,
        }
        row.update({area: summary.areas.get(area) for area in areas})
        row[PROBLEM_COLUMN] = summary.problem
        rows.append(row)
    table = pd.DataFrame(rows, columns=[*BASE_COLUMNS, *areas, PROBLEM_COLUMN])
    numeric = ["readiness", "coverage", "min_readiness", *areas]
    table[numeric] = table[numeric].astype(object).where(table[numeric].notna(), None)
    return table


def area_columns(history: pd.DataFrame) -> list[str]:
    """The area score columns of a history table, in playbook order."""
    return [column for column in history.columns[len(BASE_COLUMNS) : -1]]


def _scored(history: pd.DataFrame) -> pd.DataFrame:
    """The runs that recorded a scorecard (a damaged or unfinished run has no scores to show)."""
    if history.empty:
        return history
    has_scores = history[["readiness", "gate", *area_columns(history)]].notna().any(axis=1)
    return history[has_scores]


def _label(row: pd.Series) -> str:
    started = row["started"]
    when = started.strftime("%Y-%m-%d %H:%M") if pd.notna(started) else row["run"]
    return f"{when} · {row['target'] or '?'}"


def trend_figure(history: pd.DataFrame) -> go.Figure:
    """A line per area across runs, and readiness (the minimum) in bold, against the gate; a run
    that did not measure an area leaves a gap in its line, never a 0."""
    scored = _scored(history)
    labels = [_label(row) for _, row in scored.iterrows()]
    figure = go.Figure()
    for area in area_columns(history):
        values = [None if pd.isna(value) else value for value in scored[area]]
        if all(value is None for value in values):
            continue
        figure.add_scatter(
            x=labels,
            y=values,
            mode="lines+markers",
            name=area,
            connectgaps=False,
            hovertemplate=f"{area}: %{{y:.2f}}<extra>%{{x}}</extra>",
        )
    readiness = [None if pd.isna(value) else value for value in scored["readiness"]]
    figure.add_scatter(
        x=labels,
        y=readiness,
        mode="lines+markers",
        name="readiness",
        line={"color": "black", "width": 4},
        connectgaps=False,
        hovertemplate="readiness: %{y:.2f}<extra>%{x}</extra>",
    )
    gates = {value for value in scored["min_readiness"] if value is not None and not pd.isna(value)}
    if len(gates) == 1:
        gate = gates.pop()
        figure.add_hline(y=gate, line_dash="dash", annotation_text=f"gate {gate:.2f}")
    figure.update_layout(
        title=f"Readiness across {len(scored)} run(s)",
        yaxis={"range": [0, 1.05], "title": "share of points"},
        xaxis={"title": "run", "type": "category"},
        height=400,
        margin={"t": 60, "b": 40},
    )
    return figure


def _change(previous: float | None, current: float | None) -> tuple[float | None, str]:
    if previous is None and current is None:
        return None, "not measured"
    if previous is None:
        return None, "newly measured"
    if current is None:
        return None, "no longer measured"
    delta = round(current - previous, 4)
    if abs(delta) < 1e-9:
        return 0.0, "unchanged"
    return delta, "improved" if delta > 0 else "worse"


def changes_since_last(history: pd.DataFrame) -> pd.DataFrame:
    """Per area and for readiness: the previous scored run's score, this one's, and the change.

    "This" is the latest run that recorded a scorecard and "previous" the one before it; with a
    single scored run every previous value is empty.
    """
    columns = ["previous", "this", "change", "what changed"]
    scored = _scored(history)
    names = [*area_columns(history), READINESS] if not history.empty else []
    if scored.empty:
        table = pd.DataFrame([], columns=["area", *columns])
        return table.set_index("area")
    current = scored.iloc[-1]
    previous = scored.iloc[-2] if len(scored) > 1 else None
    rows = []
    for name in names:
        now = None if pd.isna(current[name]) else float(current[name])
        before = None
        if previous is not None and not pd.isna(previous[name]):
            before = float(previous[name])
        delta, verdict = _change(before, now)
        if previous is None:
            verdict = "first scored run" if now is not None else "not measured"
        rows.append(
            {"area": name, "previous": before, "this": now, "change": delta}
            | {"what changed": verdict}
        )
    table = pd.DataFrame(rows, columns=["area", *columns]).set_index("area")
    table = table.astype(object).where(table.notna(), None)  # not measured is None, never NaN
    table.attrs["runs"] = (None if previous is None else previous["run"], current["run"])
    return table
