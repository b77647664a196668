"""Figures of notebook 03: outcomes under each fault, latency under fault, the breaker episode."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playbook.gaps.failure import BreakerEpisode, FaultMatrix
from playbook.gaps.failure.classify import KIND_LABELS, KINDS, OUTCOME_LABELS, OUTCOMES
from playbook.gaps.failure.tables import by_kind, latency_under_fault

if TYPE_CHECKING:
    from playbook.decisions import Decisions

_OUTCOME_COLOURS = [[0.0, "#f7f7f7"], [1.0, "#1f4e79"]]
_STATE_LEVEL = {"closed": 0, "half-open": 1, "open": 2, "disabled": 0}


def outcome_heatmap(*matrices: FaultMatrix) -> go.Figure:
    """Heatmaps of fault kind x outcome (share of faulted requests), one per target or profile."""
    shown = [m for m in matrices if m.observations]
    figure = make_subplots(
        rows=1,
        cols=max(1, len(shown)),
        subplot_titles=[m.target for m in shown] or ["no faults injected"],
        shared_yaxes=True,
        horizontal_spacing=0.04,
    )
    kinds = [KIND_LABELS[k] for k in KINDS]
    for column, matrix in enumerate(shown, start=1):
        grouped = by_kind(matrix.faulted())
        z, text = [], []
        for kind in KINDS:
            seen = grouped.get(kind, [])
            counts = Counter(o.outcome for o in seen)
            z.append([counts[o] / len(seen) if seen else None for o in OUTCOMES])
            text.append([str(counts[o]) if seen else "" for o in OUTCOMES])
        figure.add_trace(
            go.Heatmap(
                z=z,
                x=[OUTCOME_LABELS[o] for o in OUTCOMES],
                y=kinds,
                text=text,
                texttemplate="%{text}",
                colorscale=_OUTCOME_COLOURS,
                zmin=0,
                zmax=1,
                showscale=column == len(shown),
                colorbar={"title": "share"},
                hovertemplate="%{y} -> %{x}: %{z:.0%}<extra></extra>",
            ),
            row=1,
            col=column,
        )
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(
        title="What the user got under each fault (count of faulted requests, shaded by share)",
        height=420,
        margin={"t": 80, "b": 40},
    )
    return figure


def latency_figure(matrix: FaultMatrix, decisions: Decisions) -> go.Figure:
    """p95 wait under each fault and stage, against the decided end-to-end budget."""
    table = latency_under_fault(matrix)
    budget_ms = decisions.latency_budget.p95_ms
    labels = [f"{row.fault} @ {row.stage}" for row in table.itertuples()]
    colours = ["#c62828" if v > budget_ms else "#2e7d32" for v in table["p95_ms"]]
    figure = go.Figure(
        go.Bar(x=labels, y=table["p95_ms"], marker_color=colours, name="p95 under fault")
    )
    figure.add_hline(y=budget_ms, line_dash="dash", annotation_text=f"budget {budget_ms} ms")
    figure.update_layout(
        title=f"p95 latency under each fault — {matrix.target}",
        yaxis={"title": "ms (p95 of faulted requests)"},
        height=380,
        margin={"t": 60, "b": 120},
    )
    return figure


def breaker_figure(episode: BreakerEpisode) -> go.Figure:
    """The breaker's state and the upstream calls of each request over a fault episode."""
    frame = episode.frame()
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    if not frame.empty:
        numbers = list(range(1, len(frame) + 1))
        figure.add_trace(
            go.Bar(
                x=numbers,
                y=frame["upstream_calls"],
                name="upstream calls",
                marker_color="#9e9e9e",
                opacity=0.5,
            ),
            secondary_y=True,
        )
        figure.add_trace(
            go.Scatter(
                x=numbers,
                y=[_STATE_LEVEL.get(state, 0) for state in frame["state"]],
                mode="lines+markers",
                line_shape="hv",
                name="breaker state",
                customdata=list(zip(frame["state"], frame["seconds"], strict=True)),
                hovertemplate="request %{x} at %{customdata[1]:.2f} s: %{customdata[0]}"
                "<extra></extra>",
            ),
            secondary_y=False,
        )
        faulted = int((frame["phase"] == "fault").sum())
        figure.add_vrect(
            x0=0.5,
            x1=faulted + 0.5,
            fillcolor="#c62828",
            opacity=0.08,
            line_width=0,
            annotation_text="sustained 5xx",
            annotation_position="top left",
        )
    how = " (inferred from upstream calls)" if episode.inferred else ""
    figure.update_yaxes(
        tickvals=[0, 1, 2],
        ticktext=["closed", "half-open", "open"],
        range=[-0.2, 2.2],
        secondary_y=False,
    )
    figure.update_yaxes(title_text="upstream calls", rangemode="tozero", dtick=1, secondary_y=True)
    recovered = (
        f"; closed {episode.closed_after_s:.1f} s after the fault ended"
        if episode.closed_after_s is not None
        else ""
    )
    figure.update_layout(
        title=f"Circuit breaker over a fault episode{how}{recovered} — {episode.target}",
        xaxis={"title": "request of the episode (fault, then recovery polls)"},
        height=380,
        margin={"t": 60, "b": 40},
    )
    return figure
