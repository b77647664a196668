"""Small worlds for the decisions tests: the demo decisions, and engagements in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from playbook.decisions import Decisions, load_decisions
from playbook.engagement import DEMO_TEMPLATE, Engagement, create_engagement, load_engagement

DEMO_DECISIONS = DEMO_TEMPLATE / "decisions.yaml"


@pytest.fixture()
def demo() -> Decisions:
    """The bundled demo decisions: consistent and accepted (read only, never written)."""
    loaded = load_decisions(DEMO_DECISIONS)
    assert loaded.ok, loaded.problems
    return loaded.decisions


@pytest.fixture()
def engagement(tmp_path: Path) -> Engagement:
    """A team's own engagement folder, created from the templates in tmp_path."""
    return load_engagement(create_engagement(tmp_path / "team-a", template=DEMO_TEMPLATE))


def changed(decisions: Decisions, decision: str, **values: object) -> Decisions:
    """A copy of `decisions` with some values of one decision (attribute name) changed."""
    part = getattr(decisions, decision)
    validated = type(part).model_validate({**part.model_dump(), **values})
    return decisions.model_copy(update={decision: validated})
