"""Run history: every run of an engagement in time order with the scores it recorded, damaged
runs listed with their problem, a trend chart, and what changed since the last visit."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from playbook.history import changes_since_last, run_history, trend_figure
from playbook.notebooks import SCORED_AREAS
from playbook.runner import new_run_id
from playbook.scorecard import Scorecard, build_scorecard

from .conftest import evidence_of, result


def scorecard(**statuses: str | None) -> Scorecard:
    """Every scored area in scope; `data="fail"` gives data one failing check, None leaves an
    area unmeasured, an omitted area passes."""
    checks = []
    for area in SCORED_AREAS:
        status = statuses.get(area, "pass")
        if status is not None:
            checks.append(result(f"{area}.probe", status))
    return build_scorecard(evidence_of(*checks) if checks else [], 0.8)


def write_run(
    folder: Path, started: datetime, card: Scorecard | None, target: str = "reference:prototype"
) -> str:
    """A run folder with run.json shaped as playbook.runner writes it."""
    run_id = new_run_id(started)
    run_dir = folder / "runs" / run_id
    run_dir.mkdir(parents=True)
    record = {
        "run_id": run_id,
        "engagement": "demo-support-assistant",
        "target": target,
        "depth": "quick",
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": None if card is None else started.isoformat(timespec="seconds"),
        "versions": {"python": "3.11"},
        "notebooks": [
            {"name": "00_engagement", "status": "ok", "seconds": 1.0, "error": None},
        ],
        "scorecard": None if card is None else card.to_contract(),
    }
    if card is not None:
        record["report"] = "report.html"
    (run_dir / "run.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    return run_id


@pytest.fixture()
def engagement(tmp_path: Path) -> Path:
    """Three runs written out of order: a prototype, a better one, and production."""
    folder = tmp_path / "engagement"
    third = write_run(
        folder, datetime(2026, 11, 29, 9, 0, tzinfo=UTC), scorecard(), "reference:production"
    )
    first = write_run(
        folder,
        datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
        scorecard(data="fail", failure="fail", security=None),
    )
    second = write_run(
        folder, datetime(2026, 11, 16, 9, 0, tzinfo=UTC), scorecard(failure="warn", latency="fail")
    )
    folder.joinpath("ids").write_text(" ".join((first, second, third)))
    return folder


def test_runs_come_out_in_time_order_with_the_scores_they_recorded(engagement: Path):
    history = run_history(engagement)
    assert list(history["run"]) == (engagement / "ids").read_text().split()
    assert list(history.columns[:7]) == [
        "run", "started", "target", "readiness", "coverage", "gate", "min_readiness"
    ]  # fmt: skip
    assert list(history.columns[7:-1]) == list(SCORED_AREAS)
    assert list(history["target"]) == ["reference:prototype"] * 2 + ["reference:production"]
    first, second, third = (row for _, row in history.iterrows())
    assert first["data"] == 0.0 and first["failure"] == 0.0 and first["scope"] == 1.0
    assert first["security"] is None  # not measured: empty, never 0
    assert first["readiness"] == 0.0 and first["gate"] == "fail"
    assert first["coverage"] == pytest.approx(6 / 7, abs=1e-4)
    assert second["failure"] == 0.5 and second["latency"] == 0.0 and second["data"] == 1.0
    assert third["readiness"] == 1.0 and third["gate"] == "pass" and third["coverage"] == 1.0
    assert list(history["problem"]) == ["", "", ""]
    assert history["started"].iloc[0] == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_a_damaged_or_unfinished_run_is_listed_with_its_problem_never_a_crash(engagement: Path):
    runs = engagement / "runs"
    damaged = runs / new_run_id(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    damaged.mkdir()
    (damaged / "run.json").write_text('{"run_id": "x", "scorecard": {', encoding="utf-8")
    unfinished = write_run(engagement, datetime(2026, 11, 30, 9, 0, tzinfo=UTC), None)
    no_record = runs / new_run_id(datetime(2026, 11, 10, 9, 0, tzinfo=UTC))
    no_record.mkdir()
    odd = write_run(engagement, datetime(2026, 11, 25, 9, 0, tzinfo=UTC), scorecard())
    data = json.loads((runs / odd / "run.json").read_text())
    data["scorecard"]["areas"]["data"] = "high"
    data["scorecard"]["gate"] = "maybe"
    (runs / odd / "run.json").write_text(json.dumps(data))

    history = run_history(engagement).set_index("run")
    assert len(history) == 7
    assert list(history.index) == sorted(history.index)  # run ids sort by their start time
    assert "not valid JSON" in history.loc[damaged.name, "problem"]
    assert history.loc[damaged.name, "readiness"] is None
    assert "no scorecard" in history.loc[unfinished, "problem"]
    assert history.loc[unfinished, "target"] == "reference:prototype"
    assert "no run.json" in history.loc[no_record.name, "problem"]
    problem = history.loc[odd, "problem"]
    assert "scorecard.areas.data: expected a number from 0 to 1 or null, got 'high'" in problem
    assert "scorecard.gate: expected pass, fail or incomplete" in problem
    assert history.loc[odd, "data"] is None and history.loc[odd, "failure"] == 1.0

    figure = trend_figure(run_history(engagement))
    readiness = next(trace for trace in figure.data if trace.name == "readiness")
    assert len(readiness.x) == 4  # the three runs and the odd one: runs with no scores are left out


def test_the_trend_has_a_line_per_area_and_readiness_with_gaps_where_not_measured(
    engagement: Path,
):
    figure = trend_figure(run_history(engagement))
    names = [trace.name for trace in figure.data]
    assert names == [*SCORED_AREAS, "readiness"]
    security = next(trace for trace in figure.data if trace.name == "security")
    assert list(security.y) == [None, 1.0, 1.0]
    readiness = next(trace for trace in figure.data if trace.name == "readiness")
    assert list(readiness.y) == [0.0, 0.0, 1.0]
    assert readiness.x[2].endswith("reference:production")
    assert figure.layout.shapes[0].y0 == 0.8  # the gate line


def test_changes_since_last_compare_the_last_two_scored_runs(engagement: Path):
    write_run(engagement, datetime(2026, 11, 30, 9, 0, tzinfo=UTC), None)  # unfinished: ignored
    changes = changes_since_last(run_history(engagement))
    assert list(changes.columns) == ["previous", "this", "change", "what changed"]
    assert list(changes.index) == [*SCORED_AREAS, "readiness"]
    assert changes.loc["latency"].tolist() == [0.0, 1.0, 1.0, "improved"]
    assert changes.loc["security"].tolist() == [1.0, 1.0, 0.0, "unchanged"]
    assert changes.loc["failure"].tolist() == [0.5, 1.0, 0.5, "improved"]
    assert changes.loc["data"].tolist() == [1.0, 1.0, 0.0, "unchanged"]
    assert changes.loc["readiness", "what changed"] == "improved"


def test_an_area_measured_again_or_no_longer_is_named_as_such(tmp_path: Path):
    write_run(tmp_path, datetime(2026, 11, 2, tzinfo=UTC), scorecard(security=None, data="warn"))
    write_run(tmp_path, datetime(2026, 11, 3, tzinfo=UTC), scorecard(latency=None, data="fail"))
    changes = changes_since_last(run_history(tmp_path))
    assert changes.loc["security"].tolist() == [None, 1.0, None, "newly measured"]
    assert changes.loc["latency", "what changed"] == "no longer measured"
    assert changes.loc["data"].tolist() == [0.5, 0.0, -0.5, "worse"]


def test_an_engagement_with_one_run_or_none_still_gives_tables(tmp_path: Path):
    empty = run_history(tmp_path)
    assert empty.empty and "readiness" in empty.columns
    assert changes_since_last(empty).empty
    assert len(trend_figure(empty).data) == 1  # an empty readiness line, no error
    write_run(tmp_path, datetime(2026, 11, 2, tzinfo=UTC), scorecard())
    changes = changes_since_last(run_history(tmp_path))
    assert changes.loc["data"].tolist() == [None, 1.0, None, "first scored run"]
