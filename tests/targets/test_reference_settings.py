"""Stage timeouts of the reference system come from the latency-budget decision."""

import shutil

import yaml

from playbook.engagement import DEMO_TEMPLATE, load_engagement
from playbook.reference.faults import Fault, FaultPlan
from playbook.reference.system import ReferenceSystem, decided_budgets


def engagement_with_generation_budget(tmp_path, generation_ms: int):
    folder = tmp_path / f"budget-{generation_ms}"
    shutil.copytree(DEMO_TEMPLATE, folder)
    decisions = yaml.safe_load((folder / "decisions.yaml").read_text(encoding="utf-8"))
    decisions["latency-budget"]["generation_ms"] = generation_ms
    (folder / "decisions.yaml").write_text(yaml.safe_dump(decisions), encoding="utf-8")
    return load_engagement(folder)


def test_the_decided_stage_budgets_become_the_timeouts(tmp_path):
    budgets = decided_budgets(engagement_with_generation_budget(tmp_path, 1200))
    assert budgets.generation == 1.2
    assert budgets.retrieval == 0.3


def test_a_generation_slower_than_its_decided_budget_is_cut_off(tmp_path):
    question = "How many days of paid annual leave do full-time employees receive?"
    slow = FaultPlan.of(Fault("latency", "generation", rate=1.0, seed=1, seconds=0.6))
    statuses = {}
    for generation_ms in (200, 1500):
        engagement = engagement_with_generation_budget(tmp_path, generation_ms)
        system = ReferenceSystem.from_engagement(engagement, "production", tmp_path / "w")
        system.ingest()
        system.set_faults(slow)
        statuses[generation_ms] = system.ask(question, "u-alice").status
        system.close()
        shutil.rmtree(tmp_path / "w")
    assert statuses == {200: "degraded", 1500: "ok"}
