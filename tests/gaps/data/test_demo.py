"""Notebook 02 on the bundled demo (data_samples and its v2 drop): the area discriminates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from playbook.decisions import load_decisions
from playbook.engagement import DEMO_TEMPLATE, SAMPLES_DIR, load_engagement
from playbook.evidence import CheckResult
from playbook.gaps import data
from playbook.targets import connect

pytestmark = pytest.mark.skipif(
    not (SAMPLES_DIR / "corpus_v2").is_dir(), reason="data_samples/ has not landed yet"
)


def demo_checks(profile: str, workdir: Path) -> dict[str, CheckResult]:
    """Every check of notebook 02 against the demo engagement, the way the notebook runs them."""
    engagement = load_engagement(DEMO_TEMPLATE)
    decisions = load_decisions(engagement.decisions_path).decisions
    window = decisions.update_cadence
    target = connect(f"reference:{profile}", engagement, workdir=workdir / "target")
    try:
        exercise = data.run_exercise(target, engagement, workdir / "work", engagement.budget)
        assert isinstance(exercise, data.PipelineExercise), exercise
        checks = data.data_checks(
            data.freshness_table(target, engagement, window),
            window,
            exercise,
            data.lineage_source(exercise, target, engagement, engagement.budget),
            decisions.observability.golden_regression_tolerance,
        )
    finally:
        target.close()
    return {check.id: check for check in checks}


def score(checks: dict[str, CheckResult]) -> float:
    points = [check.points for check in checks.values() if check.points is not None]
    return sum(points) / len(points)


def test_the_demo_prototype_scores_at_most_half_for_the_right_reasons(tmp_path: Path) -> None:
    checks = demo_checks("prototype", tmp_path)
    assert score(checks) <= 0.5
    drill = checks["data.upstream_drill"]
    assert drill.status == "fail" and "quarantined 0" in drill.detail
    assert checks["data.validation"].status == "fail"
    assert "indexed the probes" in checks["data.validation"].detail
    assert checks["data.schema_drift"].status == "fail"
    assert checks["data.change_detection"].status == "fail"
    assert (
        "reported deleted though its file still holds it" in checks["data.change_detection"].detail
    )


def test_the_demo_production_profile_scores_at_least_0_9(tmp_path: Path) -> None:
    checks = demo_checks("production", tmp_path)
    assert score(checks) >= 0.9, {k: (c.status, c.detail) for k, c in checks.items()}
    assert checks["data.upstream_drill"].status == "pass"
    assert re.search(r"kept [1-9][0-9]* last good versions", checks["data.upstream_drill"].detail)
