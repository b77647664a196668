"""Fixtures of the data tests: one world and both profiles' exercises, shared by the package."""

from __future__ import annotations

from pathlib import Path

import pytest

from playbook.engagement import load_engagement
from playbook.gaps import data
from playbook.targets import connect

from .world import WINDOW, build_world, exercise_of


@pytest.fixture(scope="package")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_world(tmp_path_factory.mktemp("data-world"))


@pytest.fixture(scope="package")
def prototype(world: Path) -> data.PipelineExercise:
    exercise = exercise_of(world, "reference:prototype")
    assert isinstance(exercise, data.PipelineExercise), exercise
    return exercise


@pytest.fixture(scope="package")
def production(world: Path) -> data.PipelineExercise:
    exercise = exercise_of(world, "reference:production")
    assert isinstance(exercise, data.PipelineExercise), exercise
    return exercise


@pytest.fixture(scope="package")
def fresh_table(world: Path):
    """The freshness table of a just-ingested target: every source fresh."""
    engagement = load_engagement(world)
    target = connect("reference:production", engagement, workdir=world / "fresh-table")
    try:
        return data.freshness_table(target, engagement, WINDOW)
    finally:
        target.close()
