"""Figures of notebook 05: the span waterfall of one request, the metrics during the load, the
evaluation across runs with the baseline band, and the per-question diff of a regression."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playbook.evaluation import Comparison, Evaluation, metric_label
from playbook.gaps.observability.metrics import Window
from playbook.targets.capabilities import SpanRecord, stage_of

_STAGE_COLOURS = {"retrieval": "#3182bd", "generation": "#e6550d", "": "#969696"}
_SHOWN_METRICS = ("hit", "mrr", "answer_f1", "refusal_correct", "citation_valid")


def span_waterfall(spans: Sequence[SpanRecord], title: str = "") -> go.Figure:
    """The spans of one trace as bars on a time axis (ms from the first span), parents first."""
    figure = go.Figure()
    if not spans:
        figure.update_layout(title="No spans to show: the target emitted none for this answer")
        return figure
    origin = min(span.start_ns for span in spans)
    ordered = _tree_order(spans)
    depth = _depths(spans)
    for span in ordered:
        stage = stage_of(span) or ""
        figure.add_trace(
            go.Bar(
                y=["\u2003" * depth[span.span_id] + span.name],
                x=[max(span.seconds * 1000.0, 0.01)],
                base=[(span.start_ns - origin) / 1e6],
                orientation="h",
                marker_color="#d62728" if span.status == "error" else _STAGE_COLOURS[stage],
                name=stage or "other",
                showlegend=False,
                hovertemplate=f"{span.name}<br>%{{x:.2f}} ms from %{{base:.2f}} ms"
                f"<br>status {span.status}<extra></extra>",
            )
        )
    figure.update_layout(
        title=title or "Span waterfall of one request (red: error)",
        xaxis={"title": "ms since the request's first span"},
        yaxis={"autorange": "reversed"},
        barmode="overlay",
        height=160 + 28 * len(ordered),
    )
    return figure


def metrics_during_load(windows: Sequence[Window], faulted_from_s: float | None) -> go.Figure:
    """Request rate, error rate and p95 per scrape window, with the faulted phase shaded."""
    figure = make_subplots(
        rows=3, cols=1, shared_xaxes=True, subplot_titles=("requests/s", "error rate", "p95 ms")
    )
    ends, at = [], 0.0
    for window in windows:
        at += window.seconds
        ends.append(round(at, 2))
    series = (
        [window.request_rate for window in windows],
        [window.error_rate for window in windows],
        [None if window.p95_s is None else window.p95_s * 1000.0 for window in windows],
    )
    for row, values in enumerate(series, start=1):
        figure.add_trace(
            go.Scatter(x=ends, y=values, mode="lines+markers", showlegend=False), row=row, col=1
        )
    if faulted_from_s is not None and ends:
        figure.add_vrect(
            x0=faulted_from_s,
            x1=ends[-1],
            fillcolor="#d62728",
            opacity=0.08,
            line_width=0,
            annotation_text="5xx at generation",
            annotation_position="top left",
        )
    figure.update_layout(title="What the metrics endpoint said during the load", height=520)
    figure.update_xaxes(title_text="seconds since the first scrape", row=3, col=1)
    return figure


def evaluation_across_runs(
    history: Sequence[Evaluation], baseline: Evaluation | None, tolerance: float
) -> go.Figure:
    """Each metric's mean per run (oldest left), with the baseline's value minus the tolerance
    as the band a run must stay above."""
    figure = go.Figure()
    runs = [evaluation.run_id for evaluation in history]
    k = history[-1].k if history else 5
    palette = ("#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363")
    for metric, colour in zip(_SHOWN_METRICS, palette, strict=True):
        values = [evaluation.aggregates[metric] for evaluation in history]
        if not any(value is not None for value in values):
            continue
        label = metric_label(metric, k)
        figure.add_trace(
            go.Scatter(
                x=runs,
                y=values,
                mode="lines+markers",
                name=label,
                line={"color": colour},
                legendgroup=label,
            )
        )
        kept = baseline.aggregates[metric] if baseline is not None else None
        if kept is not None and runs:
            figure.add_trace(
                go.Scatter(
                    x=[runs[0], runs[-1], runs[-1], runs[0]],
                    y=[kept, kept, kept - tolerance, kept - tolerance],
                    fill="toself",
                    fillcolor=colour,
                    opacity=0.12,
                    line={"width": 0},
                    name=f"{label} baseline band",
                    legendgroup=label,
                    showlegend=False,
                    hoverinfo="skip",
                )
            )
    title = "Golden-set metrics across runs"
    title += (
        f" (bands: baseline {baseline.run_id} down to its tolerance {tolerance:g})"
        if baseline is not None
        else " (no accepted baseline yet)"
    )
    figure.update_layout(
        title=title, xaxis={"title": "run", "type": "category"}, yaxis={"range": [0, 1.05]}
    )
    return figure


def regression_diff(comparison: Comparison) -> go.Figure:
    """The questions that got worse (and better) per metric: each one's change from the
    baseline, worst first."""
    figure = go.Figure()
    rows = [
        (f"{change.id} · {metric.label}", change.after - change.before)
        for metric in comparison.metrics
        for change in (*metric.worse, *metric.better)
    ]
    rows.sort(key=lambda row: row[1])
    if not rows:
        figure.update_layout(title="No question changed against the baseline")
        return figure
    figure.add_trace(
        go.Bar(
            x=[delta for _, delta in rows],
            y=[name for name, _ in rows],
            orientation="h",
            marker_color=["#d62728" if delta < 0 else "#31a354" for _, delta in rows],
        )
    )
    figure.update_layout(
        title=f"Per-question change against baseline {comparison.baseline_run} (red: worse)",
        xaxis={"title": "change in the metric (now - baseline)"},
        yaxis={"autorange": "reversed"},
        height=200 + 22 * len(rows),
    )
    return figure


def _depths(spans: Sequence[SpanRecord]) -> dict[str, int]:
    by_id = {span.span_id: span for span in spans}
    depth: dict[str, int] = {}

    def of(span: SpanRecord, seen: int = 0) -> int:
        parent = by_id.get(span.parent_id or "")
        if parent is None or seen > len(spans):
            return 0
        return 1 + of(parent, seen + 1)

    for span in spans:
        depth[span.span_id] = of(span)
    return depth


def _tree_order(spans: Sequence[SpanRecord]) -> list[SpanRecord]:
    """Parents before their children, siblings by start time (as a trace viewer lists them)."""
    ids = {span.span_id for span in spans}
    children: dict[str | None, list[SpanRecord]] = {}
    for span in spans:
        parent = span.parent_id if span.parent_id in ids else None
        children.setdefault(parent, []).append(span)
    ordered: list[SpanRecord] = []
    stack = sorted(children.get(None, []), key=lambda span: span.start_ns, reverse=True)
    while stack:
        span = stack.pop()
        ordered.append(span)
        stack.extend(
            sorted(children.get(span.span_id, []), key=lambda item: item.start_ns, reverse=True)
        )
    return ordered
