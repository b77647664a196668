"""`playbook baseline accept` and `show`, run as a user would: which run is accepted, what is
written, and the one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from playbook.evaluation import evaluate, save_evaluation
from playbook.golden import GoldenItem
from playbook.targets.base import Answer
from tests.e2e.conftest import playbook

ITEMS = [
    GoldenItem(id=f"g{i}", question=f"question {i}", gold_docs=(f"d{i}",)) for i in range(1, 5)
]


def engagement(root: Path) -> Path:
    folder = root / "client"
    folder.mkdir()
    (folder / "engagement.yaml").write_text("name: client\n", encoding="utf-8")
    return folder


def add_run(folder: Path, run_id: str, hits: int | None) -> Path:
    """A run folder; with `hits`, an evaluation where that many of the 4 questions cite gold."""
    run = folder / "runs" / run_id
    run.mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({"run_id": run_id}), encoding="utf-8")
    if hits is not None:
        answers = {
            item.id: Answer("text", item.gold_docs if n < hits else ("x",))
            for n, item in enumerate(ITEMS)
        }
        save_evaluation(evaluate(ITEMS, answers, target="reference:prototype"), run)
    return run


def baseline_file(folder: Path) -> dict:
    return json.loads((folder / "baseline" / "evaluation.json").read_text(encoding="utf-8"))


def test_accept_on_a_run_folder_writes_the_baseline_whole(tmp_path):
    folder = engagement(tmp_path)
    run = add_run(folder, "20260101T000000000Z-aaaa", hits=3)
    result = playbook("baseline", "accept", str(run), cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert "Accepted run 20260101T000000000Z-aaaa" in result.stdout
    stored = baseline_file(folder)
    assert stored["run_id"] == run.name and stored["accepted_at"]
    assert stored["questions"] == json.loads((run / "evaluation.json").read_text())["questions"]
    assert [p.name for p in (folder / "baseline").iterdir()] == ["evaluation.json"]  # no temp


def test_accept_on_an_engagement_takes_its_latest_run_with_an_evaluation(tmp_path):
    folder = engagement(tmp_path)
    add_run(folder, "20260101T000000000Z-aaaa", hits=1)
    chosen = add_run(folder, "20260102T000000000Z-bbbb", hits=2)
    add_run(folder, "20260103T000000000Z-cccc", hits=None)  # its notebook 05 did not run
    result = playbook("baseline", "accept", "client", cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert chosen.name in result.stdout
    assert baseline_file(folder)["run_id"] == chosen.name
    assert baseline_file(folder)["aggregates"]["hit"] == 0.5


def test_accept_with_no_evaluated_run_is_one_line_and_exit_2(tmp_path):
    folder = engagement(tmp_path)
    add_run(folder, "20260101T000000000Z-aaaa", hits=None)
    result = playbook("baseline", "accept", "client", cwd=tmp_path)
    assert result.code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "no run has an evaluation.json" in result.stderr and "Traceback" not in result.stderr
    assert not (folder / "baseline").exists()


def test_show_prints_the_accepted_run_its_date_and_aggregates(tmp_path):
    folder = engagement(tmp_path)
    run = add_run(folder, "20260101T000000000Z-aaaa", hits=3)
    missing = playbook("baseline", "show", "client", cwd=tmp_path)
    assert missing.code == 2 and "no baseline accepted yet" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    assert playbook("baseline", "accept", str(run), cwd=tmp_path).code == 0
    result = playbook("baseline", "show", "client", cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert run.name in result.stdout
    assert baseline_file(folder)["accepted_at"][:10] in result.stdout
    for label, value in (("hit@5", "0.750"), ("MRR", "0.750"), ("refusal correctness", "1.000")):
        line = next(line for line in result.stdout.splitlines() if label in line)
        assert value in line, line
