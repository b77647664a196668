"""The run's checks as JUnit XML for a CI's test report, and `playbook run --gate --junit`.

Every check is one test case whose result follows its status, an unmeasured area is an error
(the gate never passes on it), the gate is a test case of its own, and the file is valid against
the Ant JUnit schema Jenkins reads (tests/data/junit.xsd).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import xmlschema
from click.testing import CliRunner
from junitparser import Error, Failure, JUnitXml, Skipped

from playbook import cli as cli_module
from playbook.engagement import DEMO_TEMPLATE, create_engagement
from playbook.errors import PlaybookError
from playbook.evidence import CheckResult, Evidence, write_evidence
from playbook.junit import GATE_CASE, check_junit_path, write_junit
from playbook.runner import RunResult
from playbook.scorecard import build_scorecard

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "junit.xsd"
STARTED = "2026-03-04T10:20:30+01:00"


def check(area: str, name: str, status: str, **fields) -> CheckResult:
    return CheckResult(
        area=area, id=f"{area}.{name}", title=f"The {name} check holds", status=status, **fields
    )


FAILURE_CHECKS = (
    check("failure", "fallback", "pass", observed=1.0, expected=">= 0.95", unit="share"),
    check("failure", "retries", "warn", observed=3, expected="<= 2", detail="one retry too many"),
    check(
        "failure",
        "timeouts",
        "fail",
        observed=0.4123456,
        expected="<= 0.1",
        unit="share of requests",
        detail="40 of 97 requests hung past the budget",
        remedy="timeouts-from-budget",
        decision="failure-policy",
    ),
    check("failure", "breaker", "error", detail="the fault proxy never started"),
    check("failure", "cache", "skip", detail="the target declares no cache"),
)
LATENCY_CHECKS = (check("latency", "p95", "pass", observed=180, expected="<= 500", unit="ms"),)


def evidence_of(checks: tuple[CheckResult, ...], notebook: str) -> Evidence:
    return Evidence(area=checks[0].area, notebook=notebook, target="reference:demo", checks=checks)


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "runs" / "20260304T092030000Z-ab12"
    folder.mkdir(parents=True)
    notebooks = [
        {"name": "03_failure_handling", "status": "ok", "seconds": 12.5, "error": None},
        {"name": "04_latency", "status": "ok", "seconds": 30.25, "error": None},
        {"name": "06_security_access", "status": "failed", "seconds": 4.0, "error": "boom"},
        {"name": "07_definition_of_done", "status": "ok", "seconds": 2.0, "error": None},
    ]
    run = {"started_at": STARTED, "notebooks": notebooks}
    (folder / "run.json").write_text(json.dumps(run), encoding="utf-8")
    return folder


@pytest.fixture
def written(run_dir: Path, tmp_path: Path) -> Path:
    """A run with every status, a fully passed area and an area that was not measured."""
    evidence = [
        evidence_of(FAILURE_CHECKS, "03_failure_handling"),
        evidence_of(LATENCY_CHECKS, "04_latency"),
    ]
    card = build_scorecard(
        evidence,
        0.8,
        ["failure", "latency", "security"],
        reasons={"security": "06_security_access failed: boom"},
    )
    assert card.gate == "fail"
    return write_junit(run_dir, card, evidence, tmp_path / "out" / "playbook.xml")


def cases(path: Path) -> dict[str, tuple[str, object]]:
    """Test case name -> (suite name, the case) over the whole file, read with junitparser."""
    found: dict[str, tuple[str, object]] = {}
    for suite in JUnitXml.fromfile(str(path)):
        for case in suite:
            assert case.name not in found, f"{case.name} appears twice"
            found[case.name] = (suite.name, case)
    return found


def test_every_check_is_one_test_case_whose_result_follows_its_status(written):
    found = cases(written)
    by_id = {name.split(": ")[0]: case for name, (_, case) in found.items()}
    ids = [c.id for c in FAILURE_CHECKS + LATENCY_CHECKS]
    assert sorted(by_id) == sorted([*ids, "security.not_measured", GATE_CASE])
    assert by_id["failure.fallback"].is_passed and by_id["latency.p95"].is_passed
    assert by_id["failure.retries"].is_passed  # a warning is half a point, not a failed gate
    assert [type(r) for r in by_id["failure.timeouts"].result] == [Failure]
    assert [type(r) for r in by_id["failure.breaker"].result] == [Error]
    assert [type(r) for r in by_id["failure.cache"].result] == [Skipped]
    assert by_id["failure.timeouts"].classname == "playbook.failure"
    assert "failure.timeouts: The timeouts check holds" in found


def test_a_failure_says_observed_against_expected_then_the_detail_and_the_remedy(written):
    found = {name.split(": ")[0]: case for name, (_, case) in cases(written).items()}
    (failure,) = found["failure.timeouts"].result
    assert failure.message == "observed 0.4123 (share of requests), expected <= 0.1"
    assert failure.text.startswith("40 of 97 requests hung past the budget")
    assert "Remedy: timeouts-from-budget" in failure.text
    assert "Decision: failure-policy" in failure.text
    (error,) = found["failure.breaker"].result
    assert error.message == "the check could not run: the fault proxy never started"
    (skipped,) = found["failure.cache"].result
    assert skipped.message == "the target declares no cache"


def test_an_unmeasured_area_is_an_error_and_the_gate_case_fails_unless_the_gate_passes(written):
    found = {name.split(": ")[0]: case for name, (_, case) in cases(written).items()}
    (error,) = found["security.not_measured"].result
    assert isinstance(error, Error)
    assert error.message == "not measured: 06_security_access failed: boom"
    (gate,) = found[GATE_CASE].result
    assert isinstance(gate, Failure) and gate.type == "fail"
    assert "readiness 0.38 over 2 of 3 areas" in gate.message and "coverage 67%" in gate.message


def test_the_gate_case_passes_when_the_gate_passes(run_dir, tmp_path):
    evidence = [evidence_of(LATENCY_CHECKS, "04_latency")]
    card = build_scorecard(evidence, 0.8, ["latency"])
    assert card.gate == "pass"
    path = write_junit(run_dir, card, evidence, tmp_path / "pass.xml")
    found = {name: case for name, (_, case) in cases(path).items()}
    assert found[GATE_CASE].is_passed
    xmlschema.XMLSchema(str(SCHEMA)).validate(str(path))


def test_suites_come_in_playbook_order_with_the_run_start_and_the_notebook_seconds(written):
    suites = list(JUnitXml.fromfile(str(written)))
    assert [suite.name for suite in suites] == ["failure", "latency", "security", "playbook"]
    assert {suite.timestamp for suite in suites} == {"2026-03-04T09:20:30"}  # UTC, no zone
    assert [suite.time for suite in suites] == [12.5, 30.25, 4.0, 2.0]
    failure = suites[0]
    assert (failure.tests, failure.failures, failure.errors, failure.skipped) == (5, 1, 1, 1)


def test_the_area_output_names_every_warning(written):
    text = written.read_text(encoding="utf-8")
    assert "WARN  failure.retries; observed 3, expected &lt;= 2; a warning" in text
    assert "one retry too many" in text


def test_the_file_is_valid_against_the_junit_schema_jenkins_reads(written):
    xmlschema.XMLSchema(str(SCHEMA)).validate(str(written))


def test_characters_xml_cannot_hold_are_dropped_not_a_broken_file(run_dir, tmp_path):
    checks = (check("data", "fresh", "fail", observed="a\x00b", detail="bad\x1b[31m byte\x07"),)
    evidence = [evidence_of(checks, "02_data_pipelines")]
    card = build_scorecard(evidence, 0.8, ["data"])
    path = write_junit(run_dir, card, evidence, tmp_path / "odd.xml")
    xmlschema.XMLSchema(str(SCHEMA)).validate(str(path))
    (failure,) = cases(path)["data.fresh: The fresh check holds"][1].result
    assert failure.message == "observed ab" and failure.text == "bad[31m byte"


def test_a_run_without_run_json_still_gets_a_valid_file(tmp_path):
    evidence = [evidence_of(LATENCY_CHECKS, "04_latency")]
    card = build_scorecard(evidence, 0.8, ["latency"])
    path = write_junit(tmp_path, card, evidence, tmp_path / "x.xml")
    xmlschema.XMLSchema(str(SCHEMA)).validate(str(path))


def test_a_junit_path_whose_folder_is_missing_or_that_is_a_folder_is_refused(tmp_path, monkeypatch):
    with pytest.raises(PlaybookError, match=r"--junit .*missing.*x\.xml.*does not exist"):
        check_junit_path(tmp_path / "missing" / "x.xml")
    with pytest.raises(PlaybookError, match="it is a folder"):
        check_junit_path(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert check_junit_path(Path("report.xml")) == tmp_path / "report.xml"


# The command line: a bad --junit path stops before anything runs; --gate and --junit after a run.


@pytest.fixture
def engagement_folder(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)  # nothing the command writes lands in the repository
    monkeypatch.setattr(cli_module, "stop_on_sigterm", lambda: [])  # pytest keeps its SIGTERM
    return create_engagement(tmp_path / "engagement", template=DEMO_TEMPLATE)


def test_a_junit_path_in_a_missing_folder_is_one_line_and_exit_2_before_any_run(
    engagement_folder, monkeypatch
):
    def must_not_run(*args, **kwargs):
        raise AssertionError("the run started")

    monkeypatch.setattr("playbook.runner.run_playbook", must_not_run)
    result = CliRunner().invoke(
        cli_module.cli, ["run", str(engagement_folder), "--junit", "/nonexistent/dir/x.xml"]
    )
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "playbook: error: --junit /nonexistent/dir/x.xml"
    )
    assert "/nonexistent/dir does not exist" in lines[0]
    assert not (engagement_folder / "runs").exists()


def fake_run(engagement_folder: Path, checks: tuple[CheckResult, ...]):
    """A run_playbook that records `checks` as evidence and scores them, without notebooks."""

    def run_playbook(engagement, options):
        run_dir = engagement_folder / "runs" / "20260304T092030000Z-ab12"
        run_dir.mkdir(parents=True)
        item = write_evidence(run_dir, "04_latency", "latency", "reference:demo", checks)
        card = build_scorecard([item], 0.8, ["latency"])
        return RunResult("r", run_dir, [], card, None, "no report in this test", 1.0)

    return run_playbook


@pytest.mark.parametrize(
    ("flags", "status"),
    [([], 0), (["--gate"], 1)],
    ids=["without --gate a passed gate exits 0", "--gate: a check that errored exits 1"],
)
def test_gate_also_fails_on_a_check_that_could_not_run(
    engagement_folder, monkeypatch, flags, status
):
    checks = tuple(check("latency", f"c{n}", "pass") for n in range(9))
    checks += (check("latency", "stages", "error", detail="the target reports no stage timings"),)
    monkeypatch.setattr("playbook.runner.run_playbook", fake_run(engagement_folder, checks))
    result = CliRunner().invoke(cli_module.cli, ["run", str(engagement_folder), *flags])
    assert result.exit_code == status, result.output
    assert ("--gate: 1 check(s) could not run" in result.output) == bool(flags)


def test_junit_is_written_when_the_gate_fails_relative_to_the_current_folder(
    engagement_folder, monkeypatch
):
    checks = (check("latency", "p95", "fail", observed=900, expected="<= 500"),)
    monkeypatch.setattr("playbook.runner.run_playbook", fake_run(engagement_folder, checks))
    result = CliRunner().invoke(
        cli_module.cli, ["run", str(engagement_folder), "--gate", "--junit", "playbook.xml"]
    )
    assert result.exit_code == 1, result.output
    path = Path.cwd() / "playbook.xml"
    assert f"JUnit report: {path}" in result.output
    found = cases(path)
    assert isinstance(found[GATE_CASE][1].result[0], Failure)
    assert isinstance(found["latency.p95: The p95 check holds"][1].result[0], Failure)
