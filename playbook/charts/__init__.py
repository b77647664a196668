"""Plotly figures shared by the notebooks and the report, and the one place the renderer is set."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

from playbook.scorecard import Scorecard

# nbconvert's HTML export drops `plotly_mimetype` alone, and `notebook_connected` needs a CDN:
# this pair keeps figures live in Jupyter and inlines plotly.js once for an offline report.
RENDERER = "plotly_mimetype+notebook"
STATUS_COLOURS = {
    "pass": "#2e7d32",
    "warn": "#f9a825",
    "fail": "#c62828",
    "error": "#6a1b9a",
    "skip": "#9e9e9e",
}


def use_offline_renderer() -> None:
    """Make every figure shown from now on render in JupyterLab and in an offline HTML report."""
    pio.renderers.default = RENDERER


def scorecard_figure(scorecard: Scorecard) -> go.Figure:
    """Bars of each measured area's score against the gate line (green at or above it, red below
    0.5); an unmeasured area is a grey hatched bar saying why, never a score of 0."""
    figure = go.Figure()
    measured = scorecard.measured
    figure.add_bar(
        x=[area.area for area in measured],
        y=[area.score for area in measured],
        marker_color=[
            _score_colour(area.score or 0.0, scorecard.min_readiness) for area in measured
        ],
        text=[f"{area.score:.2f}" for area in measured],
        name="measured",
        hovertemplate="%{x}: %{y:.2f}<extra></extra>",
    )
    unmeasured = [area for area in scorecard.areas if not area.measured]
    if unmeasured:
        figure.add_bar(
            x=[area.area for area in unmeasured],
            y=[1.0] * len(unmeasured),
            marker={"color": "rgba(158,158,158,0.25)", "pattern": {"shape": "/"}},
            text=["not measured"] * len(unmeasured),
            customdata=[area.reason for area in unmeasured],
            name="not measured",
            hovertemplate="%{x}: not measured (%{customdata})<extra></extra>",
        )
    figure.add_hline(
        y=scorecard.min_readiness,
        line_dash="dash",
        annotation_text=f"gate {scorecard.min_readiness:.2f}",
    )
    readiness = scorecard.readiness
    shown = "not measured" if readiness is None else f"{readiness:.2f}"
    weakest = scorecard.weakest
    figure.update_layout(
        title=f"Readiness {shown} over {scorecard.coverage_text} ({scorecard.level}), gate "
        f"{scorecard.gate}" + (f" — weakest area: {weakest.area}" if weakest else ""),
        yaxis={"range": [0, 1.05], "title": "share of points"},
        xaxis={
            "title": "gap area",
            "categoryorder": "array",
            "categoryarray": [area.area for area in scorecard.areas],
        },
        barmode="overlay",
        height=380,
        margin={"t": 60, "b": 40},
    )
    return figure


def _score_colour(score: float, gate: float) -> str:
    if score >= gate:
        return STATUS_COLOURS["pass"]
    return STATUS_COLOURS["warn"] if score >= 0.5 else STATUS_COLOURS["fail"]
