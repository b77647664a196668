"""Fixtures of the reference tests: a small world and a factory of systems over it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from playbook.reference import store as store_module
from playbook.reference.settings import ReferenceSettings
from playbook.reference.switches import Hardening
from playbook.reference.system import ReferenceSystem
from playbook.users import UserDirectory

from .world import build_world, sources_of


@pytest.fixture
def world(tmp_path: Path) -> Path:
    """A world folder in tmp_path (see `world.build_world`)."""
    return build_world(tmp_path / "world")


SystemFactory = Callable[..., ReferenceSystem]


@pytest.fixture(params=["fts5", "impacts"])
def ranking(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Production retrieval on each of its rankings: FTS5's bm25() (a small store) and the
    precomputed bm25s impacts (a store of IMPACTS_FROM_PASSAGES passages or more)."""
    threshold = 0 if request.param == "impacts" else 1 << 40
    monkeypatch.setattr(store_module, "IMPACTS_FROM_PASSAGES", threshold)
    return request.param


@pytest.fixture
def make_system(world: Path, tmp_path: Path) -> Iterator[SystemFactory]:
    """Build systems over the world: a profile name plus switch overrides, ingested once."""
    built: list[ReferenceSystem] = []

    def build(profile: str = "production", ingest: bool = True, **options) -> ReferenceSystem:
        switches = options.pop("switches", {})
        hardening = Hardening.preset(profile).with_switches(switches)
        workdir = options.pop("workdir", tmp_path / f"system-{len(built)}")
        settings = ReferenceSettings(
            workdir=workdir,
            hardening=hardening,
            sources=options.pop("sources", sources_of(world)),
            users=UserDirectory.load(world / "users.yaml"),
            **options,
        )
        system = ReferenceSystem(settings)
        built.append(system)
        if ingest:
            system.ingest()
        return system

    yield build
    for system in built:
        system.close()
