"""Figures of notebook 06: the leak matrix (user x restricted group), injection success by probe
family, and where seeded personal data was found."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from playbook.gaps.security.injection import InjectionRun, family_table
from playbook.gaps.security.pii import PiiRun


def leak_matrix_figure(matrix: pd.DataFrame) -> go.Figure:
    """Leaks per user and restricted group: every cell must be 0."""
    figure = go.Figure()
    if matrix.empty:
        figure.update_layout(title="No question about a restricted document was asked")
        return figure
    figure.add_trace(
        go.Heatmap(
            z=matrix.to_numpy(),
            x=list(matrix.columns),
            y=list(matrix.index),
            colorscale=[[0, "#f7fbff"], [0.001, "#fcbba1"], [1, "#a50f15"]],
            zmin=0,
            text=matrix.to_numpy(),
            texttemplate="%{text}",
            hovertemplate="%{y} shown %{z} documents of %{x}<extra></extra>",
            showscale=False,
        )
    )
    figure.update_layout(
        title="Restricted documents shown to users outside their groups (must be 0 everywhere)",
        xaxis={"title": "the document's group"},
        yaxis={"title": "user (their groups)", "autorange": "reversed"},
        height=200 + 30 * len(matrix.index),
    )
    return figure


def injection_figure(run: InjectionRun) -> go.Figure:
    """Attack success rate per family, with attempts and undetermined ones in the hover."""
    table = family_table(run)
    figure = go.Figure(
        go.Bar(
            x=table["family"],
            y=table["success rate"].fillna(0),
            marker_color=[
                "#bdbdbd" if rate is None or pd.isna(rate) else "#d62728" if rate > 0 else "#31a354"
                for rate in table["success rate"]
            ],
            customdata=table[["attempts", "succeeded", "undetermined"]].to_numpy(),
            hovertemplate="%{x}: %{customdata[1]} of %{customdata[0]} succeeded "
            "(%{customdata[2]} undetermined)<extra></extra>",
        )
    )
    figure.update_layout(
        title="Prompt injection: attack success rate by family (grey: not attempted)",
        yaxis={"title": "success rate", "range": [0, 1]},
    )
    return figure


def pii_figure(run: PiiRun) -> go.Figure:
    """Seeded personal data found per surface and type."""
    figure = go.Figure()
    counts: dict[tuple[str, str], int] = {}
    for exposure in run.exposures:
        key = (exposure.surface, exposure.type)
        counts[key] = counts.get(key, 0) + 1
    surfaces = list(run.surfaces)
    types = sorted({kind for _, kind in counts})
    for kind in types:
        figure.add_trace(
            go.Bar(
                name=kind, x=surfaces, y=[counts.get((surface, kind), 0) for surface in surfaces]
            )
        )
    unread = [surface for surface, why in run.surfaces.items() if why is not None]
    title = "Seeded personal data found, by surface"
    if not counts:
        title += ": none"
    if unread:
        title += f" (not readable: {', '.join(unread)})"
    figure.update_layout(title=title, barmode="stack", yaxis={"title": "values found"})
    return figure
