"""The fault matrix against the reference system: prototype fails, production passes, and each
hardening switch the area is about flips its check when turned off in production."""

from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path

import pybreaker
import pytest

from playbook.engagement import DEMO_TEMPLATE, Engagement, load_engagement
from playbook.gaps import failure
from playbook.reference.resilience import RetryPolicy
from playbook.targets.reference import ReferenceFaults

from .world import (
    DECISIONS,
    build_engagement,
    golden,
    reference_target,
    run,
    settings,
)

NOT_PROBED = failure.Probes("t", 0.6, None, error="the probes were not run in this test")
PROBE_CHECKS = ("failure.hostile_inputs", "failure.unanswerable_refused")


@pytest.fixture(scope="module")
def engagement(tmp_path_factory: pytest.TempPathFactory) -> Engagement:
    return build_engagement(tmp_path_factory.mktemp("failure-world"))


@pytest.fixture
def target(engagement: Engagement, tmp_path: Path):
    built = []

    def build(profile: str = "production", **switches: bool):
        options = switches.pop("options", {}) if "options" in switches else {}
        made = reference_target(
            engagement, profile, tmp_path / f"t{len(built)}", switches, **options
        )
        built.append(made)
        return made

    yield build
    for made in built:
        made.close()


def only(engagement: Engagement, target, *kinds: str, episode: bool = False, rates=(1.0, 0.3)):
    config = replace(settings(), kinds=kinds, rates=rates)
    items = golden(engagement)
    matrix = failure.run_fault_matrix(target, items, config)
    checks = {
        check.id: check
        for check in failure.failure_checks(
            NOT_PROBED,
            matrix,
            failure.run_breaker_episode(
                target, [i for i in items if i.id in matrix.control], config
            )
            if episode
            else failure.BreakerEpisode(target=target.spec, route="", skipped="not run"),
            DECISIONS,
        )
    }
    return matrix, checks


def test_prototype_scores_at_most_half_and_fails_its_key_checks_for_the_right_reason(
    engagement, target
) -> None:
    result = run(target("prototype"), engagement)
    assert result.score <= 0.5
    assert result.status("graceful_degradation") == "fail"
    assert result.status("no_raw_failures") == "fail"
    assert "stack trace" in result.checks["failure.no_raw_failures"].detail
    assert result.status("latency_under_fault") == "fail"
    assert "timeout (hang)" in result.checks["failure.latency_under_fault"].detail
    assert result.status("output_validation") == "fail"
    assert result.status("circuit_breaker") == "fail"
    assert "disabled" in result.checks["failure.circuit_breaker"].detail
    assert result.status("log_completeness") == "fail"
    assert result.status("transient_recovery") == "fail"


def test_production_scores_at_least_0_9(engagement, target) -> None:
    result = run(target("production"), engagement)
    failing = {cid: c.detail for cid, c in result.checks.items() if c.status != "pass"}
    assert result.score >= 0.9, failing
    assert result.matrix.observations and result.episode.closed_after_s is not None


def test_turning_off_timeouts_fails_latency_under_fault(engagement, target) -> None:
    _, on = only(engagement, target("production"), "hang")
    _, off = only(engagement, target("production", timeouts=False), "hang")
    assert on["failure.latency_under_fault"].status == "pass"
    assert off["failure.latency_under_fault"].status == "fail"


def test_turning_off_retries_fails_transient_recovery(engagement, target) -> None:
    _, on = only(engagement, target("production"), "rate_limit")
    _, off = only(engagement, target("production", retries=False), "rate_limit")
    assert on["failure.transient_recovery"].status == "pass"
    assert off["failure.transient_recovery"].status == "fail"


def test_turning_off_output_validation_fails_output_validation(engagement, target) -> None:
    _, on = only(engagement, target("production"), "nonsense", "malformed")
    _, off = only(
        engagement, target("production", output_validation=False), "nonsense", "malformed"
    )
    assert on["failure.output_validation"].status == "pass"
    assert off["failure.output_validation"].status == "fail"
    assert off["failure.graceful_degradation"].status == "fail"


def test_turning_off_the_circuit_breaker_fails_the_breaker_check(engagement, target) -> None:
    _, on = only(engagement, target("production"), "exception", episode=True)
    _, off = only(
        engagement, target("production", circuit_breaker=False), "exception", episode=True
    )
    assert on["failure.circuit_breaker"].status == "pass"
    assert off["failure.circuit_breaker"].status == "fail"


def test_turning_off_telemetry_fails_log_completeness(engagement, target) -> None:
    _, on = only(engagement, target("production"), "exception")
    _, off = only(engagement, target("production", telemetry=False), "exception")
    assert on["failure.log_completeness"].status == "pass"
    assert off["failure.log_completeness"].status == "fail"


def test_without_a_retry_budget_retries_multiply_load_beyond_the_decided_factor(
    engagement, target
) -> None:
    _, budgeted = only(engagement, target("production"), "server_error")
    unbounded = target("production", options={"retry_policy": RetryPolicy()})
    matrix, fixed = only(engagement, unbounded, "server_error")
    assert budgeted["failure.retry_amplification"].status == "pass"
    assert fixed["failure.retry_amplification"].status == "fail"
    assert fixed["failure.retry_amplification"].observed == 3.0  # three attempts each


def test_a_hung_generation_does_not_queue_other_requests_behind_the_breaker(
    engagement, target, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, concurrent = only(engagement, target("production"), "hang")
    # pybreaker's own breaker holds a lock for the whole guarded call (pybreaker issue #3).
    monkeypatch.setattr(
        "playbook.reference.system.ConcurrentCircuitBreaker", pybreaker.CircuitBreaker
    )
    _, serialised = only(engagement, target("production"), "hang")
    assert concurrent["failure.latency_under_fault"].status == "pass"
    assert serialised["failure.latency_under_fault"].status == "fail"


def test_cells_are_isolated_so_an_open_breaker_does_not_hide_the_next_fault(
    engagement, target, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The 5xx cells open the breaker (fail_max 3). Reset between cells, the nonsense cell that
    # follows reaches generation (and validation); without the reset its requests never would.
    def generation_calls() -> list[int | None]:
        made = target("production")
        matrix, _ = only(engagement, made, "server_error", "nonsense", rates=(1.0,))
        return [o.upstream_calls for o in matrix.observations if o.kind == "nonsense"]

    isolated = generation_calls()
    monkeypatch.setattr(ReferenceFaults, "reset", lambda self: None)
    leaking = generation_calls()
    assert isolated and all(calls == 1 for calls in isolated)
    assert leaking and all(calls == 0 for calls in leaking)


def test_the_matrix_stops_at_its_time_budget(engagement, target) -> None:
    config = replace(settings(), max_seconds=0.0)
    made = target("prototype")
    matrix = failure.run_fault_matrix(made, golden(engagement), config)
    assert matrix.cells and all(cell.skipped == "time budget spent" for cell in matrix.cells)
    assert not matrix.observations


def test_a_slow_targets_controls_stop_at_a_quarter_of_the_budget_and_leave_time_for_cells(
    engagement, target
) -> None:
    made = target("production")
    ask = made.ask

    def slowly(question, user=None):  # a target that answers in 0.2 s, like a scan of a big site
        time.sleep(0.2)
        return ask(question, user)

    made.ask = slowly
    config = replace(settings(), max_seconds=3.0, kinds=("exception",), rates=(1.0,))
    matrix = failure.run_fault_matrix(made, golden(engagement), config)
    assert 1 <= len(matrix.control) <= 5  # about 0.75 s of controls, not the 20 questions
    assert any(cell.requests for cell in matrix.cells)  # the rest of the time measured cells


def test_a_slow_target_meets_every_fault_kind_within_the_budget_not_the_first_few_only(
    engagement, target
) -> None:
    made = target("prototype")
    ask = made.ask

    def slowly(question, user=None):  # 0.15 s an answer: a scan of a big site
        time.sleep(0.15)
        return ask(question, user)

    made.ask = slowly
    kinds = ("exception", "rate_limit", "malformed", "empty_retrieval")
    config = replace(settings(), max_seconds=4.0, kinds=kinds, rates=(1.0, 0.3))
    matrix = failure.run_fault_matrix(made, golden(engagement), config)
    runnable = [cell for cell in matrix.cells if not cell.skipped.startswith("the route")]
    assert len(runnable) >= 2 * len(kinds) - 1
    assert all(cell.requests >= 1 for cell in runnable)  # every cell got its share of time
    assert {o.kind for o in matrix.observations} == set(kinds)
    planned = sum(math.ceil(config.per_cell / cell.rate) for cell in runnable)
    assert sum(cell.requests for cell in runnable) < planned  # each cell asked for its share


def test_a_target_without_a_fault_route_is_skipped_with_the_reason(engagement) -> None:
    class Callable:
        spec = "python:team.service:answer"

        def ask(self, question, user=None):
            raise AssertionError("a target without a route must not be asked")

        def close(self) -> None:
            pass

    matrix = failure.run_fault_matrix(Callable(), golden(engagement), settings())
    episode = failure.run_breaker_episode(Callable(), [], settings())
    checks = failure.failure_checks(NOT_PROBED, matrix, episode, DECISIONS)
    from_matrix = [check for check in checks if check.id not in PROBE_CHECKS]
    assert {check.status for check in from_matrix} == {"skip"}
    assert "target.fault_hook" in from_matrix[0].detail


def test_on_the_bundled_demo_data_prototype_fails_and_production_passes(tmp_path: Path) -> None:
    demo = load_engagement(DEMO_TEMPLATE)
    # Every check gets data from these kinds; the rest only add time on the demo's larger corpus.
    config = replace(settings(), kinds=("hang", "exception", "rate_limit", "nonsense"))
    scores = {}
    for profile in ("prototype", "production"):
        made = reference_target(demo, profile, tmp_path / profile)
        try:
            scores[profile] = run(made, demo, config=config).score
        finally:
            made.close()
    assert scores["prototype"] <= 0.5
    assert scores["production"] >= 0.9


def test_the_other_profiles_matrix_runs_beside_the_targets_and_keeps_its_own_verdicts(
    engagement, target, tmp_path
) -> None:
    config = replace(settings(), kinds=("hang", "exception"), rates=(1.0,))
    items = golden(engagement)
    prototype = target("prototype")
    matrix, contrast = failure.run_fault_matrices(prototype, items, config, tmp_path / "work")
    assert matrix.target == "reference:prototype"
    assert contrast is not None and contrast.target == "reference:production"
    assert {cell.kind for cell in matrix.cells} == {cell.kind for cell in contrast.cells}
    # each keeps its own profile's behaviour: the prototype waits out a hang, production cuts it
    hung = {
        m.target: max(o.seconds for o in m.observations if o.kind == "hang")
        for m in (matrix, contrast)
    }
    assert hung["reference:prototype"] >= config.hang_s
    assert hung["reference:production"] < config.budget_s
