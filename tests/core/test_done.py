from playbook.done import failing_checks
from playbook.evidence import CheckResult, Evidence


def evidence(*checks: CheckResult) -> Evidence:
    return Evidence(area="failure", notebook="03_failure_handling", target="t", checks=checks)


def check(number: int, status: str, **extra) -> CheckResult:
    return CheckResult(area="failure", id=f"failure.c{number}", title="t", status=status, **extra)


def test_open_checks_list_failures_first_then_errors_then_warnings_and_no_passes():
    table = failing_checks(
        [evidence(check(1, "warn"), check(2, "pass"), check(3, "error"), check(4, "fail"))]
    )
    assert list(table.index) == ["failure.c4", "failure.c3", "failure.c1"]
    assert list(table["status"]) == ["fail", "error", "warn"]


def test_an_open_check_shows_its_unit_and_the_remedy_to_apply():
    table = failing_checks(
        [
            evidence(
                check(1, "fail", observed=56, unit="raw failures shown", remedy="graceful-fallback")
            )
        ]
    )
    row = table.loc["failure.c1"]
    assert row["observed"] == "56 raw failures shown"
    assert row["what to do"] == "Degrade gracefully and never show a raw failure"


def test_a_run_where_everything_passed_has_no_open_checks():
    assert failing_checks([evidence(check(1, "pass"))]).empty
