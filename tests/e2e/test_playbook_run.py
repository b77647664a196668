import json
import re
import shutil

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from playbook.evidence import read_run_evidence
from playbook.notebooks import NOTEBOOKS_DIR, available
from tests.e2e.conftest import playbook

pytestmark = pytest.mark.e2e


def only_run(folder):
    (run,) = sorted((folder / "runs").iterdir())
    return run


def test_a_demo_run_records_every_notebook_and_its_evidence(demo_run):
    folder, result = demo_run
    run = only_run(folder)
    record = json.loads((run / "run.json").read_text(encoding="utf-8"))
    assert set(record) >= {
        "run_id", "engagement", "target", "started_at", "finished_at", "versions", "notebooks",
        "scorecard",
    }  # fmt: skip
    assert record["run_id"] == run.name
    ran = [nb["name"] for nb in record["notebooks"]]
    assert ran == [nb.name for nb in available()]
    assert all(nb["status"] == "ok" for nb in record["notebooks"]), record["notebooks"]
    measured = {e.notebook for e in read_run_evidence(run)}
    assert measured == {name for name in ran if name != "07_definition_of_done"}
    for name in ran:
        assert (run / "notebooks" / f"{name}.ipynb").is_file()


def test_every_open_check_points_to_a_known_remedy(demo_run):
    from playbook.patterns import catalogue

    folder, _ = demo_run
    checks = [check for e in read_run_evidence(only_run(folder)) for check in e.checks]
    assert checks
    for check in checks:
        if check.status != "pass" or check.remedy is not None:
            assert check.remedy in catalogue(), f"{check.id} has remedy {check.remedy!r}"


def test_the_exit_status_is_the_readiness_gate(demo_run):
    folder, result = demo_run
    scorecard = json.loads((only_run(folder) / "run.json").read_text())["scorecard"]
    measured = [score for score in scorecard["areas"].values() if score is not None]
    assert scorecard["readiness"] == min(measured)
    assert scorecard["gate"] in ("fail", "incomplete")  # latency, security... are not built yet
    assert result.code == (0 if scorecard["gate"] == "pass" else 1), result.stderr
    assert "Readiness scorecard" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert "ERROR" not in result.stderr  # a good run prints nothing that reads as an error


def test_the_report_is_self_contained_and_hides_code(demo_run):
    folder, _ = demo_run
    html = (only_run(folder) / "report.html").read_text(encoding="utf-8")
    assert "plotly.js v" in html or "Plotly.newPlot" in html
    assert re.search(r"<script[^>]+src=[\"']https?:", html) is None
    assert "open_notebook(" not in html  # inputs hidden
    assert "engagement_dir" not in html  # parameter cells removed


def test_status_shows_the_last_scorecard_and_every_run(demo_run):
    folder, _ = demo_run
    shown = playbook("status", str(folder), cwd=folder.parent)
    assert shown.code == 0, shown.stderr
    assert "Readiness" in shown.stdout and only_run(folder).name in shown.stdout


def test_a_failing_notebook_is_kept_and_the_others_still_run(tmp_path):
    notebooks = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS_DIR, notebooks)
    broken = nbformat.read(notebooks / "00_engagement.ipynb", as_version=4)
    broken.cells.insert(3, new_code_cell("raise RuntimeError('upstream export changed')"))
    nbformat.write(broken, notebooks / "00_engagement.ipynb")

    from playbook.engagement import DEMO_TEMPLATE, create_engagement, load_engagement
    from playbook.runner import RunOptions, run_playbook

    engagement = load_engagement(create_engagement(tmp_path / "client", template=DEMO_TEMPLATE))
    # 00 and the notebook that waits for it are enough to show the rest still runs (and 07)
    result = run_playbook(engagement, RunOptions(notebooks_dir=notebooks, only=["00", "01"]))

    assert result.exit_code == 1
    statuses = {outcome.name: outcome.status for outcome in result.outcomes}
    assert statuses["00_engagement"] == "failed"
    assert all(status == "ok" for name, status in statuses.items() if name != "00_engagement")
    failed = next(o for o in result.outcomes if o.name == "00_engagement")
    assert "upstream export changed" in failed.error
    kept = nbformat.read(result.run_dir / "notebooks" / "00_engagement.ipynb", as_version=4)
    assert any(
        output.get("ename") == "RuntimeError"
        for cell in kept.cells
        for output in cell.get("outputs", [])
    )
    assert result.scorecard.to_contract()["areas"]["scope"] is None  # not measured, never 0
    assert "00_engagement failed" in result.scorecard.unmeasured_reasons["scope"]
    assert "upstream export changed" in result.scorecard.unmeasured_reasons["scope"]
    assert (result.run_dir / "report.html").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "client", "--only", "42"], "unknown notebook '42'"),
        (["run", "client", "--target", "gopher://x"], "target.spec"),
        (["run", "missing"], "missing/engagement.yaml: not found"),
        (["new", "client", "--demo"], "not empty"),
    ],
)
def test_usage_errors_exit_2_with_one_line_and_write_nothing(tmp_path, args, message):
    assert playbook("new", "client", "--demo", cwd=tmp_path).code == 0
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    result = playbook(*args, cwd=tmp_path)
    assert result.code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_two_runs_at_the_same_time_on_one_engagement_keep_separate_folders(tmp_path):
    import subprocess
    import sys

    assert playbook("new", "client", "--demo", cwd=tmp_path).code == 0
    command = [sys.executable, "-m", "playbook.cli", "run", "client", "--only", "00"]
    runs = [
        subprocess.Popen(command, cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]  # fmt: skip
    codes = [run.wait(timeout=300) for run in runs]
    assert codes == [codes[0]] * 2 and codes[0] in (0, 1)
    folders = sorted((tmp_path / "client" / "runs").iterdir())
    assert len(folders) == 2
    for folder in folders:
        record = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        assert record["run_id"] == folder.name
        assert [nb["status"] for nb in record["notebooks"]] == ["ok", "ok"]
        assert (folder / "evidence" / "00_engagement.json").is_file()
        assert (folder / "report.html").is_file()


def test_every_check_a_demo_decision_names_exists_in_the_notebooks_of_this_checkout(demo_run):
    from playbook.decisions import load_decisions

    folder, _ = demo_run
    produced = {check.id for e in read_run_evidence(only_run(folder)) for check in e.checks}
    measured_areas = {check_id.split(".")[0] for check_id in produced}
    decisions = load_decisions(folder / "decisions.yaml").decisions
    named = {check for d in decisions.all_decisions() for check in d.confirmed_by}
    missing = {c for c in named if c.split(".")[0] in measured_areas and c not in produced}
    assert not missing, f"decisions name checks no notebook records: {sorted(missing)}"


def test_report_rewrites_the_report_of_the_latest_run(demo_run):
    folder, _ = demo_run
    report = only_run(folder) / "report.html"
    before = report.stat().st_mtime_ns
    result = playbook("report", str(folder), cwd=folder.parent)
    assert result.code == 0, result.stderr
    assert str(report) in result.stdout
    assert report.stat().st_mtime_ns > before
    assert "Readiness" in report.read_text(encoding="utf-8")


@pytest.mark.parametrize(("stop", "code"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_ctrl_c_or_sigterm_stops_the_run_at_once_and_records_what_finished(tmp_path, stop, code):
    import signal
    import subprocess
    import sys
    import time

    assert playbook("new", "client", "--demo", cwd=tmp_path).code == 0
    run = subprocess.Popen(
        [sys.executable, "-m", "playbook.cli", "run", "client", "--only", "02,03"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    record = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and record is None:  # wait until the notebooks are running
        found = list((tmp_path / "client" / "runs").glob("*/notebooks/*.ipynb"))
        record = found[0].parents[1] / "run.json" if found else None
        time.sleep(0.2)
    assert record is not None, "no notebook started"
    time.sleep(2)
    run.send_signal(getattr(signal, stop))
    stdout, stderr = run.communicate(timeout=60)

    assert run.returncode == code, stderr
    assert "Interrupted" in stdout and "Traceback" not in stderr
    data = json.loads(record.read_text(encoding="utf-8"))
    assert data["interrupted"] is True and data["finished_at"]
    statuses = {nb["name"]: (nb["status"], nb["error"]) for nb in data["notebooks"]}
    assert statuses["07_definition_of_done"][0] == "skipped"
    assert all(
        status == "ok" or error == "run interrupted"
        for status, error in statuses.values()
        if status != "skipped"
    )


def test_a_run_of_one_notebook_never_passes_the_gate_and_names_what_was_not_measured(tmp_path):
    assert playbook("new", "client", "--demo", cwd=tmp_path).code == 0
    result = playbook(
        "run", "client", "--only", "00", "--target", "reference:production", cwd=tmp_path
    )
    assert result.code == 1, result.stderr
    card = json.loads((only_run(tmp_path / "client") / "run.json").read_text())["scorecard"]
    assert card["areas"]["scope"] == 1.0 and card["readiness"] == 1.0
    assert card["gate"] == "incomplete" and card["measured_areas"] == 1
    assert card["areas"]["data"] is None
    assert "--only" in card["not_measured"]["data"]
    assert "incomplete" in result.stdout and "not measured: data" in result.stdout


def test_a_blank_client_engagement_lists_what_to_decide_and_stops_on_its_placeholder_target(
    tmp_path,
):
    created = playbook("new", "acme", cwd=tmp_path)
    assert created.code == 0 and "REPLACE" in created.stdout
    result = playbook("run", "acme", cwd=tmp_path)
    assert result.code == 1, result.stderr
    assert "Stopped after 00_engagement" in result.stdout
    record = json.loads((only_run(tmp_path / "acme") / "run.json").read_text())
    evidence = {
        check["id"]: check
        for path in (only_run(tmp_path / "acme") / "evidence").glob("*.json")
        for check in json.loads(path.read_text())["checks"]
    }
    required = evidence["decisions.required_made"]
    assert required["status"] == "fail" and required["observed"] == 0
    for decision in ("data-location", "latency-budget", "ownership"):
        assert f"{decision} is proposed" in required["detail"]
        assert f"{decision} is proposed" in result.stdout.replace("\n", " ")
    assert record["scorecard"]["gate"] == "fail"
    assert "Traceback" not in result.stdout + result.stderr
