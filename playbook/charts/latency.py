"""Figures of notebook 04: latency per profile, percentiles against arrival rate, the per-stage
waterfall, and latency against corpus size."""

from __future__ import annotations

import plotly.graph_objects as go

from playbook.gaps.latency import Scaling, Sweep
from playbook.load import LoadRun

_PERCENTILES = ((50, "p50", "#9ecae1"), (95, "p95", "#3182bd"), (99, "p99", "#08519c"))


def profile_distribution(scaling: Scaling) -> go.Figure:
    """Latency of each profile at the largest corpus measured (one question at a time)."""
    figure = go.Figure()
    for spec in sorted({point.spec for point in scaling.points}):
        points = scaling.of(spec)
        if not points:
            continue
        largest = points[-1]
        figure.add_trace(
            go.Box(
                y=[seconds * 1000.0 for seconds in largest.latencies],
                name=f"{spec} ({largest.documents:,} docs)",
                boxpoints="all",
                jitter=0.4,
            )
        )
    figure.update_layout(
        title="Latency per profile at the largest corpus (ms, log scale)",
        yaxis={"title": "ms", "type": "log"},
        showlegend=False,
    )
    return figure


def percentiles_by_rate(sweep: Sweep, p95_budget_ms: float) -> go.Figure:
    """p50, p95 and p99 at each arrival rate, with the p95 budget as a line."""
    runs = sorted(sweep.runs, key=lambda run: run.rate_rps)
    figure = go.Figure()
    rates = [run.rate_rps for run in runs]
    for q, label, colour in _PERCENTILES:
        figure.add_trace(
            go.Scatter(
                x=rates,
                y=[run.latency_ms(q) for run in runs],
                mode="lines+markers",
                name=label,
                line={"color": colour},
            )
        )
    figure.add_hline(
        y=p95_budget_ms, line_dash="dash", line_color="#d62728", annotation_text="p95 budget"
    )
    figure.update_layout(
        title="Latency against arrival rate (open model, from the scheduled send time)",
        xaxis={"title": "arrival rate (requests a second)"},
        yaxis={"title": "ms", "type": "log"},
    )
    return figure


def stage_waterfall(run: LoadRun, budgets: dict[str, int]) -> go.Figure:
    """Where the median request's time goes: each stage the target reports, then the rest."""
    stages = [stage for stage in run.stages if run.stage_ms(stage, 50) is not None]
    total = run.latency_ms(50) or 0.0
    values = [run.stage_ms(stage, 50) or 0.0 for stage in stages]
    other = max(0.0, total - sum(values))
    labels = [*stages, "other (network, queue)", "end to end"]
    figure = go.Figure(
        go.Waterfall(
            orientation="h",
            y=labels,
            x=[*values, other, total],
            measure=["relative"] * (len(values) + 1) + ["total"],
            text=[f"{value:.1f} ms" for value in [*values, other, total]],
            textposition="outside",
        )
    )
    notes = ", ".join(f"{stage} budget {budgets[stage]} ms" for stage in stages if stage in budgets)
    figure.update_layout(
        title=f"Median request at the peak rate, per stage ({notes or 'no stage budget'})",
        xaxis={"title": "ms"},
        yaxis={"autorange": "reversed"},
    )
    return figure


def latency_by_corpus(scaling: Scaling, p95_budget_ms: float) -> go.Figure:
    """p50 against the number of documents, one line per profile (log-log)."""
    figure = go.Figure()
    for spec in sorted({point.spec for point in scaling.points}):
        points = scaling.of(spec)
        figure.add_trace(
            go.Scatter(
                x=[point.documents for point in points],
                y=[point.ms(50) for point in points],
                mode="lines+markers",
                name=spec,
            )
        )
    figure.add_hline(
        y=p95_budget_ms, line_dash="dash", line_color="#d62728", annotation_text="p95 budget"
    )
    figure.update_layout(
        title="Latency against corpus size (p50, one question at a time)",
        xaxis={"title": "documents", "type": "log"},
        yaxis={"title": "ms", "type": "log"},
    )
    return figure
