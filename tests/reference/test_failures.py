"""Faults, and what each resilience switch does about them."""

from __future__ import annotations

import time

import pytest

from playbook.errors import PlaybookError
from playbook.faults import Fault, FaultPlan
from playbook.reference.answering import DEGRADED_LABEL
from playbook.reference.faults import RateLimited, ServerError
from playbook.reference.resilience import BreakerSettings, RetryPolicy, StageBudgets
from playbook.reference.resilience import call_with_retries as retried

QUESTION = "How many days of annual leave do I get?"


def test_faults_are_reproducible_from_their_seed() -> None:
    plan = FaultPlan.of(Fault("exception", "generation", rate=0.3, seed=11))
    same = FaultPlan.of(Fault("exception", "generation", rate=0.3, seed=11))
    other = FaultPlan.of(Fault("exception", "generation", rate=0.3, seed=12))
    faulted = plan.faulted_requests(200)
    assert faulted == same.faulted_requests(200)
    assert faulted != other.faulted_requests(200)
    assert 30 <= len(faulted) <= 90  # about 30 % of 200


def test_the_same_plan_faults_the_same_requests_of_a_system(make_system) -> None:
    plan = FaultPlan.of(Fault("exception", "generation", rate=0.4, seed=3))
    runs = []
    for _ in range(2):
        system = make_system("prototype")
        system.set_faults(plan)
        runs.append([system.ask(QUESTION, "u-sam").status == "error" for _ in range(12)])
    assert runs[0] == runs[1]
    assert [i for i, failed in enumerate(runs[0]) if failed] == plan.faulted_requests(12)


def test_a_fault_at_the_wrong_stage_or_rate_is_an_error() -> None:
    with pytest.raises(PlaybookError, match="stage"):
        Fault("nonsense", "retrieval")
    with pytest.raises(PlaybookError, match="rate"):
        Fault("exception", "generation", rate=1.5)
    with pytest.raises(PlaybookError, match="kind"):
        Fault("meteor", "generation")  # type: ignore[arg-type]


def test_prototype_shows_the_raw_failure_and_the_breaker_switch_degrades_it(make_system) -> None:
    raw = make_system("prototype", faults=FaultPlan.of(Fault("exception", "generation")))
    isolated = make_system(
        "prototype",
        switches={"circuit_breaker": True},
        faults=FaultPlan.of(Fault("exception", "generation")),
    )
    shown = raw.ask(QUESTION, "u-sam")
    assert shown.status == "error" and "Traceback" in shown.text
    assert "ConnectionResetError" in shown.text
    degraded = isolated.ask(QUESTION, "u-sam")
    assert degraded.status == "degraded" and degraded.text.startswith(DEGRADED_LABEL)
    assert degraded.sources == ("HB-001",) and "Traceback" not in degraded.text


def test_retrieval_failure_in_production_is_a_labelled_degraded_answer(make_system) -> None:
    system = make_system("production", faults=FaultPlan.of(Fault("server_error", "retrieval")))
    answer = system.ask(QUESTION, "u-sam")
    assert answer.status == "degraded" and DEGRADED_LABEL in answer.text
    assert system.upstream_calls["retrieval"] == system.retry_policy.attempts


def test_empty_retrieval_is_refused_politely_on_both_profiles(make_system) -> None:
    for profile in ("prototype", "production"):
        system = make_system(profile, faults=FaultPlan.of(Fault("empty_retrieval", "retrieval")))
        assert system.ask(QUESTION, "u-sam").status == "refused"


def test_timeouts_bound_a_hang(make_system) -> None:
    hang = FaultPlan.of(Fault("hang", "generation", seconds=20.0))
    bounded = make_system("production", faults=hang, budgets=StageBudgets(generation=0.2))
    started = time.monotonic()
    answer = bounded.ask(QUESTION, "u-sam")
    assert time.monotonic() - started < 10.0  # far below the 20 s hang
    assert answer.status == "degraded" and answer.error.startswith("StageTimeout")


def test_without_timeouts_the_caller_waits_out_the_hang(make_system) -> None:
    short_hang = FaultPlan.of(Fault("hang", "generation", seconds=0.3))
    unbounded = make_system(
        "production",
        switches={"timeouts": False},
        faults=short_hang,
        budgets=StageBudgets(generation=0.05),
    )
    answer = unbounded.ask(QUESTION, "u-sam")
    assert answer.timings["generation"] >= 0.3  # the budget of 0.05 s was not applied
    assert "hung" in answer.error


def test_retries_respect_stop_and_only_retry_transient_errors(make_system) -> None:
    policy = RetryPolicy(attempts=3, initial_wait=0.001, max_wait=0.01)
    limited = FaultPlan.of(Fault("rate_limit", "generation", seconds=0.01))
    retrying = make_system("production", faults=limited, retry_policy=policy)
    once = make_system(
        "production", switches={"retries": False}, faults=limited, retry_policy=policy
    )
    assert retrying.ask(QUESTION, "u-sam").status == "degraded"
    assert retrying.upstream_calls["generation"] == 3  # stopped after three attempts
    assert once.ask(QUESTION, "u-sam").status == "degraded"
    assert once.upstream_calls["generation"] == 1
    broken = make_system(
        "production", faults=FaultPlan.of(Fault("exception", "generation")), retry_policy=policy
    )
    broken.ask(QUESTION, "u-sam")
    assert broken.upstream_calls["generation"] == 1  # a bug is not retried


def test_retries_recover_a_transient_failure(make_system) -> None:
    policy = RetryPolicy(attempts=5, initial_wait=0.001, max_wait=0.01)
    flaky = FaultPlan.of(Fault("server_error", "generation", rate=0.5, seed=1))
    system = make_system("production", faults=flaky, retry_policy=policy)
    statuses = [system.ask(f"{QUESTION} ({n})", "u-sam").status for n in range(10)]
    assert statuses.count("ok") >= 9
    assert system.upstream_calls["generation"] > 10  # some requests needed a second attempt


def test_retry_waits_at_least_the_retry_after_the_upstream_asked_for() -> None:
    waits: list[float] = []
    outcomes = iter([RateLimited("429", retry_after=0.7), ServerError("503"), "done"])

    def call(attempt: int) -> str:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    policy = RetryPolicy(attempts=3, initial_wait=0.001, max_wait=0.01, max_retry_after=5.0)
    assert retried(call, policy, sleep=waits.append) == "done"
    assert waits[0] >= 0.7 and waits[1] <= 0.01


def test_a_retry_after_longer_than_the_cap_is_not_waited_for() -> None:
    waits: list[float] = []

    def call(attempt: int) -> str:
        raise RateLimited("429", retry_after=60.0)

    with pytest.raises(RateLimited):
        retried(call, RetryPolicy(attempts=3, max_retry_after=2.0), sleep=waits.append)
    assert waits == []


def test_breaker_opens_after_repeated_failures_then_closes_after_recovery(make_system) -> None:
    system = make_system(
        "production",
        switches={"retries": False, "cache": False},
        faults=FaultPlan.of(Fault("server_error", "generation")),
        breaker=BreakerSettings(fail_max=3, reset_timeout=0.3),
    )
    for _ in range(3):
        assert system.ask(QUESTION, "u-sam").status == "degraded"
    assert system.breaker_state == "open"
    calls = system.upstream_calls["generation"]
    open_answer = system.ask(QUESTION, "u-sam")
    assert open_answer.status == "degraded" and open_answer.sources == ("HB-001",)
    assert system.upstream_calls["generation"] == calls  # not called while open
    system.set_faults(None)
    deadline = time.monotonic() + 5.0
    while system.breaker_state == "open" and time.monotonic() < deadline:
        time.sleep(0.05)
        if system.ask(QUESTION, "u-sam").status == "ok":
            break
    assert system.breaker_state == "closed"
    assert system.ask(QUESTION, "u-sam").status == "ok"


def test_breaker_state_is_disabled_without_the_switch(make_system) -> None:
    assert make_system("prototype").breaker_state == "disabled"


@pytest.mark.parametrize("kind", ["nonsense", "malformed"])
def test_output_validation_replaces_bad_generations_with_a_labelled_fallback(
    make_system, kind: str
) -> None:
    plan = FaultPlan.of(Fault(kind, "generation"))
    validated = make_system("production", faults=plan)
    unvalidated = make_system("production", switches={"output_validation": False}, faults=plan)
    checked = validated.ask(QUESTION, "u-sam")
    assert checked.status == "degraded" and checked.sources == ("HB-001",)
    assert checked.error.startswith("OutputRejected")
    shown = unvalidated.ask(QUESTION, "u-sam")
    assert shown.status == "ok" and shown.sources == ()  # the junk reaches the user as an answer


def test_latency_fault_adds_its_seconds_to_the_stage(make_system) -> None:
    system = make_system(
        "prototype", faults=FaultPlan.of(Fault("latency", "retrieval", seconds=0.1))
    )
    answer = system.ask(QUESTION, "u-sam")
    assert answer.status == "ok" and answer.timings["retrieval"] >= 0.1
    assert [event.kind for event in system.fault_events] == ["latency"]
