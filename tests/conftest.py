"""Fixtures shared by the test packages."""

from __future__ import annotations

from pathlib import Path

import pytest

from playbook.sources import formats, parse_workers


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the Markdown files parsed from now on (in this process, to count them)."""
    names: list[str] = []
    original = formats.markdown

    def counting(text, path, *rest):
        names.append(Path(path).name)
        return original(text, path, *rest)

    monkeypatch.setattr(formats, "markdown", counting)
    monkeypatch.setattr(parse_workers, "worker_count", lambda files: 0)
    return names
