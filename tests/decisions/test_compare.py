"""Several teams' decisions side by side, with the differences highlighted."""

from __future__ import annotations

from pathlib import Path

import pytest

from playbook.decisions.compare import compare_decisions, compare_styler
from playbook.decisions.files import save_decisions
from playbook.decisions.model import Decisions
from playbook.engagement import DEMO_TEMPLATE, create_engagement
from playbook.errors import PlaybookError

from .conftest import changed


@pytest.fixture()
def teams(tmp_path: Path, demo: Decisions) -> list[Path]:
    team_a = create_engagement(tmp_path / "team-a", template=DEMO_TEMPLATE)
    team_b = create_engagement(tmp_path / "team-b", template=DEMO_TEMPLATE)
    save_decisions(changed(demo, "latency_budget", p95_ms=4000), team_b / "decisions.yaml")
    team_c = tmp_path / "team-c"
    team_c.mkdir()
    (team_c / "decisions.yaml").write_text("latency-budget: {p95_ms: fast}\n", encoding="utf-8")
    return [team_a, team_b, team_c]


def test_teams_are_columns_and_differing_fields_are_flagged(teams: list[Path]):
    frame = compare_decisions(teams[:2])
    assert list(frame.columns) == ["team-a", "team-b", "differs"]
    assert frame.loc["latency-budget.p95_ms", "team-a"] == "2500"
    assert frame.loc["latency-budget.p95_ms", "team-b"] == "4000"
    assert frame.loc["latency-budget.p95_ms", "differs"]
    assert not frame.loc["latency-budget.retrieval_ms", "differs"]
    assert list(frame.index[frame["differs"]]) == ["latency-budget.p95_ms"]


def test_a_team_with_a_broken_file_shows_its_problem_count(teams: list[Path]):
    frame = compare_decisions(teams)
    assert frame.loc["file.problems", "team-c"] == "7"
    assert frame.loc["data-location.status", "team-c"] == "proposed"


def test_the_styler_highlights_only_differing_rows(teams: list[Path]):
    frame = compare_decisions(teams[:2])
    html = compare_styler(frame).to_html()
    highlighted = html.count("background-color: #fff3cd")
    assert highlighted > 0
    assert "latency-budget.p95_ms" in html
    same = compare_decisions([teams[0], teams[0]])
    assert list(same.columns) == ["team-a", "team-a (2)", "differs"]
    assert "background-color: #fff3cd" not in compare_styler(same).to_html()


def test_a_missing_team_folder_is_a_playbook_error(tmp_path: Path):
    with pytest.raises(PlaybookError, match="team-x: not found"):
        compare_decisions([tmp_path / "team-x"])
