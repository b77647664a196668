"""Figures of notebook 02: freshness against the window, what each ingest changed, quality."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go

from playbook.charts import STATUS_COLOURS
from playbook.gaps.data import Exercise, PipelineExercise, quality_table

if TYPE_CHECKING:
    from playbook.decisions import UpdateCadence


def freshness_figure(table: pd.DataFrame, window: UpdateCadence) -> go.Figure:
    """Newest and oldest served data per source (hours, log scale) against the window."""
    floor = 1e-4  # a just-ingested source is seconds old: keep it visible on a log axis
    figure = go.Figure()
    for column, name, colour in (
        ("newest_age_h", "newest", "#1565c0"),
        ("oldest_age_h", "oldest", "#90caf9"),
    ):
        values = [floor if v is None or pd.isna(v) else max(float(v), floor) for v in table[column]]
        figure.add_bar(x=list(table["source"]), y=values, name=name, marker_color=colour)
    sources = list(table["source"])
    for hours, label, status in (
        (window.warn_after_hours, "warn after", "warn"),
        (window.error_after_hours, "error after", "fail"),
    ):
        # drawn as traces: shapes and annotations want log10 values on a log axis
        figure.add_scatter(
            x=sources,
            y=[hours] * len(sources),
            mode="lines",
            line={"dash": "dash", "color": STATUS_COLOURS[status]},
            name=f"{label} {hours:g} h",
        )
    figure.update_layout(
        title="Age of the served data per source against the freshness window",
        yaxis={"type": "log", "title": "age (hours, log scale)"},
        xaxis={"title": "data source"},
        barmode="group",
        height=360,
        margin={"t": 60, "b": 40},
    )
    return figure


def changes_figure(exercise: Exercise) -> go.Figure:
    """The change summary of each ingest of the exercise, misclassified documents in red."""
    figure = go.Figure()
    if not isinstance(exercise, PipelineExercise) or not exercise.steps:
        figure.update_layout(title="No ingest was exercised", height=200)
        return figure
    steps = list(exercise.steps)
    names = [step.name for step in steps]
    for kind, colour in (
        ("added", "#2e7d32"),
        ("changed", "#1565c0"),
        ("deleted", "#6d4c41"),
        ("quarantined", "#f9a825"),
        ("kept_last_good", "#8e24aa"),
    ):
        values = [getattr(step, kind) or 0 for step in steps]
        figure.add_bar(x=names, y=values, name=kind.replace("_", " "), marker_color=colour)
    figure.add_scatter(
        x=names,
        y=[len(step.misclassified) for step in steps],
        mode="markers",
        marker={"color": STATUS_COLOURS["fail"], "size": 12, "symbol": "x"},
        name="misclassified",
    )
    figure.update_layout(
        title="What each ingest changed (unchanged documents not drawn)",
        barmode="stack",
        yaxis={"title": "documents"},
        height=380,
        margin={"t": 60, "b": 80},
    )
    return figure


def quality_figure(exercises: Iterable[Exercise | None]) -> go.Figure:
    """Golden hit rate (solid) and empty-or-wrong share (dashed) before, during, after the drill."""
    table = quality_table(exercises)
    figure = go.Figure()
    palette = ["#c62828", "#2e7d32", "#1565c0", "#6a1b9a"]
    for index, (label, rows) in enumerate(table.groupby("pipeline", sort=False)):
        colour = palette[index % len(palette)]
        figure.add_scatter(
            x=list(rows["phase"]),
            y=list(rows["hit rate"]),
            name=f"{label}: hit rate",
            mode="lines+markers",
            line={"color": colour},
        )
        figure.add_scatter(
            x=list(rows["phase"]),
            y=list(rows["wrong"] + rows["empty"]),
            name=f"{label}: empty or wrong",
            mode="lines+markers",
            line={"color": colour, "dash": "dash"},
        )
    figure.update_layout(
        title="Answer quality before, during and after the upstream format change",
        yaxis={"range": [0, 1.05], "title": "share of golden questions"},
        xaxis={"title": "drill phase (during: v2 drop ingested; after: rolled back)"},
        height=380,
        margin={"t": 60, "b": 40},
    )
    return figure
