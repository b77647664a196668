"""Team mode for workshops: one engagement folder per team under a workshop folder, and the teams
side by side (their decisions, their latest scores, the first steps of their improvement plans)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from playbook.decisions import compare_decisions
from playbook.errors import PlaybookError
from playbook.evidence import read_run_evidence
from playbook.history import run_history
from playbook.plan import improvement_plan, next_steps
from playbook.scorecard import build_scorecard

TEAM_NAME_CHARS = "letters, digits, '-' and '_'"


@dataclass(frozen=True)
class TeamsComparison:
    decisions: pd.DataFrame  # a row per decision setting, a column per team
    scores: pd.DataFrame  # a row per team: its latest run's readiness, gate and area scores
    next_steps: pd.DataFrame  # a row per team: the three things it should do next


def team_folder(workshop: Path, team: str) -> Path:
    """Where team `team` of a workshop keeps its engagement."""
    if not team or not all(char.isalnum() or char in "-_" for char in team):
        raise PlaybookError(f"team name {team!r}: expected {TEAM_NAME_CHARS}")
    return Path(workshop) / team


def team_folders(workshop: Path) -> list[Path]:
    """The engagement folders of a workshop folder's teams, by name."""
    workshop = Path(workshop)
    if not workshop.is_dir():
        raise PlaybookError(f"{workshop}: no such workshop folder")
    found = sorted(p for p in workshop.iterdir() if (p / "engagement.yaml").is_file())
    if not found:
        raise PlaybookError(
            f"{workshop}: no team folder (create one with `playbook new {workshop} --team NAME`)"
        )
    return found


def compare_teams(folders: Sequence[Path]) -> TeamsComparison:
    """The teams' decisions, latest scores and first steps side by side."""
    if len(folders) < 2:
        raise PlaybookError("compare at least two team folders")
    decisions = compare_decisions(list(folders))
    score_rows, step_rows = [], []
    for folder in folders:
        history = run_history(folder)
        latest = history.iloc[-1] if len(history) else None
        row = {"team": folder.name}
        if latest is None:
            row.update({"run": "no run yet"})
        else:
            row.update(latest.drop(labels=["problem"], errors="ignore").to_dict())
        score_rows.append(row)
        step_rows.append({"team": folder.name, **_steps(folder, latest)})
    scores = pd.DataFrame(score_rows).set_index("team")
    steps = pd.DataFrame(step_rows).set_index("team")
    return TeamsComparison(decisions, scores, steps)


def _steps(folder: Path, latest: pd.Series | None) -> dict[str, str]:
    if latest is None:
        return {"next step 1": "run the playbook first"}
    run_dir = folder / "runs" / str(latest["run"])
    evidence = read_run_evidence(run_dir)
    minimum = latest.get("min_readiness")
    gate = float(minimum) if isinstance(minimum, int | float) and minimum == minimum else 0.8
    plan = improvement_plan(build_scorecard(evidence, gate), evidence)
    return {f"next step {n}": step for n, step in enumerate(next_steps(plan, 3), start=1)}
