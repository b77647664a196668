"""Team mode: three teams' folders under one workshop folder, compared side by side."""

from __future__ import annotations

import pytest
import yaml

from playbook.engagement import DEMO_TEMPLATE, create_engagement, load_engagement
from playbook.runner import RunOptions, run_playbook
from playbook.teams import compare_teams, team_folder, team_folders

pytestmark = pytest.mark.e2e


def test_three_teams_differences_show_side_by_side(tmp_path):
    workshop = tmp_path / "workshop"
    budgets = {"team-a": 2500, "team-b": 1200, "team-c": 2500}
    for team, p95 in budgets.items():
        folder = create_engagement(team_folder(workshop, team), template=DEMO_TEMPLATE)
        decisions = yaml.safe_load((folder / "decisions.yaml").read_text())
        decisions["latency-budget"]["p95_ms"] = p95
        (folder / "decisions.yaml").write_text(yaml.safe_dump(decisions, sort_keys=False))
    (workshop / "team-c" / "runs").mkdir()  # team c has not run yet
    for team in ("team-a", "team-b"):
        run_playbook(load_engagement(workshop / team), RunOptions(only=["01"]))
    folders = team_folders(workshop)
    assert [folder.name for folder in folders] == ["team-a", "team-b", "team-c"]
    comparison = compare_teams(folders)
    p95_row = next(label for label in comparison.decisions.index if "p95_ms" in str(label))
    teams = ["team-a", "team-b", "team-c"]
    assert list(comparison.decisions.loc[p95_row, teams]) == ["2500", "1200", "2500"]
    assert comparison.scores.loc["team-c", "run"] == "no run yet"
    assert comparison.scores.loc["team-a", "decisions"] is not None
    assert comparison.next_steps.loc["team-c", "next step 1"] == "run the playbook first"
    assert comparison.next_steps.loc["team-a", "next step 1"]


def test_a_team_name_that_is_not_a_folder_name_is_refused(tmp_path):
    with pytest.raises(Exception, match="expected letters, digits"):
        team_folder(tmp_path, "../escape")
