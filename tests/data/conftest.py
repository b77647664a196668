"""Session fixtures over the committed sample data."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest
import yaml

from .sample_files import SAMPLES, read_corpus, read_jsonl, read_markdown


@pytest.fixture(scope="session")
def build_module() -> ModuleType:
    """data_samples/build_samples.py imported as a module (its tables and check functions)."""
    spec = importlib.util.spec_from_file_location("build_samples", SAMPLES / "build_samples.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_samples", module)  # dataclasses look their module up here
    writes_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no __pycache__
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = writes_bytecode
    return module


@pytest.fixture(scope="session")
def corpus() -> dict[str, dict]:
    return read_corpus(SAMPLES / "corpus")


@pytest.fixture(scope="session")
def poisoned() -> dict[str, dict]:
    return {
        doc["id"]: {**doc, "_path": path}
        for path in sorted((SAMPLES / "poisoned").glob("*.md"))
        for doc in [read_markdown(path)]
    }


@pytest.fixture(scope="session")
def golden() -> list[dict]:
    return read_jsonl(SAMPLES / "golden.jsonl")


@pytest.fixture(scope="session")
def users() -> dict:
    return yaml.safe_load((SAMPLES / "users.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def memberships(users: dict) -> dict[str, set[str]]:
    """User id -> the groups whose documents the user may read (`all-staff` included)."""
    return {user["id"]: {*user["groups"], "all-staff"} for user in users["users"]}
