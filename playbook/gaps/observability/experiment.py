"""What notebook 05 measures, in one pass over the target.

1. The golden set is asked (a seeded sample sized by the run depth) after the target's spans are
   cleared: the answers are scored (`playbook.evaluation`), matched to their traces, and looked up
   in the logs.
2. One failure is followed from its answer to its log lines and spans.
3. A short load at the decided peak rate runs while the metrics endpoint is scraped, clean first,
   then (where the target offers a fault route) with a 5xx at generation, so the error series and
   the alert rules are seen moving.
4. The evaluation is stored in the run folder and compared with the accepted baseline; earlier
   runs' evaluations give the history.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from playbook.atomic import write_text_atomic
from playbook.errors import PlaybookError
from playbook.evaluation import (
    EVALUATION_FILE,
    Comparison,
    Evaluation,
    compare,
    evaluate,
    load_baseline,
    load_evaluation,
    save_evaluation,
)
from playbook.faults import Fault
from playbook.gaps.latency.experiment import load_requests
from playbook.gaps.observability.alerts import AlertRule, default_rules, prometheus_rules
from playbook.gaps.observability.drift import Drift, drift
from playbook.gaps.observability.follow import FollowedFailure, follow_a_failure, trace_of
from playbook.gaps.observability.metrics import Scrapes, discover, scrape_during
from playbook.gaps.observability.traces import TraceOf, traces_of
from playbook.golden import GoldenItem, sample_golden
from playbook.load import run_open_load
from playbook.otlp import wait_for_spans
from playbook.sources.parsed_files import read_sources_through
from playbook.sources.records import scalar_text
from playbook.targets.base import Answer, Target
from playbook.targets.capabilities import (
    FaultInjection,
    Logs,
    Metrics,
    Spans,
    capability,
    why_missing,
)

if TYPE_CHECKING:
    from playbook.decisions.model import Decisions
    from playbook.engagement import DepthBudget, Engagement

SPAN_WAIT_S = 10.0  # an exporter's batch delay (the SDK's default is 5 s)
MIN_LOAD_RATE = 2.0  # requests a second: below it the windows hold too few requests to chart


@dataclass
class MetricsLoad:
    """The scrapes taken during the load, and the phase boundary (seconds from the start)."""

    scrapes: Scrapes | None
    missing: str | None = None  # why the target's metrics could not be read
    faulted_from_s: float | None = None  # when the 5xx phase began; None: no faulted phase
    sent: int = 0
    note: str = ""


@dataclass
class ObservabilityRun:
    """Everything notebook 05's checks and charts read."""

    target: str
    evaluation: Evaluation
    asked: dict[str, Answer]
    traces: list[TraceOf] | None
    spans_missing: str | None
    span_source: str
    logged: dict[str, bool] | None  # golden id -> a structured log line carries its trace id
    logs_missing: str | None
    followed: FollowedFailure
    metrics: MetricsLoad
    rules: list[AlertRule]
    baseline: Evaluation | None
    comparison: Comparison | None
    baseline_note: str
    history: list[Evaluation] = field(default_factory=list)
    drift: Drift | None = None
    drift_note: str = ""
    evaluation_path: Path | None = None
    documents_note: str = ""
    planned_questions: int = 0  # more than were asked when the time limit came first


def run_observability(
    target: Target,
    engagement: Engagement,
    items: Sequence[GoldenItem],
    decisions: Decisions,
    budget: DepthBudget,
    run_dir: Path,
    parse_cache: Path | None = None,
) -> ObservabilityRun:
    """Ask, evaluate and trace; `parse_cache`: the run's, for reading the cited documents."""
    spans = capability(target, Spans)
    if spans is not None:
        spans.clear()
    # the evaluation is a statistic: it gets a load phase's worth of questions, not a probe's
    planned = sample_golden(list(items), max(budget.questions, budget.requests), seed=0)
    deadline = time.monotonic() + budget.probe_seconds  # a slow target gets fewer questions
    asked = {}
    for item in planned:
        if time.monotonic() > deadline:
            break
        asked[item.id] = target.ask(item.question, item.user)
    asked_items = [item for item in planned if item.id in asked]
    documents, documents_note = served_documents(engagement, parse_cache)
    evaluation = evaluate(items, asked, documents, target=target.spec, run_id=run_dir.name)
    evaluation_path = save_evaluation(evaluation, run_dir)

    traces, span_source = None, ""
    if spans is not None:
        wanted = {(a.trace_id or "").lower() for a in asked.values() if a.trace_id}
        found = wait_for_spans(
            spans,
            lambda seen: wanted <= {span.trace_id.lower() for span in seen},
            SPAN_WAIT_S if wanted else 0.0,
        )
        span_source = str(getattr(spans, "source", type(spans).__name__))
        questions = [item.question for item in asked_items]
        traces = traces_of(questions, [asked[item.id] for item in asked_items], found)

    logs = capability(target, Logs)
    logged = None
    if logs is not None:
        traced = {trace_of(entry) for entry in logs.entries() if isinstance(entry, dict)}
        logged = {
            item_id: bool(answer.trace_id) and answer.trace_id.lower() in traced
            for item_id, answer in asked.items()
        }
    seen = [(item.question, asked[item.id]) for item in asked_items]
    followed = follow_a_failure(target, items, seen)

    metrics = metrics_under_load(target, items, decisions, budget)
    exposed = metrics.scrapes.exposed if metrics.scrapes else None
    rules = (
        default_rules(exposed, decisions.latency_budget, decisions.failure_policy)
        if exposed is not None
        else []
    )

    baseline, comparison, note = _against_baseline(engagement, evaluation, decisions)
    history = evaluation_history(Path(engagement.folder) / "runs", target.spec, run_dir)
    log_drift, drift_note = _drift(engagement, items)
    return ObservabilityRun(
        target=target.spec,
        evaluation=evaluation,
        asked=asked,
        traces=traces,
        spans_missing=None if spans is not None else why_missing(target, Spans),
        span_source=span_source,
        logged=logged,
        logs_missing=None if logs is not None else why_missing(target, Logs),
        followed=followed,
        metrics=metrics,
        rules=rules,
        baseline=baseline,
        comparison=comparison,
        baseline_note=note,
        history=history,
        drift=log_drift,
        drift_note=drift_note,
        evaluation_path=evaluation_path,
        documents_note=documents_note,
        planned_questions=len(planned),
    )


def served_documents(
    engagement: Engagement, parse_cache: Path | None = None
) -> tuple[dict[str, str] | None, str]:
    """The text of every document the engagement's data sources hold, by id, for citation
    validity; None (and why) when they hold none or cannot be read."""
    sources = engagement.resolved_sources()
    if not sources:
        return None, "no data sources declared: citation validity is not measured"
    records, _ = read_sources_through(sources, parse_cache)
    documents = {}
    for record in records:
        doc_id = scalar_text(record.fields.get("id")) or record.fallback_id
        body = scalar_text(record.fields.get("body")) or record.page_text
        if doc_id and body:
            documents[doc_id] = body
    if not documents:
        return None, "the data sources hold no readable document"
    return documents, f"{len(documents)} documents read from the data sources"


def metrics_under_load(
    target: Target, items: Sequence[GoldenItem], decisions: Decisions, budget: DepthBudget
) -> MetricsLoad:
    """Scrape the metrics endpoint during a short open-model load at the decided peak rate:
    `budget.seconds` clean, then as long with a 5xx at generation where faults can be injected."""
    metrics = capability(target, Metrics)
    if metrics is None:
        return MetricsLoad(None, why_missing(target, Metrics))
    try:
        first = metrics.scrape()
        exposed = discover(first)
    except (OSError, ValueError) as exc:
        return MetricsLoad(Scrapes(error=f"{type(exc).__name__}: {exc}"))
    if not exposed.families:  # nothing to watch move: spare the load
        return MetricsLoad(Scrapes([0.0], [{}], exposed), note="the endpoint exposes no series")
    requests = load_requests(items, budget.questions)
    if not requests:
        return MetricsLoad(None, None, note="no answerable golden question to load the target with")
    rate = max(MIN_LOAD_RATE, decisions.latency_budget.peak_rps)
    cap = max(1, budget.requests // 2)
    injector = capability(target, FaultInjection)
    can_fault = injector is not None and injector.supports("server_error", "generation")
    phases: dict[str, float] = {}
    sent = 0

    def load() -> None:
        nonlocal sent
        origin = time.monotonic()
        sent += run_open_load(target, requests, rate, budget.seconds, cap).planned
        if can_fault and injector is not None:
            phases["faulted"] = time.monotonic() - origin
            injector.reset()  # a cache would answer the repeated questions past the fault
            injector.apply(Fault("server_error", "generation"))
            try:
                sent += run_open_load(target, requests, rate, budget.seconds, cap).planned
            finally:
                injector.apply(None)
                injector.reset()

    every = max(0.2, budget.seconds / 8)
    scrapes = scrape_during(metrics.scrape, load, every_s=every)
    note = "" if can_fault else f"no faulted phase: {why_missing(target, FaultInjection)}"
    return MetricsLoad(scrapes, None, phases.get("faulted"), sent, note)


def _against_baseline(
    engagement: Engagement, evaluation: Evaluation, decisions: Decisions
) -> tuple[Evaluation | None, Comparison | None, str]:
    try:
        baseline = load_baseline(engagement)
    except PlaybookError as exc:
        return None, None, f"the baseline could not be read: {exc}"
    if baseline is None:
        return (
            None,
            None,
            "no accepted baseline yet: accept this run's evaluation with "
            "`playbook baseline accept <run folder>`, and later runs are compared with it",
        )
    if baseline.target and baseline.target != evaluation.target:
        return (
            baseline,
            None,
            f"the baseline measured {baseline.target}, this run {evaluation.target}: accept a "
            "baseline of this target to compare",
        )
    tolerance = decisions.observability.golden_regression_tolerance
    return baseline, compare(evaluation, baseline, tolerance), ""


def evaluation_history(runs: Path, spec: str, current: Path) -> list[Evaluation]:
    """The evaluations of the engagement's runs of the same target, oldest first (this run's
    included); a damaged file is left out."""
    found = []
    folders = sorted(runs.glob("*")) if runs.is_dir() else []
    if current.resolve().parent != runs.resolve():
        folders.append(current)
    for folder in folders:
        path = folder / EVALUATION_FILE
        if not path.is_file():
            continue
        try:
            evaluation = load_evaluation(path)
        except PlaybookError:
            continue
        if evaluation.target == spec:
            found.append(evaluation)
    return found


def _drift(engagement: Engagement, items: Sequence[GoldenItem]) -> tuple[Drift | None, str]:
    if not engagement.query_log:
        return None, "no query log in the engagement (field 'query_log')"
    try:
        return drift(engagement.resolve(engagement.query_log), items), ""
    except PlaybookError as exc:
        return None, str(exc)


ALERT_RULES_FILE = "alert_rules.yml"


def write_alert_rules(run: ObservabilityRun, run_dir: Path) -> Path | None:
    """The rules that can fire, as `<run>/alert_rules.yml` (a Prometheus rules file); None when
    the target exposes nothing to alert on."""
    if not any(rule.can_fire and rule.expr for rule in run.rules):
        return None
    path = Path(run_dir) / ALERT_RULES_FILE
    write_text_atomic(path, prometheus_rules(run.rules, group=f"playbook-{run.target}"))
    return path
