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
    """Bars of each area's score against the gate line: green at or above it, red below 0.5."""
    areas = [area.area for area in scorecard.areas]
    scores = [area.score for area in scorecard.areas]
    weakest = scorecard.weakest.area if scorecard.weakest else None
    colours = [
        STATUS_COLOURS["pass"]
        if score >= scorecard.min_readiness
        else STATUS_COLOURS["warn"]
        if score >= 0.5
        else STATUS_COLOURS["fail"]
        for score in scores
    ]
    figure = go.Figure(
        go.Bar(x=areas, y=scores, marker_color=colours, text=[f"{s:.2f}" for s in scores])
    )
    figure.add_hline(
        y=scorecard.min_readiness,
        line_dash="dash",
        annotation_text=f"gate {scorecard.min_readiness:.2f}",
    )
    figure.update_layout(
        title=f"Readiness {scorecard.readiness:.2f} ({scorecard.level}) — weakest area: {weakest}",
        yaxis={"range": [0, 1.05], "title": "share of points"},
        xaxis={"title": "gap area"},
        height=380,
        margin={"t": 60, "b": 40},
    )
    return figure
