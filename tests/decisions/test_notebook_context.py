"""Gap notebooks read the decisions through their context."""

from __future__ import annotations

from pathlib import Path

from playbook.context import open_notebook
from playbook.decisions import save_decisions
from playbook.engagement import Engagement

from .conftest import changed


def test_a_notebook_reads_the_engagements_decisions(engagement: Engagement, tmp_path: Path):
    ctx = open_notebook("04_latency", str(engagement.folder), str(tmp_path / "run"))
    assert ctx.decisions.latency_budget.p95_ms == 2500
    save_decisions(changed(ctx.decisions, "latency_budget", p95_ms=1800), engagement.decisions_path)
    assert ctx.decisions.latency_budget.p95_ms == 1800
    assert ctx.decisions.freshness.error_after_hours == 72
