"""Freshness: the served age against the decided window, and a change reaching answers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from playbook.decisions import UpdateCadence
from playbook.engagement import load_engagement
from playbook.gaps import data
from playbook.reference.system import ReferenceSystem
from playbook.targets import connect

from .world import (
    WINDOW,
    exercise_of,
)

# ---- freshness -------------------------------------------------------------------------------


def test_freshness_judges_the_served_age_against_the_decided_window(world: Path) -> None:
    engagement = load_engagement(world)
    target = connect("reference:production", engagement, workdir=world / "fresh")
    try:
        now = dt.datetime.now(dt.UTC)
        statuses = {}
        for hours in (0, 30, 100):
            table = data.freshness_table(
                target, engagement, WINDOW, now + dt.timedelta(hours=hours)
            )
            statuses[hours] = data.check_freshness(table, WINDOW).status
            assert list(table["source"]) == ["handbook", "wiki", "records"]
        assert statuses == {0: "pass", 30: "warn", 100: "fail"}
    finally:
        target.close()


def test_a_document_held_back_is_as_old_as_its_last_good_version(world: Path, tmp_path) -> None:
    engagement = load_engagement(world)
    target = connect("reference:production", engagement, workdir=tmp_path / "held")
    try:
        system = target.system  # type: ignore[attr-defined]
        system.ingest(
            [
                source.model_copy(update={"path": str(world / "drop" / source.name)})
                for source in system.sources
            ]
        )  # the whole source replaced by the drop: its broken documents are held back
        table = data.freshness_table(target, engagement, WINDOW).set_index("source")
        assert table.loc["records", "held_back"] == 1
        assert table.loc["records", "oldest_age_h"] > table.loc["records", "newest_age_h"]
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=23.99)
        aged = data.freshness_table(target, engagement, WINDOW, later).set_index("source")
        assert aged.loc["records", "status"] in ("pass", "warn")
    finally:
        target.close()


def test_a_cache_that_outlives_an_ingest_fails_freshness(
    world: Path, fresh_table, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ReferenceSystem, "_clear_cache", lambda self: None)
    exercise = exercise_of(world, "reference:production")
    assert isinstance(exercise, data.PipelineExercise)
    assert not exercise.arrival.arrived
    check = data.check_freshness(fresh_table, WINDOW, exercise)
    assert check.status == "fail" and "never reached answers" in check.detail


def test_a_change_reaches_answers_within_the_cadence_on_both_profiles(
    prototype: data.PipelineExercise, production: data.PipelineExercise, fresh_table
) -> None:
    table = fresh_table
    for exercise in (prototype, production):
        assert exercise.arrival.arrived and exercise.arrival.seconds is not None
        assert data.check_freshness(table, WINDOW, exercise).status == "pass"
    slow = UpdateCadence(cadence_hours=80, warn_after_hours=80, error_after_hours=80)
    assert data.check_freshness(table, slow, production).status == "fail"
