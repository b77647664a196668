"""Notebook 05 on the reference system: production is observable and the prototype is not, turning
telemetry off fails exactly the checks that read it, and the evaluation loop catches a planted
regression (retrieval without its index) while a change that does not touch quality passes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from playbook.decisions import load_decisions
from playbook.engagement import DEMO_TEMPLATE, load_engagement
from playbook.evaluation import accept_baseline, load_evaluation
from playbook.gaps import observability
from playbook.golden import engagement_golden
from playbook.targets import connect

TELEMETRY_CHECKS = {
    "observability.trace_coverage",
    "observability.log_completeness",
    "observability.metrics_exposed",
    "observability.alert_rules",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A copy of the demo engagement (baselines are written into it), at quick depth."""
    folder = tmp_path_factory.mktemp("demo") / "engagement"
    shutil.copytree(DEMO_TEMPLATE, folder)
    engagement = load_engagement(folder).with_overrides(depth="quick")
    decisions = load_decisions(engagement.decisions_path).decisions
    items, _ = engagement_golden(engagement)
    return engagement, decisions, items


def measure(demo, spec: str, run_dir: Path, **switches):
    engagement, decisions, items = demo
    if switches:
        engagement = engagement.with_overrides(target__switches=switches)
    run_dir.mkdir(parents=True)
    target = connect(spec, engagement, workdir=run_dir / "work")
    try:
        run = observability.run_observability(
            target, engagement, items, decisions, engagement.budget, run_dir
        )
    finally:
        target.close()
    return run, {check.id: check for check in observability.observability_checks(run, decisions)}


def test_production_is_observable_end_to_end(demo, tmp_path):
    run, checks = measure(demo, "reference:production", tmp_path / "runs" / "r1")
    for check_id in TELEMETRY_CHECKS | {"observability.quality_floor"}:
        assert checks[check_id].status == "pass", checks[check_id].detail
    assert checks["observability.golden_regression"].status == "skip"
    assert "playbook baseline accept" in checks["observability.golden_regression"].detail
    # the failure followed is one the notebook caused, and its trace id found its spans and logs
    assert run.followed.how == "a 5xx injected at generation"
    assert any(span.status == "error" for span in run.followed.spans)
    # the load's faulted phase moved the typed error series, and the 5xx alert would have fired
    fired = observability.evaluation_table(run.rules, run.metrics.scrapes.whole())
    firing = set(fired.loc[fired["would fire"], "alert"])
    assert {"ServerErrorFailures", "AnswerErrorsOverLimit"} <= firing
    assert "TimeoutFailures" not in firing
    # the evaluation is kept in the run folder, as `playbook baseline accept` reads it
    kept = load_evaluation(tmp_path / "runs" / "r1" / "evaluation.json")
    assert kept.target == "reference:production" and len(kept.questions) == len(run.asked)


def test_the_alert_rules_file_is_prometheus_rules_for_the_exposed_series(demo, tmp_path):
    run, _ = measure(demo, "reference:production", tmp_path / "runs" / "r1")
    path = observability.write_alert_rules(run, tmp_path)
    rules = yaml.safe_load(path.read_text())["groups"][0]["rules"]
    by_name = {rule["alert"]: rule for rule in rules}
    assert len(rules) == 8
    assert by_name["ServerErrorFailures"]["expr"] == (
        'sum(rate(reference_errors_total{type="server_error"}[5m])) / '
        "sum(rate(reference_requests_total[5m])) > 0.05"
    )
    assert "reference_stage_seconds_bucket" in by_name["AnswerLatencyOverBudget"]["expr"]
    assert all(set(rule) == {"alert", "expr", "for", "labels", "annotations"} for rule in rules)


@pytest.mark.parametrize(
    ("spec", "switches"),
    [("reference:prototype", {}), ("reference:production", {"telemetry": False})],
    ids=["prototype", "production-without-telemetry"],
)
def test_without_telemetry_the_checks_that_read_it_fail_and_the_rest_still_measure(
    demo, tmp_path, spec, switches
):
    _, checks = measure(demo, spec, tmp_path / "runs" / "r1", **switches)
    for check_id in TELEMETRY_CHECKS:
        assert checks[check_id].status == "fail", (check_id, checks[check_id].detail)
    assert checks["observability.quality_floor"].status in ("pass", "fail")
    assert checks["observability.quality_floor"].observed is not None


def test_a_planted_regression_is_caught_and_a_change_that_keeps_quality_is_not(demo, tmp_path):
    engagement = demo[0]
    runs = Path(engagement.folder) / "runs"
    baseline_run, _ = measure(demo, "reference:production", runs / "1-baseline")
    accept_baseline(engagement, runs / "1-baseline")

    _, unchanged = measure(demo, "reference:production", runs / "2-no-cache", cache=False)
    assert unchanged["observability.golden_regression"].status == "pass"

    degraded, regressed = measure(demo, "reference:production", runs / "3-scan", index=False)
    result = regressed["observability.golden_regression"]
    assert result.status == "fail", result.detail
    hit = next(metric for metric in degraded.comparison.metrics if metric.metric == "hit")
    assert hit.verdict == "regression" and hit.high < 0
    worse = {change.id for change in hit.worse}
    assert worse and worse <= set(degraded.asked)
    assert all(degraded.evaluation.questions.at[q, "hit"] == 0.0 for q in worse)
    assert all(baseline_run.evaluation.questions.at[q, "hit"] == 1.0 for q in worse)
    # the history holds the three runs of this target, oldest first
    assert [e.run_id for e in degraded.history] == ["1-baseline", "2-no-cache", "3-scan"]
