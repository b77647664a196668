"""Decision records: MADR sections, a round trip back to the model, the latest status of
confirming checks, and which records are rewritten."""

from __future__ import annotations

from pathlib import Path

from playbook.decisions.files import decisions_location
from playbook.decisions.model import Decisions
from playbook.decisions.records import (
    latest_statuses,
    load_records,
    parse_record,
    update_records_after_run,
    write_records,
)
from playbook.engagement import DEMO_TEMPLATE, TEMPLATES_DIR, Engagement, load_engagement
from playbook.evidence import CheckResult, read_run_evidence, write_evidence

from .conftest import changed

MADR_SECTIONS = (
    "## Context and Problem Statement",
    "## Decision Drivers",
    "## Considered Options",
    "## Decision Outcome",
    "### Consequences",
    "### Confirmation",
)


def check(check_id: str, status: str) -> CheckResult:
    area = check_id.split(".")[0]
    return CheckResult(area=area, id=check_id, title=check_id, status=status)


def test_one_record_per_decision_in_the_madr_layout(demo: Decisions, tmp_path: Path):
    records = write_records(demo, tmp_path / "adr")
    assert [path.name for path in records] == [
        "0001-data-location.md",
        "0002-update-cadence.md",
        "0003-failure-policy.md",
        "0004-access-model.md",
        "0005-latency-budget.md",
        "0006-observability.md",
        "0007-ownership.md",
        "0008-answer-citations.md",
    ]
    text = records[4].read_text(encoding="utf-8")
    positions = [text.index(section) for section in MADR_SECTIONS]
    assert positions == sorted(positions)
    assert text.startswith("---\nid: latency-budget\nstatus: accepted\n")
    assert 'Chosen option: "p95 2.5 s end to end", because' in text
    assert "| p95 end to end (ms) | 2500 |" in text


def test_confirmation_lists_checks_and_their_latest_status(demo: Decisions, tmp_path: Path):
    latest = {"latency.p95_within_budget": "fail"}
    [*_, latency, _, _, _] = write_records(demo, tmp_path / "adr", latest)
    text = latency.read_text(encoding="utf-8")
    assert "| `latency.p95_within_budget` | fail |" in text
    assert "| `decisions.latency_budget_sum` | not run yet |" in text


def test_decisions_survive_a_round_trip_through_the_markdown_records(
    demo: Decisions, tmp_path: Path
):
    edited = changed(demo, "update_cadence", warn_after_hours=30.5, status="superseded")
    edited = changed(edited, "ownership", handover_date=None, consequences=["a\nb"])
    write_records(edited, tmp_path / "adr")
    back = load_records(tmp_path / "adr")
    assert back.ok, back.problems
    assert back.decisions == edited
    assert back.decisions != demo


def test_an_empty_decision_renders_and_reads_back_as_empty(tmp_path: Path):
    [record, *_] = write_records(Decisions(), tmp_path / "adr")
    text = record.read_text()
    assert "_Not recorded yet._" in text and "No check confirms this decision yet" in text
    data = parse_record(text)
    assert data["context"] == "" and data["options"] == [] and data["confirmed_by"] == []
    assert load_records(tmp_path / "adr").decisions == Decisions()


def test_a_record_without_front_matter_is_named_as_a_problem(demo: Decisions, tmp_path: Path):
    folder = tmp_path / "adr"
    write_records(demo, folder)
    (folder / "0005-latency-budget.md").write_text("# just prose\n")
    back = load_records(folder)
    assert any(problem.field == "0005-latency-budget.md" for problem in back.problems)
    assert any(problem.field == "latency-budget" for problem in back.problems)
    assert back.decisions.data_location == demo.data_location


def test_records_are_updated_with_the_statuses_of_a_run(engagement: Engagement, tmp_path: Path):
    run_dir = tmp_path / "runs" / "r1"
    write_evidence(
        run_dir, "04_latency", "latency", "reference:prototype",
        [check("latency.p95_within_budget", "fail")],
    )  # fmt: skip
    write_evidence(
        run_dir, "01_architecture_decisions", "decisions", "reference:prototype",
        [check("decisions.latency_budget_sum", "pass")],
    )  # fmt: skip
    written = update_records_after_run(engagement, run_dir)
    assert all(path.parent == engagement.folder / "adr" for path in written)
    text = (engagement.folder / "adr" / "0005-latency-budget.md").read_text(encoding="utf-8")
    assert "| `latency.p95_within_budget` | fail |" in text
    assert "| `decisions.latency_budget_sum` | pass |" in text
    assert "| `data.freshness` | not run yet |" in (
        engagement.folder / "adr" / "0002-update-cadence.md"
    ).read_text(encoding="utf-8")


def test_a_check_reported_twice_keeps_its_worst_status(tmp_path: Path):
    write_evidence(tmp_path, "04_latency", "latency", "t", [check("latency.x", "pass")])
    write_evidence(tmp_path, "05_observability", "latency", "t", [check("latency.x", "warn")])
    assert latest_statuses(read_run_evidence(tmp_path)) == {"latency.x": "warn"}


def test_the_bundled_demo_engagement_is_never_written(tmp_path: Path):
    demo_engagement = load_engagement(DEMO_TEMPLATE)
    before = sorted(path.name for path in TEMPLATES_DIR.rglob("*"))
    run_dir = tmp_path / "run"
    written = update_records_after_run(demo_engagement, run_dir)
    assert written and all(run_dir in path.parents for path in written)
    location = decisions_location(demo_engagement, run_dir)
    assert location.bundled and run_dir in location.path.parents
    assert sorted(path.name for path in TEMPLATES_DIR.rglob("*")) == before


def test_no_decisions_file_means_no_records(engagement: Engagement, tmp_path: Path):
    (engagement.folder / "decisions.yaml").unlink()
    assert update_records_after_run(engagement, tmp_path / "run") == []
    assert not (engagement.folder / "adr").exists()


def test_stale_generated_records_go_and_hand_written_ones_stay(demo: Decisions, tmp_path: Path):
    folder = tmp_path / "adr"
    write_records(demo, folder)
    hand_written = folder / "0042-our-own-adr.md"
    hand_written.write_text("# Our own record\n", encoding="utf-8")
    fewer = demo.model_copy(update={"extra": ()})
    write_records(fewer, folder)
    names = sorted(path.name for path in folder.iterdir())
    assert "0008-answer-citations.md" not in names
    assert "0042-our-own-adr.md" in names
    assert load_records(folder).decisions.extra == ()
