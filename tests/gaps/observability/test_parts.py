"""The parts of notebook 05 on inputs built by hand: traces matched to answers, metrics found by
what they measure under a team's own names, alert rules, drift, and each check's both sides."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from playbook.decisions.model import Decisions
from playbook.evaluation import evaluate
from playbook.gaps import observability
from playbook.gaps.observability.drift import drift
from playbook.gaps.observability.experiment import MetricsLoad, ObservabilityRun
from playbook.gaps.observability.follow import FollowedFailure
from playbook.gaps.observability.metrics import Scrapes, discover, histogram_quantile, parse
from playbook.golden import GoldenItem
from playbook.targets.base import Answer
from playbook.targets.capabilities import SpanRecord

DECISIONS = Decisions()
TRACE = "0af7651916cd43dd8448eb211c80319c"

# A team's exposition: none of the names are ours.
TEAM_BEFORE = """\
# HELP http_server_requests_total Requests served
# TYPE http_server_requests_total counter
http_server_requests_total{route="/ask",code="200"} 10
http_server_requests_total{route="/ask",code="500"} 0
# HELP rag_failures_total Failures by kind
# TYPE rag_failures_total counter
rag_failures_total{type="timeout"} 0
# HELP answer_latency_seconds End-to-end latency
# TYPE answer_latency_seconds histogram
answer_latency_seconds_bucket{le="0.1"} 2
answer_latency_seconds_bucket{le="0.5"} 8
answer_latency_seconds_bucket{le="1.0"} 10
answer_latency_seconds_bucket{le="+Inf"} 10
answer_latency_seconds_sum 3.0
answer_latency_seconds_count 10
"""
TEAM_AFTER = """\
# HELP http_server_requests_total Requests served
# TYPE http_server_requests_total counter
http_server_requests_total{route="/ask",code="200"} 100
http_server_requests_total{route="/ask",code="500"} 0
# HELP rag_failures_total Failures by kind
# TYPE rag_failures_total counter
rag_failures_total{type="timeout"} 9
# HELP answer_latency_seconds End-to-end latency
# TYPE answer_latency_seconds histogram
answer_latency_seconds_bucket{le="0.1"} 2
answer_latency_seconds_bucket{le="0.5"} 8
answer_latency_seconds_bucket{le="1.0"} 100
answer_latency_seconds_bucket{le="+Inf"} 100
answer_latency_seconds_sum 60.0
answer_latency_seconds_count 100
"""


def span(name, span_id, parent=None, trace=TRACE, **attributes):
    return SpanRecord(trace, span_id, parent, name, 0, 1_000_000, attributes)


def answer(status="ok", trace=TRACE, sources=("D1",)):
    return Answer("The answer.", sources, status, {}, trace)


def test_a_trace_is_complete_with_both_stages_and_their_genai_attributes():
    retrieval = {"gen_ai.operation.name": "retrieval", "gen_ai.request.model": "bm25"}
    chat = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "small-llm"}
    full = [
        span("POST /ask", "a" * 16),
        span("vector search", "b" * 16, "a" * 16, **retrieval),
        span("chat small-llm", "c" * 16, "a" * 16, **chat),
    ]
    (trace,) = observability.traces_of(["q"], [answer()], full)
    assert trace.complete and trace.stages == ("retrieval", "generation")
    # named by span name alone, the stages are found but the missing attributes are named
    bare = [span("POST /ask", "a" * 16), span("search", "b" * 16), span("llm call", "c" * 16)]
    (trace,) = observability.traces_of(["q"], [answer()], bare)
    assert not trace.complete
    assert trace.missing_attributes == ("gen_ai.operation.name", "gen_ai.request.model")
    # another request's spans never count for this answer
    (trace,) = observability.traces_of(["q"], [answer(trace="f" * 32)], full)
    assert trace.spans == () and not trace.complete


def test_a_team_exposition_is_read_by_what_its_series_measure():
    exposed = discover(TEAM_AFTER)
    assert exposed.requests == "http_server_requests_total"
    assert exposed.status_label == "code"
    assert exposed.errors == "rag_failures_total"
    assert exposed.latency == "answer_latency_seconds"
    assert exposed.cache_hits is None and exposed.empty_retrievals is None
    before, _ = parse(TEAM_BEFORE)
    after, _ = parse(TEAM_AFTER)
    window = observability.metrics.window(exposed, before, after, 10.0)
    assert window.requests == 90 and window.request_rate == 9.0
    assert window.errors_by_type == {"timeout": 9.0}
    # all 90 new observations fell in (0.5, 1.0]: the p95 interpolates inside that bucket
    assert window.p95_s == pytest.approx(0.5 + 0.5 * (0.95 * 90) / 90)


def test_histogram_quantile_follows_prometheus_interpolation():
    after, _ = parse(TEAM_BEFORE)
    # ranks: 2 below 0.1, 6 in (0.1, 0.5], 2 in (0.5, 1.0]; the median (rank 5) is in the second
    assert histogram_quantile({}, after, "answer_latency_seconds", 0.5) == pytest.approx(
        0.1 + 0.4 * (5 - 2) / 6
    )
    assert histogram_quantile({}, after, "missing_seconds", 0.5) is None


def test_alert_rules_name_the_team_series_and_say_which_modes_cannot_fire():
    exposed = discover(TEAM_AFTER)
    rules = observability.default_rules(exposed, DECISIONS.latency_budget, DECISIONS.failure_policy)
    by_watch = {rule.watches: rule for rule in rules}
    assert by_watch["timeout"].expr == (
        'sum(rate(rag_failures_total{type="timeout"}[5m])) / '
        "sum(rate(http_server_requests_total[5m])) > 0.05"
    )
    assert not by_watch["empty_retrieval"].can_fire  # the team exposes no such series
    before, _ = parse(TEAM_BEFORE)
    after, _ = parse(TEAM_AFTER)
    window = observability.metrics.window(exposed, before, after, 10.0)
    table = observability.evaluation_table(rules, window).set_index("watches")
    assert table.at["timeout", "would fire"]  # 9 of 90 answers timed out: 10% > 5%
    assert not table.at["rate_limit", "would fire"]
    # the window's p95 is 0.975 s: within the default budget, over a budget of 900 ms
    assert not table.at["latency", "would fire"]
    tight = DECISIONS.latency_budget.model_copy(update={"p95_ms": 900})
    rules = observability.default_rules(exposed, tight, DECISIONS.failure_policy)
    table = observability.evaluation_table(rules, window).set_index("watches")
    assert table.at["latency", "would fire"]


def test_drift_is_zero_when_users_ask_like_the_golden_set_and_grows_when_they_do_not(tmp_path):
    items = [
        GoldenItem(id="g1", question="How many leave days do I get?", tags=("hr",)),
        GoldenItem(id="g2", question="How do I reset my VPN token?", tags=("it",)),
    ]
    same = tmp_path / "same.csv"
    same.write_text("question_id\ng1\ng2\n")
    assert drift(same, items).distance == pytest.approx(0.0)
    skewed = tmp_path / "skewed.csv"
    skewed.write_text("question\nhow many leave days do I get\nleave days how many\nparking?\n")
    result = drift(skewed, items)
    assert result.unplaced == 1 and result.asked == {"hr": 2}
    # asked {hr: 1}, golden {hr: .5, it: .5}, their middle {hr: .75, it: .25}
    divergence = (math.log2(1 / 0.75) + 0.5 * math.log2(0.5 / 0.75) + 0.5 * math.log2(2)) / 2
    assert result.distance == pytest.approx(math.sqrt(divergence))


def test_a_query_log_without_known_columns_is_a_clear_error(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("when,text\n2026,hello\n")
    with pytest.raises(Exception, match="expected a column 'question_id'"):
        drift(log, [GoldenItem(id="g1", question="q")])


# ---- each check on both sides, from a run built by hand ----------------------------------------


def run_of(**overrides) -> ObservabilityRun:
    items = [GoldenItem(id="g1", question="q", gold_docs=("D1",), reference_answer="The answer.")]
    asked = {"g1": answer()}
    fields = {
        "target": "http://team",
        "evaluation": evaluate(items, asked, target="http://team"),
        "asked": asked,
        "traces": None,
        "spans_missing": "no traces to read (field 'target.otlp_port')",
        "span_source": "",
        "logged": None,
        "logs_missing": "no log (field 'target.logs')",
        "followed": FollowedFailure("", None, "nothing failed"),
        "metrics": MetricsLoad(None, "no metrics endpoint (field 'target.metrics_url')"),
        "rules": [],
        "baseline": None,
        "comparison": None,
        "baseline_note": "no accepted baseline yet",
    }
    fields.update(overrides)
    return ObservabilityRun(**fields)


def test_a_black_box_that_declares_nothing_is_skipped_with_the_field_to_declare():
    checks = {c.id: c for c in observability.observability_checks(run_of(), DECISIONS)}
    for check_id, field in (
        ("observability.trace_coverage", "target.otlp_port"),
        ("observability.log_completeness", "target.logs"),
        ("observability.metrics_exposed", "target.metrics_url"),
        ("observability.alert_rules", "target.metrics_url"),
    ):
        assert checks[check_id].status == "skip" and field in checks[check_id].detail
    assert checks["observability.quality_floor"].status == "pass"
    assert checks["observability.golden_regression"].status == "skip"


def test_the_quality_floor_fails_below_the_decision_and_errors_on_nothing_measured():
    items = [GoldenItem(id="g1", question="q", gold_docs=("D1",), reference_answer="The answer.")]
    wrong = evaluate(items, {"g1": answer(sources=("D9",))})
    result = observability.check_quality_floor(run_of(evaluation=wrong), DECISIONS)
    assert result.status == "fail" and "below the floor: hit@5" in result.detail
    nothing = evaluate(items, {})
    assert observability.check_quality_floor(run_of(evaluation=nothing), DECISIONS).status == (
        "error"
    )


def test_metrics_that_do_not_move_under_load_fail_and_an_unreadable_endpoint_is_an_error():
    exposed = discover(TEAM_AFTER)
    before, _ = parse(TEAM_BEFORE)
    still = Scrapes([0.0, 1.0], [before, before], exposed)
    result = observability.check_metrics_exposed(run_of(metrics=MetricsLoad(still, sent=40)))
    assert result.status == "fail" and "0 requests counted while 40 were sent" in result.detail
    after, _ = parse(TEAM_AFTER)
    moved = Scrapes([0.0, 1.0], [before, after], exposed)
    result = observability.check_metrics_exposed(run_of(metrics=MetricsLoad(moved, sent=90)))
    assert result.status == "warn" and "not found: empty retrievals, cache hits" in result.detail
    broken = Scrapes(error="OSError: connection refused")
    result = observability.check_metrics_exposed(run_of(metrics=MetricsLoad(broken)))
    assert result.status == "error" and "connection refused" in result.detail


def test_log_completeness_needs_every_answer_logged_and_the_failure_followed():
    failed = Answer("x", (), "error", {}, TRACE, "ServerError: 503")
    followed = FollowedFailure(
        "q",
        failed,
        "a 5xx",
        ({"traceId": TRACE, "errorType": "ServerError"},),
        (span("s", "a" * 16),),
    )
    good = run_of(logged={"g1": True}, logs_missing=None, followed=followed)
    assert observability.check_log_completeness(good).status == "pass"
    unlogged = run_of(logged={"g1": False}, logs_missing=None, followed=followed)
    assert observability.check_log_completeness(unlogged).status == "fail"
    untyped = FollowedFailure("q", failed, "a 5xx", ({"traceId": TRACE},), (span("s", "a" * 16),))
    result = observability.check_log_completeness(
        run_of(logged={"g1": True}, logs_missing=None, followed=untyped)
    )
    assert result.status == "fail"


def test_coverage_table_has_a_row_per_answer():
    table = observability.coverage_table(observability.traces_of(["q"], [answer()], []))
    assert isinstance(table, pd.DataFrame) and list(table["complete"]) == [False]
