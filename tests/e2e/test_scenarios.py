"""Trainee scenarios, run as a trainee runs them: through papermill, with the `scenario` parameter.

Each scenario makes its named check fail; the documented fix (the switch set back in
engagement.yaml) makes it pass. The fix is proven end to end for one scenario, and for every
scenario at the seam where it acts (the engagement's own setting wins over the scenario's).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import papermill
import pytest
import yaml

from playbook.context import open_notebook
from playbook.engagement import DEMO_TEMPLATE
from playbook.notebooks import NOTEBOOKS_DIR
from playbook.scenarios import SCENARIOS

pytestmark = pytest.mark.e2e

ANSWERS = Path(__file__).resolve().parents[2] / "templates" / "workshop" / "answers"


def run_scenario(name: str, tmp_path: Path, engagement_dir: Path | None = None) -> dict:
    scenario = SCENARIOS[name]
    run_dir = tmp_path / "run"
    papermill.execute_notebook(
        str(NOTEBOOKS_DIR / f"{scenario.notebook}.ipynb"),
        str(tmp_path / "out.ipynb"),
        parameters={
            "scenario": name,
            "run_dir": str(run_dir),
            "depth": "quick",
            "engagement_dir": str(engagement_dir or ""),
            "interactive": False,
        },
        kernel_name="playbook",
        progress_bar=False,
    )
    evidence = json.loads((run_dir / "evidence" / f"{scenario.notebook}.json").read_text())
    return {check["id"]: check for check in evidence["checks"]}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_each_scenario_breaks_its_named_check(name, tmp_path):
    checks = run_scenario(name, tmp_path)
    scenario = SCENARIOS[name]
    assert checks[scenario.check]["status"] != "pass", checks[scenario.check]["detail"]
    assert (ANSWERS / f"{name}.md").is_file(), "every scenario has an answer in the workshop kit"


def fixed_engagement(tmp_path: Path, switch: str) -> Path:
    folder = tmp_path / "engagement"
    shutil.copytree(DEMO_TEMPLATE, folder)
    data = yaml.safe_load((folder / "engagement.yaml").read_text())
    data["target"]["switches"] = {switch: True}
    (folder / "engagement.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return folder


def test_the_documented_fix_makes_the_check_pass_again(tmp_path):
    scenario = SCENARIOS["acl_after_topk"]
    folder = fixed_engagement(tmp_path, scenario.switch)
    checks = run_scenario(scenario.name, tmp_path, folder)
    assert checks[scenario.check]["status"] == "pass", checks[scenario.check]["detail"]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_engagements_own_switch_wins_over_the_scenario(name, tmp_path):
    scenario = SCENARIOS[name]
    broken = open_notebook(scenario.notebook, "", str(tmp_path / "a"), "", "quick", name)
    assert broken.target_spec == "reference:production"
    assert broken.engagement.target.switches == {scenario.switch: False}
    folder = fixed_engagement(tmp_path, scenario.switch)
    fixed = open_notebook(scenario.notebook, str(folder), str(tmp_path / "b"), "", "quick", name)
    assert fixed.engagement.target.switches == {scenario.switch: True}


def test_a_scenario_of_another_notebook_is_refused_with_the_ones_it_has(tmp_path):
    with pytest.raises(Exception, match="expected one of acl_after_topk, pii_in_logs"):
        open_notebook("06_security_access", "", str(tmp_path), "", "quick", "slow_tail")
