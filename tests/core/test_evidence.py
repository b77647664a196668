import json

import pytest

from playbook.errors import PlaybookError
from playbook.evidence import (
    CheckResult,
    evidence_path,
    read_evidence,
    read_run_evidence,
    write_evidence,
)


def a_check(status="fail", **changes) -> CheckResult:
    fields = {
        "area": "failure",
        "id": "failure.graceful_degradation",
        "title": "Faulted requests still get a safe answer",
        "status": status,
        "observed": 0.42,
        "expected": ">= 0.99",
        "unit": "share of faulted requests",
        "remedy": "graceful-fallback",
        "decision": "failure-policy",
    }
    return CheckResult(**{**fields, **changes})


def test_evidence_round_trips_through_the_documented_json_shape(tmp_path):
    write_evidence(tmp_path, "03_failure_handling", "failure", "reference:prototype", [a_check()])
    path = evidence_path(tmp_path, "03_failure_handling")
    payload = json.loads(path.read_text(encoding="utf-8"))
    assert payload["area"] == "failure" and payload["notebook"] == "03_failure_handling"
    assert payload["target"] == "reference:prototype"
    (check,) = payload["checks"]
    assert check["points"] == 0 and check["decision"] == "failure-policy"
    assert set(check) == {
        "area", "id", "title", "status", "points", "observed", "expected", "unit", "detail",
        "remedy", "decision",
    }  # fmt: skip
    assert read_evidence(path).checks == (a_check(),)


def test_points_follow_the_status_whatever_the_file_claims(tmp_path):
    write_evidence(tmp_path, "03_failure_handling", "failure", "t", [a_check("warn")])
    path = evidence_path(tmp_path, "03_failure_handling")
    payload = json.loads(path.read_text(encoding="utf-8"))
    payload["checks"][0]["points"] = 1
    path.write_text(json.dumps(payload), encoding="utf-8")
    assert read_evidence(path).checks[0].points == 0.5


def test_a_check_from_another_area_is_refused(tmp_path):
    with pytest.raises(ValueError, match="area"):
        write_evidence(tmp_path, "04_latency", "latency", "t", [a_check()])


def test_a_damaged_evidence_file_names_the_file_and_field(tmp_path):
    path = evidence_path(tmp_path, "03_failure_handling")
    path.parent.mkdir(parents=True)
    path.write_text(
        '{"area": "failure", "notebook": "x", "target": "t",'
        ' "checks": [{"area": "failure", "id": "a", "title": "t", "status": "great"}]}'
    )
    with pytest.raises(PlaybookError, match=r"03_failure_handling.json: field 'checks.0.status'"):
        read_evidence(path)
    path.write_text("{not json")
    with pytest.raises(PlaybookError, match="cannot read evidence"):
        read_evidence(path)


def test_rewriting_evidence_leaves_no_temporary_files(tmp_path):
    for status in ("fail", "pass"):
        write_evidence(tmp_path, "03_failure_handling", "failure", "t", [a_check(status)])
    assert [p.name for p in (tmp_path / "evidence").iterdir()] == ["03_failure_handling.json"]
    assert [e.checks[0].status for e in read_run_evidence(tmp_path)] == ["pass"]


def test_the_end_of_run_summary_prints_details_as_written_even_with_brackets(tmp_path):
    """A check's detail is the target's and the user's text: `[/usr/share]` once stopped the
    run's summary with a markup error, and `[document ids]` vanished from it."""
    import io

    from rich.console import Console

    from playbook.cli import print_open_checks
    from playbook.evidence import CheckResult, write_evidence

    details = [
        "0 of 3 answered; first error: return {'answer': text, 'sources': [document ids]}",
        "no source files in [/usr/share/doc] (expected [bold] files)",
    ]
    checks = [
        CheckResult(area="scope", id=f"scope.c{n}", title="t", status="fail", detail=detail)
        for n, detail in enumerate(details)
    ]
    write_evidence(tmp_path, "00_engagement", "scope", "reference:production", checks)
    output = io.StringIO()

    print_open_checks(Console(file=output, width=300), tmp_path)

    printed = output.getvalue()
    assert all(detail in printed for detail in details), printed
