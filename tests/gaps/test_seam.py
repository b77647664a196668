"""The seam between checks and targets: the data drill and the fault matrix run on a system the
playbook has never seen (a Python callable of the tests' own, `team_rag`), through the
capabilities its engagement declares, and give verdicts on both sides, never skips."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import playbook.gaps
from playbook.engagement import Engagement, load_engagement
from playbook.gaps import data, failure
from playbook.golden import engagement_golden
from playbook.targets import connect
from tests.gaps import team_rag  # the module object the Python target imports by name

from .data.world import BUDGET, TOLERANCE, WINDOW, build_world
from .failure.world import DECISIONS, settings


def team_engagement(root: Path, variant: str) -> Engagement:
    """The data world, served by one deployment of the team's service."""
    module = "tests.gaps.team_rag"
    build_world(
        root,
        f"python:{module}:{variant}_answer",
        ingest_hook=f"python:{module}:{variant}_ingest",
        fault_hook=f"python:{module}:{variant}_wire",
        logs="team.log.jsonl",
    )
    engagement = load_engagement(root)
    service = getattr(team_rag, variant.upper())
    service.configure(root / "users.yaml", root / "team.log.jsonl")
    service.board = None
    service.ingest(engagement.resolved_sources())  # deployed: the team ingested once already
    return engagement


@pytest.fixture(scope="module", params=["hardened", "fragile"])
def team(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    variant = request.param
    engagement = team_engagement(tmp_path_factory.mktemp(variant), variant)
    target = connect(None, engagement)
    yield variant, engagement, target
    target.close()


def test_the_data_drill_runs_on_the_teams_own_pipeline(team, tmp_path: Path) -> None:
    variant, engagement, target = team
    exercise = data.run_exercise(
        target, engagement, tmp_path, BUDGET, str(engagement.folder / "drop")
    )
    assert isinstance(exercise, data.PipelineExercise), exercise
    assert exercise.label == f"python:tests.gaps.team_rag:{variant}_answer"
    statuses = {
        check.id: check.status
        for check in (
            data.check_validation(exercise),
            data.check_change_detection(exercise),
            data.check_format_drill(exercise, TOLERANCE),
            data.check_recovery(exercise, TOLERANCE),
        )
    }
    if variant == "hardened":
        assert set(statuses.values()) == {"pass"}, statuses
    else:
        assert statuses["data.validation"] == "fail"
        assert statuses["data.upstream_drill"] == "fail"
    lineage = data.check_lineage(data.lineage_source(exercise, target, engagement, BUDGET))
    assert lineage.status == "warn" and "not visible from outside" in lineage.detail
    table = data.freshness_table(target, engagement, WINDOW)
    assert data.check_freshness(table, WINDOW, exercise).status == "pass"


def test_the_fault_matrix_reaches_the_teams_upstream_calls_through_its_fault_hook(team) -> None:
    variant, engagement, target = team
    items = engagement_golden(engagement)[0]
    matrix = failure.run_fault_matrix(target, items, settings())
    assert matrix.route.startswith("the Python target's switchboard")
    assert len(matrix.control) >= 5 and matrix.faulted()
    control = matrix.control_of(items)
    episode = failure.run_breaker_episode(target, control, settings())
    probes = failure.run_probes(target, items, settings(), max_questions=BUDGET.requests)
    checks = {c.id: c for c in failure.failure_checks(probes, matrix, episode, DECISIONS)}
    statuses = {check_id: check.status for check_id, check in checks.items()}
    unmeasured = {i: c.detail for i, c in checks.items() if c.status in ("skip", "error")}
    assert not unmeasured, unmeasured
    if variant == "hardened":
        assert set(statuses.values()) == {"pass"}, {i: c.detail for i, c in checks.items()}
    else:
        for failing in (
            "failure.graceful_degradation",
            "failure.no_raw_failures",
            "failure.output_validation",
            "failure.latency_under_fault",
            "failure.transient_recovery",
            "failure.circuit_breaker",
            "failure.log_completeness",
        ):
            assert statuses[failing] == "fail", (failing, checks[failing].detail)


def test_no_gap_module_reaches_into_a_kind_of_target() -> None:
    folder = Path(playbook.gaps.__file__).parent
    for path in folder.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        # `.system` as an attribute (a reach into the reference's ReferenceSystem), not
        # `.system_prompt_marker` or another name that starts with it
        assert "ReferenceTarget" not in text and not re.search(r"\.system\b", text), path
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("playbook.reference"), (path, node.module)
                assert node.module not in ("playbook.targets.reference", "playbook.targets.http")
