"""Each failure check on hand-made results: it passes with the property and fails without it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from playbook.decisions import Decisions
from playbook.gaps import failure
from playbook.gaps.failure import BreakerEpisode, BreakerPoint, CellResult, FaultMatrix, Observation
from playbook.gaps.failure.classify import KIND_LABELS
from playbook.gaps.failure.matrix import TIME_SPENT

from .world import DECISIONS, settings

SETTINGS = settings()


def obs(kind: str = "exception", outcome: str = "safe_degraded", **changes) -> Observation:
    values = {
        "kind": kind,
        "stage": "generation",
        "rate": 1.0,
        "question": "f01",
        "outcome": outcome,
        "reason": "",
        "status": "degraded" if outcome == "safe_degraded" else "ok",
        "seconds": 0.05,
        "faulted": True,
        "upstream_calls": 1,
        "trace_id": "a" * 32,
        "logged": True,
    }
    return Observation(**{**values, **changes})


def matrix(*observations: Observation, cells: tuple[CellResult, ...] = ()) -> FaultMatrix:
    return FaultMatrix(
        target="reference:test",
        route="test",
        settings=SETTINGS,
        cells=cells,
        observations=observations,
        control=("f01",),
        log_source="test log",
    )


def episode(*states: str, closed_after: float | None = 0.4) -> BreakerEpisode:
    points = tuple(
        BreakerPoint(0.1 * n, "fault", state, 0 if state == "open" else 1, "safe_degraded")
        for n, state in enumerate(states)
    )
    opened = next((n + 1 for n, s in enumerate(states) if s == "open"), None)
    return BreakerEpisode(
        target="reference:test",
        route="test",
        points=points,
        opened_after=opened,
        closed_after_s=closed_after if opened else None,
        recovery_wait_s=2.0,
    )


def test_graceful_degradation_passes_at_the_decided_share_and_names_the_kind_below_it() -> None:
    good = matrix(*(obs(kind) for kind in ("exception", "nonsense", "hang")))
    assert failure.check_graceful_degradation(good, DECISIONS).status == "pass"
    bad = matrix(obs("exception"), obs("nonsense", "wrong_confident"), obs("nonsense"))
    check = failure.check_graceful_degradation(bad, DECISIONS)
    assert check.status == "fail" and check.observed == 0.5
    assert "nonsense output 50% (mostly wrong but confident)" in check.detail
    assert check.decision == "failure-policy" and check.remedy == "graceful-fallback"


def test_graceful_degradation_takes_its_target_from_the_failure_policy() -> None:
    results = matrix(*[obs()] * 9, obs(outcome="raw_failure"))
    lenient = Decisions.model_validate({"failure-policy": {"target_graceful_share": 0.9}})
    assert failure.check_graceful_degradation(results, lenient).status == "pass"
    assert failure.check_graceful_degradation(results, DECISIONS).status == "fail"


def test_requests_the_fault_missed_do_not_count_towards_graceful_degradation() -> None:
    results = matrix(obs(), obs(outcome="raw_failure", faulted=False))
    assert failure.check_graceful_degradation(results, DECISIONS).status == "pass"
    assert failure.check_no_raw_failures(results).status == "fail"  # but the user saw it


def test_no_raw_failures_fails_on_a_single_raw_answer() -> None:
    assert failure.check_no_raw_failures(matrix(obs(), obs())).status == "pass"
    check = failure.check_no_raw_failures(matrix(obs(), obs(outcome="raw_failure", reason="x")))
    assert check.status == "fail" and check.observed == 1


def test_no_raw_failures_names_the_faults_the_time_budget_left_untried() -> None:
    unreached = CellResult("exception", "retrieval", 1.0, 0, 0, 0, 0.0, TIME_SPENT)
    check = failure.check_no_raw_failures(matrix(obs(), cells=(unreached,)))
    assert check.detail.endswith(
        f"not reached in the time budget: {KIND_LABELS['exception']} at retrieval"
    )
    assert "not reached" not in failure.check_no_raw_failures(matrix(obs())).detail


def test_output_validation_fails_when_a_bad_generation_is_shown() -> None:
    caught = matrix(obs("nonsense"), obs("malformed"))
    assert failure.check_output_validation(caught).status == "pass"
    shown = matrix(obs("nonsense", "wrong_confident"), obs("malformed", "raw_failure"))
    check = failure.check_output_validation(shown)
    assert check.status == "fail" and check.observed == 2
    assert failure.check_output_validation(matrix(obs("hang"))).status == "skip"


def test_latency_under_fault_holds_the_p95_to_the_decided_budget() -> None:
    fast = matrix(*(obs("hang", seconds=0.3) for _ in range(5)))
    assert failure.check_latency_under_fault(fast, DECISIONS).status == "pass"
    slow = matrix(*(obs("hang", seconds=0.3) for _ in range(4)), obs("hang", seconds=0.9))
    check = failure.check_latency_under_fault(slow, DECISIONS)
    assert check.status == "fail" and check.observed == 900.0
    assert check.decision == "latency-budget"


def test_log_completeness_needs_every_failure_logged_with_its_trace_id() -> None:
    assert failure.check_log_completeness(matrix(obs(), obs())).status == "pass"
    missing = matrix(obs(), obs(logged=False, trace_id=None))
    check = failure.check_log_completeness(missing)
    assert check.status == "fail" and check.observed == 0.5
    assert "1 answers carried no trace id" in check.detail
    no_log = replace(matrix(obs()), log_source=None)
    assert failure.check_log_completeness(no_log).status == "skip"


def test_the_breaker_check_passes_only_when_it_opens_and_closes_again() -> None:
    assert failure.check_circuit_breaker(episode("closed", "closed", "open")).status == "pass"
    never = failure.check_circuit_breaker(episode("disabled", "disabled"))
    assert never.status == "fail" and never.observed == "never opened"
    stuck = failure.check_circuit_breaker(episode("closed", "open", closed_after=None))
    assert stuck.status == "fail" and stuck.observed == "opened, never closed"


def cell(kind: str, calls: int, requests: int = 4) -> CellResult:
    return CellResult(kind, "generation", 1.0, requests, requests, calls, 0.1)


def test_retry_amplification_fails_beyond_the_decided_calls_per_request() -> None:
    bounded = matrix(obs("rate_limit"), cells=(cell("rate_limit", 8), cell("server_error", 6)))
    assert failure.check_retry_amplification(bounded, DECISIONS).status == "pass"
    storm = matrix(obs("rate_limit"), cells=(cell("rate_limit", 8), cell("server_error", 12)))
    check = failure.check_retry_amplification(storm, DECISIONS)
    assert check.status == "fail" and check.observed == 3.0


def test_transient_recovery_needs_most_intermittent_faults_answered_correctly() -> None:
    def partial(outcome: str) -> Observation:
        return obs("rate_limit", outcome, rate=0.3, upstream_calls=2)

    recovered = matrix(partial("correct"), partial("correct"), partial("safe_degraded"))
    assert failure.check_transient_recovery(recovered, DECISIONS).status == "pass"
    lost = matrix(partial("safe_degraded"), partial("safe_degraded"), partial("correct"))
    assert failure.check_transient_recovery(lost, DECISIONS).status == "fail"
    no_retry = Decisions.model_validate(
        {"failure-policy": {"policies": {"rate_limit": "fallback", "server_error": "fallback"}}}
    )
    assert failure.check_transient_recovery(recovered, no_retry).status == "skip"


@pytest.mark.parametrize(
    "check",
    [
        lambda m: failure.check_graceful_degradation(m, DECISIONS),
        failure.check_no_raw_failures,
        failure.check_output_validation,
        lambda m: failure.check_latency_under_fault(m, DECISIONS),
        lambda m: failure.check_transient_recovery(m, DECISIONS),
        lambda m: failure.check_retry_amplification(m, DECISIONS),
        failure.check_log_completeness,
    ],
)
def test_a_check_that_could_not_measure_is_skip_or_error_never_pass(check) -> None:
    skipped = replace(matrix(), skipped="no route")
    errored = replace(matrix(), error="no control question")
    assert check(skipped).status == "skip"
    assert check(errored).status == "error"
    assert check(matrix()).status in ("error", "skip")  # nothing was observed


def test_every_check_names_a_catalogue_remedy_and_a_decision() -> None:
    from playbook.patterns import pattern

    probes = failure.Probes("t", 0.6, "u", error="not asked")
    checks = failure.failure_checks(probes, matrix(obs()), episode("open"), DECISIONS)
    assert [check.id for check in checks] == list(failure.CHECKS.ids)
    for check in checks:
        assert pattern(check.remedy) is not None, check.id
        assert check.decision in ("failure-policy", "latency-budget", "observability")
        assert check.area == "failure"


def test_a_breaker_episode_that_could_not_run_is_skip_or_error_never_pass() -> None:
    skipped = BreakerEpisode(target="t", route="", skipped="no route")
    errored = BreakerEpisode(target="t", route="", error="no control question")
    assert failure.check_circuit_breaker(skipped).status == "skip"
    assert failure.check_circuit_breaker(errored).status == "error"
