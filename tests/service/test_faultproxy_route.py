"""The HTTP route: a served reference system whose model calls go through the fault proxy is
classified like the in-process route for the same faults, checks included."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI, Request

from playbook.engagement import Engagement
from playbook.gaps import failure
from playbook.golden import GoldenItem
from playbook.reference.llm import LlmConfig
from playbook.reference.resilience import BreakerSettings, StageBudgets
from playbook.reference.server import start_server
from playbook.reference.system import ReferenceSystem
from playbook.targets.http import HttpTarget
from playbook.targets.reference import ReferenceTarget, reference_settings
from tests.gaps.failure.world import DECISIONS, settings

from .conftest import GOLDEN

pytestmark = pytest.mark.service

ITEMS = [
    GoldenItem(id="s1", question=GOLDEN[0], user="u-alice", gold_docs=("HB-001",)),
    GoldenItem(id="s2", question=GOLDEN[1], user="u-alice", gold_docs=("HB-002",)),
    GoldenItem(id="s3", question=GOLDEN[2], user="u-alice", gold_docs=("HB-004",)),
]
OPTIONS = {
    "budgets": StageBudgets(retrieval=0.25, generation=0.3),
    "breaker": BreakerSettings(fail_max=3, reset_timeout=0.3),
}
NO_CACHE = {"cache": False}
GENERATION_KINDS = ("latency", "hang", "exception", "rate_limit", "server_error")
BAD_OUTPUT = ("malformed", "nonsense")
_PASSAGE = re.compile(r"^\[([A-Za-z0-9._:-]+)\] [^\n]*\n([^\n]+)", re.M)


def model_app() -> FastAPI:
    """An OpenAI-compatible chat endpoint that answers with the top passage's first sentence."""
    app = FastAPI()

    @app.post("/chat/completions")
    async def complete(request: Request) -> dict:
        prompt = (await request.json())["messages"][-1]["content"]
        doc, body = _PASSAGE.search(prompt).groups()
        sentence = body.split(". ")[0].rstrip(".")
        message = {"role": "assistant", "content": f"{sentence}. [{doc}]"}
        return {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}

    return app


@pytest.fixture(scope="module")
def model() -> Iterator[str]:
    """The stand-in model endpoint on 127.0.0.1, for the whole module."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(model_app(), log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(10)
    sock.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def proxied(engagement: Engagement, model: str, log: Path | None = None) -> Engagement:
    """The engagement with a fault proxy declared on a free port in front of `model`."""
    changes = {"target__fault_proxy": {"port": free_port(), "upstream": model}}
    if log is not None:
        changes["target__logs"] = str(log)
    return engagement.with_overrides(**changes)


def both_routes(engagement: Engagement, model: str, profile: str, tmp_path: Path, kinds):
    """The same faults through the injection points and through the proxy; both matrices.

    A served system cannot be reset between cells, so what would carry over is switched off on
    both sides: the answer cache (cached answers never meet the fault) and the breaker's trip
    (one cell's open breaker would keep the next cell's requests from the upstream).
    """
    config = replace(settings(), kinds=kinds, rates=(1.0,))
    options = {**OPTIONS, "breaker": BreakerSettings(fail_max=1_000, reset_timeout=0.3)}
    local = ReferenceTarget(
        engagement,
        profile,
        tmp_path / "local",
        NO_CACHE,
        llm=LlmConfig(model, "stub"),
        **options,
    )
    try:
        in_process = failure.run_fault_matrix(local, ITEMS, config)
    finally:
        local.close()
    log = tmp_path / "served.log.jsonl"
    declared = proxied(engagement, model, log)
    proxy_url = f"http://127.0.0.1:{declared.target.fault_proxy.port}"
    system = ReferenceSystem(
        reference_settings(
            engagement,
            profile,
            tmp_path / "served",
            switches=NO_CACHE,
            llm=LlmConfig(proxy_url, "stub"),
            log_path=log,
            **options,
        )
    )
    system.ingest()
    try:
        with start_server(system) as server:
            remote = HttpTarget(f"{server.url}/v1/ask", engagement.target.http, engagement=declared)
            try:
                over_http = failure.run_fault_matrix(remote, ITEMS, config)
            finally:
                remote.close()
    finally:
        system.close()
    return in_process, over_http


def outcomes(matrix: failure.FaultMatrix) -> dict[str, Counter]:
    seen: dict[str, Counter] = {}
    for o in matrix.faulted():
        if o.stage == "generation":
            seen.setdefault(o.kind, Counter())[o.outcome] += 1
    return seen


@pytest.mark.parametrize("profile", ["prototype", "production"])
def test_the_http_route_classifies_generation_faults_like_the_in_process_route(
    engagement, model, profile, tmp_path, tokens_in_env
) -> None:
    in_process, over_http = both_routes(
        engagement, model, profile, tmp_path, (*GENERATION_KINDS, *BAD_OUTPUT)
    )
    assert over_http.control == in_process.control == ("s1", "s2", "s3")
    assert outcomes(over_http) == outcomes(in_process)
    for check in (
        "graceful_degradation",
        "no_raw_failures",
        "output_validation",
        "log_completeness",
    ):
        here = getattr(failure, f"check_{check}")
        args = (DECISIONS,) if check == "graceful_degradation" else ()
        assert here(over_http, *args).status == here(in_process, *args).status, check
    expected = "pass" if profile == "production" else "fail"
    assert failure.check_graceful_degradation(over_http, DECISIONS).status == expected
    assert failure.check_log_completeness(over_http).status == expected


def test_the_proxy_route_cannot_inject_empty_retrieval_and_says_so(
    engagement, model, tmp_path, tokens_in_env
) -> None:
    _, over_http = both_routes(engagement, model, "production", tmp_path, ("empty_retrieval",))
    assert over_http.cells and all("cannot inject" in cell.skipped for cell in over_http.cells)


@pytest.mark.parametrize(("profile", "expected"), [("production", "pass"), ("prototype", "fail")])
def test_the_breaker_is_inferred_through_the_proxy_from_calls_that_never_arrive(
    engagement, model, profile, expected, tmp_path, tokens_in_env
) -> None:
    declared = proxied(engagement, model)
    proxy_url = f"http://127.0.0.1:{declared.target.fault_proxy.port}"
    system = ReferenceSystem(
        reference_settings(
            engagement, profile, tmp_path, llm=LlmConfig(proxy_url, "stub"), **OPTIONS
        )
    )
    system.ingest()
    try:
        with start_server(system) as server:
            remote = HttpTarget(f"{server.url}/v1/ask", engagement.target.http, engagement=declared)
            try:
                config = replace(settings(), recovery_wait_s=3.0)
                episode = failure.run_breaker_episode(remote, ITEMS, config)
            finally:
                remote.close()
    finally:
        system.close()
    check = failure.check_circuit_breaker(episode)
    assert episode.inferred and check.status == expected, check.detail
    assert "inferred from upstream calls" in check.detail


def test_an_http_target_without_proxy_settings_is_skipped_with_what_to_set(engagement) -> None:
    remote = HttpTarget("http://127.0.0.1:9/v1/ask", engagement.target.http, engagement=engagement)
    try:
        matrix = failure.run_fault_matrix(remote, ITEMS, settings())
        table = failure.route_table(remote)
    finally:
        remote.close()
    assert "target.fault_proxy" in matrix.skipped
    assert table.loc["fault route", "value"] == "none"
    assert failure.check_graceful_degradation(matrix, DECISIONS).status == "skip"


def test_an_http_target_with_proxy_settings_gets_a_proxy_on_that_port_and_stops_it(
    engagement, model, tmp_path
) -> None:
    declared = proxied(engagement, model, tmp_path / "t.log")
    port = declared.target.fault_proxy.port
    remote = HttpTarget("http://127.0.0.1:9/v1/ask", engagement.target.http, engagement=declared)
    try:
        table = failure.route_table(remote)
        assert table.loc["fault route", "value"].startswith(f"fault proxy http://127.0.0.1:{port}")
        assert table.loc["logs read", "value"] == str(tmp_path / "t.log")
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass  # the proxy listens while the target is open
    finally:
        remote.close()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
