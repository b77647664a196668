"""The exercise on pipelines other than a reference twin: an ingest hook, no hook, no drop, and
the other profile as a companion; lineage and tables of a run."""

from __future__ import annotations

from pathlib import Path

import pytest

from playbook.charts import data as draw
from playbook.engagement import Engagement, load_engagement
from playbook.gaps import data
from playbook.targets import connect

from .world import (
    BUDGET,
    TOLERANCE,
    WINDOW,
    build_world,
    write,
)

# ---- targets that are not the reference system ------------------------------------------------


TEAM_MODULE = '''
"""A team's own pipeline: the reference system behind a plain function, with an ingest hook."""
import os
from pathlib import Path

from playbook.reference.settings import ReferenceSettings
from playbook.reference.switches import Hardening
from playbook.reference.system import ReferenceSystem
from playbook.users import UserDirectory

HERE = Path(__file__).parent
SYSTEM = ReferenceSystem(
    ReferenceSettings(
        HERE / "team-store", Hardening.preset("production"), (),
        UserDirectory.load(HERE / "users.yaml"),
    )
)
CALLS = []


def answer(question, user=None):
    return SYSTEM.ask(question, user)


def ingest(sources):
    CALLS.append([source.path for source in sources])
    report = SYSTEM.ingest(sources)
    return {"read": report.read, "added": report.added, "changed": report.changed,
            "deleted": report.deleted, "unchanged": report.unchanged,
            "quarantined": len(report.quarantined)}
'''


def team_world(root: Path, module: str, hook: bool) -> Engagement:
    extra = {"ingest_hook": f"python:{module}:ingest"} if hook else {}
    build_world(root, f"python:{module}:answer", **extra)
    write(root / f"{module}.py", TEAM_MODULE)
    engagement = load_engagement(root)
    if not hook:  # without a hook the team ingests on its own; here, once, before measuring
        from playbook.targets.python_callable import load_callable

        load_callable(f"python:{module}:ingest", search_path=root)(
            [
                s.model_copy(update={"path": str(engagement.resolve(s.path))})
                for s in engagement.data_sources
            ]
        )
    return engagement


def test_a_target_without_an_ingest_hook_skips_the_drill_and_traces_citations_to_files(
    tmp_path: Path,
) -> None:
    engagement = team_world(tmp_path, "team_no_hook", hook=False)
    target = connect(None, engagement)
    exercise = data.run_exercise(target, engagement, tmp_path / "w", BUDGET, str(tmp_path / "drop"))
    assert isinstance(exercise, data.Unavailable) and exercise.status == "skip"
    assert "ingest_hook" in exercise.reason
    for check in (
        data.check_validation(exercise),
        data.check_change_detection(exercise),
        data.check_format_drill(exercise, TOLERANCE),
        data.check_recovery(exercise, TOLERANCE),
    ):
        assert check.status == "skip" and "ingest_hook" in check.detail
    lineage = data.lineage_source(exercise, target, engagement, BUDGET)
    check = data.check_lineage(lineage)
    assert check.status == "warn" and "not visible from outside" in check.detail
    assert all(record.path and record.path.startswith(str(tmp_path)) for record in lineage.lineage)
    table = data.freshness_table(target, engagement, WINDOW)
    assert set(table["basis"]) == {"source file times (what the target can have at best)"}
    assert data.check_freshness(table, WINDOW, exercise).status == "pass"


def test_an_ingest_hook_lets_the_drill_run_on_a_team_pipeline(tmp_path: Path) -> None:
    import sys

    engagement = team_world(tmp_path, "team_with_hook", hook=True)
    target = connect(None, engagement)
    exercise = data.run_exercise(target, engagement, tmp_path / "w", BUDGET, str(tmp_path / "drop"))
    assert isinstance(exercise, data.PipelineExercise) and not exercise.visible
    assert data.check_format_drill(exercise, TOLERANCE).status == "pass"
    assert data.check_recovery(exercise, TOLERANCE).status == "pass"
    assert data.check_validation(exercise).status == "pass"  # kept out, 5 reported quarantined
    assert data.check_change_detection(exercise).status == "pass"
    assert data.check_schema_drift(exercise).status == "skip"
    assert exercise.arrival.arrived
    calls = sys.modules["team_with_hook"].CALLS
    declared = [str(engagement.resolve(s.path)) for s in engagement.data_sources]
    assert calls[-1] == declared  # the team's pipeline gets its own sources back afterwards


def test_without_a_usable_drop_only_the_drill_and_schema_drift_are_skipped(
    world: Path, tmp_path: Path
) -> None:
    (tmp_path / "elsewhere" / "blog").mkdir(parents=True)
    engagement = load_engagement(world)
    target = connect("reference:production", engagement, workdir=tmp_path / "t")
    try:
        for drop, reason in ((str(tmp_path / "elsewhere"), "handbook"), ("", "upstream_drop")):
            exercise = data.run_exercise(target, engagement, tmp_path / "w", BUDGET, drop)
            assert isinstance(exercise, data.PipelineExercise) and exercise.drop is None
            for check in (
                data.check_format_drill(exercise, TOLERANCE),
                data.check_schema_drift(exercise),
            ):
                assert check.status == "skip" and reason in check.detail
            assert data.check_validation(exercise).status == "pass"
            assert data.check_change_detection(exercise).status == "pass"
            assert data.check_recovery(exercise, TOLERANCE).status == "pass"
    finally:
        target.close()


def test_citations_of_a_reference_target_trace_through_its_own_lineage(world: Path) -> None:
    engagement = load_engagement(world)
    target = connect("reference:prototype", engagement, workdir=world / "traced")
    try:
        traced = data.trace_citations(target, engagement, BUDGET)
    finally:
        target.close()
    assert isinstance(traced, data.CitationTrace) and traced.lineage
    assert all(record.version == 1 for record in traced.lineage)
    assert data.check_lineage(traced).status == "pass"


def test_tables_and_figures_build_for_a_run_and_for_an_unavailable_exercise(
    prototype: data.PipelineExercise, production: data.PipelineExercise, fresh_table
) -> None:
    assert len(draw.freshness_figure(fresh_table, WINDOW).data) == 4  # 2 ages, 2 window lines
    assert list(data.steps_table(prototype).index)[-1] == "rollback"
    assert len(data.probes_table(production)) == len(data.INVALID_PROBES)
    assert set(data.quality_table([prototype, production, None])["pipeline"]) == {
        "reference:prototype",
        "reference:production",
    }
    assert len(draw.quality_figure([prototype, production]).data) == 4
    assert len(draw.changes_figure(prototype).data) == 6
    unavailable = data.Unavailable("no drop")
    assert list(data.steps_table(unavailable).columns) == ["not measured"]
    assert draw.changes_figure(unavailable).data == ()


def test_the_companion_of_a_prototype_target_is_the_production_profile(world: Path) -> None:
    engagement = load_engagement(world)
    target = connect("reference:prototype", engagement, workdir=world / "companion")
    try:
        other = data.companion_exercise(
            target, engagement, world / "companion-work", BUDGET, str(world / "drop")
        )
    finally:
        target.close()
    assert isinstance(other, data.PipelineExercise) and other.label == "reference:production"


def test_the_companion_asks_for_a_quarter_of_the_time(world: Path, monkeypatch) -> None:
    """Shown for comparison: a prototype re-reading a large corpus for every question must not
    spend a quick run's minute on it."""
    import playbook.gaps.data.exercise as exercise

    shares = []
    real = exercise.run_exercise

    def recorded(*args, **kwargs):
        result = real(*args, **kwargs)
        shares.append(args[6] if len(args) > 6 else kwargs.get("share", 1.0))
        return result

    monkeypatch.setattr(exercise, "run_exercise", recorded)
    engagement = load_engagement(world)
    target = connect("reference:prototype", engagement, workdir=world / "quarter")
    try:
        data.companion_exercise(
            target, engagement, world / "quarter-work", BUDGET, str(world / "drop")
        )
    finally:
        target.close()
    assert shares == [exercise.COMPANION_SHARE] and exercise.COMPANION_SHARE == 0.25
    full = exercise.ExerciseLimits.from_budget(BUDGET)
    assert exercise.ExerciseLimits.from_budget(BUDGET, 0.25).seconds_per_phase == pytest.approx(
        full.seconds_per_phase / 4
    )
