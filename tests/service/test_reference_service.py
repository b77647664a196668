"""The real reference system over HTTP: access control, history, auth and the HTTP adapter."""

from __future__ import annotations

import logging
import socket

import httpx
import pytest

from playbook.faults import Fault, FaultPlan
from playbook.reference.server import MAX_BODY_BYTES, start_server
from playbook.reference.system import ReferenceSystem
from playbook.targets import connect
from playbook.targets.http import HttpTarget
from playbook.targets.reference import ReferenceTarget, reference_settings

from .conftest import GOLDEN, SALARY, SALARY_MARKER, TOKENS, closed_port

pytestmark = pytest.mark.service


def post(server, question: str, user: str | None = None, token: str | None = None):
    token = token if token is not None else TOKENS.get(user or "")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(
        f"{server.url}/v1/ask",
        json={"question": question},
        headers=headers,
        timeout=10,
        trust_env=False,
    )


def history(server, user: str | None):
    headers = {"Authorization": f"Bearer {TOKENS[user]}"} if user else {}
    return httpx.get(f"{server.url}/v1/history", headers=headers, timeout=10, trust_env=False)


def test_restricted_document_never_reaches_a_user_outside_its_group_over_http(serve):
    production = serve("production")
    outsider = post(production, SALARY, "u-bob").json()
    assert "HB-003" not in [source["id"] for source in outsider["sources"]]
    assert SALARY_MARKER not in outsider["answer"]
    insider = post(production, SALARY, "u-hana").json()
    assert [source["id"] for source in insider["sources"]] == ["HB-003"]
    assert SALARY_MARKER in insider["answer"]


def test_prototype_serves_a_restricted_document_to_anyone_over_http(serve):
    prototype = serve("prototype")
    for user in ("u-bob", None):
        reply = post(prototype, SALARY, user).json()
        assert [source["id"] for source in reply["sources"]] == ["HB-003"]
        assert SALARY_MARKER in reply["answer"]


def test_on_production_a_user_cannot_see_another_users_questions(serve):
    production = serve("production")
    question = "When is the Lisbon office open? (asked by alice, production)"
    assert post(production, question, "u-alice").status_code == 200
    bob = [entry["question"] for entry in history(production, "u-bob").json()["entries"]]
    alice = history(production, "u-alice").json()["entries"]
    assert question not in bob
    assert question in [entry["question"] for entry in alice]
    assert {entry["user"] for entry in alice} == {"u-alice"}


def test_on_prototype_anyone_sees_everyones_questions(serve):
    prototype = serve("prototype")
    question = "When is the Lisbon office open? (asked by alice, prototype)"
    assert post(prototype, question, "u-alice").status_code == 200
    for viewer in ("u-bob", None):
        entries = history(prototype, viewer).json()["entries"]
        assert question in [entry["question"] for entry in entries]


@pytest.mark.parametrize("token", ["tok-nobody", ""])
def test_unknown_or_missing_token_gets_401_and_no_data_on_production(serve, token):
    production = serve("production")
    asked = post(production, SALARY, token=token)
    listed = httpx.get(
        f"{production.url}/v1/history",
        headers={"Authorization": f"Bearer {token}"} if token else {},
        trust_env=False,
    )
    for reply in (asked, listed):
        assert reply.status_code == 401
        assert reply.json() == {"error": "unauthorised"}
    assert SALARY_MARKER not in asked.text


def test_unknown_token_is_served_as_anonymous_on_prototype(serve):
    reply = post(serve("prototype"), GOLDEN[0], token="tok-nobody")
    assert reply.status_code == 200
    assert "25 days" in reply.json()["answer"]


@pytest.mark.parametrize("profile", ["prototype", "production"])
def test_oversized_and_non_json_requests_get_a_4xx_json_error(serve, profile):
    server = serve(profile)
    headers = {"Authorization": f"Bearer {TOKENS['u-alice']}"}
    big = httpx.post(
        f"{server.url}/v1/ask",
        json={"question": "x" * MAX_BODY_BYTES},
        headers=headers,
        trust_env=False,
    )
    junk = httpx.post(
        f"{server.url}/v1/ask", content=b"{question: hi", headers=headers, trust_env=False
    )
    assert big.status_code == 413
    assert junk.status_code == 400
    for reply in (big, junk):
        assert reply.headers["content-type"] == "application/json"
        assert "Traceback" not in reply.text
        assert set(reply.json()) == {"error"}


def test_a_raw_failure_reaches_the_caller_as_answer_text_on_prototype_only(serve):
    failing = FaultPlan((Fault(kind="exception", stage="generation"),))
    replies = {}
    for profile in ("prototype", "production"):
        server = serve(profile)
        server.system.set_faults(failing)
        try:
            # A question no other test asks, so production's cache cannot answer it.
            replies[profile] = post(server, "How many days of annual leave carry over?", "u-alice")
        finally:
            server.system.set_faults(None)
    prototype, production = replies["prototype"], replies["production"]
    # The HTTP layer reports every answer as 200; the body's status says what happened.
    assert (prototype.status_code, production.status_code) == (200, 200)
    assert prototype.json()["status"] == "error"
    assert "Traceback" in prototype.json()["answer"]
    assert production.json()["status"] == "degraded"
    assert "Traceback" not in production.text


def test_metrics_and_health_are_served(serve):
    production = serve("production")
    post(production, GOLDEN[0], "u-alice")
    assert httpx.get(f"{production.url}/healthz", trust_env=False).json() == {"status": "ok"}
    metrics = httpx.get(f"{production.url}/metrics", trust_env=False)
    assert metrics.status_code == 200
    assert "# TYPE" in metrics.text


@pytest.mark.parametrize("profile", ["prototype", "production"])
def test_the_http_adapter_gives_the_same_answers_as_the_in_process_target(
    serve, engagement, tokens_in_env, tmp_path, profile
):
    server = serve(profile)
    remote = connect(f"{server.url}/v1/ask", engagement)
    local = ReferenceTarget.from_engagement(engagement, profile, workdir=tmp_path / "local")
    try:
        assert isinstance(remote, HttpTarget)
        for user in ("u-alice", "u-hana"):
            for question in GOLDEN:
                over_http = remote.ask(question, user)
                in_process = local.ask(question, user)
                seen = (over_http.text, over_http.sources, over_http.status)
                assert seen == (in_process.text, in_process.sources, in_process.status)
                assert over_http.trace_id
                assert over_http.timings["total"] >= over_http.timings["server_total"]
    finally:
        remote.close()
        local.close()


def test_the_golden_set_covers_answers_refusals_and_a_restricted_document(
    serve, engagement, tokens_in_env
):
    remote = connect(f"{serve('production').url}/v1/ask", engagement)
    try:
        statuses = {remote.ask(question, "u-alice").status for question in GOLDEN}
        assert {"ok", "refused"} <= statuses
        assert remote.ask(SALARY, "u-hana").sources == ("HB-003",)
    finally:
        remote.close()


def test_a_target_that_is_down_is_an_error_answer_not_an_exception(engagement):
    target = HttpTarget(f"http://127.0.0.1:{closed_port()}/v1/ask", engagement.target.http)
    try:
        answer = target.ask("anyone there?")
    finally:
        target.close()
    assert answer.status == "error"
    assert answer.text == ""
    assert "ConnectError" in answer.error


def test_a_target_that_never_replies_times_out_as_an_error_answer(engagement):
    config = engagement.target.http.model_copy(update={"timeout_s": 0.3})
    # Connections complete in the kernel's backlog, but nothing ever reads or answers them.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        target = HttpTarget(f"http://127.0.0.1:{silent.getsockname()[1]}/v1/ask", config)
        try:
            answer = target.ask("hello?")
        finally:
            target.close()
    assert answer.status == "error"
    assert "timed out after 0.3 s" in answer.error


def test_a_token_set_in_the_environment_never_appears_in_logs_or_answers(
    engagement, tokens_in_env, tmp_path, caplog, capfd
):
    system = ReferenceSystem(reference_settings(engagement, "production", tmp_path / "system"))
    system.ingest()
    answers = []
    with (
        caplog.at_level(logging.DEBUG),
        start_server(system, access_log=True) as server,
    ):
        target = connect(f"{server.url}/v1/ask", engagement)
        try:
            for user in TOKENS:
                answers.append(target.ask(SALARY, user))
            answers.append(target.ask(SALARY))  # anonymous: refused by the server
            shown = repr(target)
        finally:
            target.close()
        post(server, SALARY, token=TOKENS["u-alice"] + "-forged")
        history(server, "u-alice")
    system.close()
    out, err = capfd.readouterr()
    logged = caplog.text + out + err + repr(system.logs)
    assert "POST /v1/ask" in logged  # the access log was captured, so its silence means something
    assert answers[-1].status == "error" and "401" in answers[-1].error
    for token in TOKENS.values():
        assert token not in logged
        assert token not in shown
        for answer in answers:
            assert token not in repr(answer)


def test_the_served_copy_answers_users_whose_file_names_no_token(engagement, tmp_path):
    """A client's users file carries no demo tokens; notebooks 04 and 06 serve the reference
    system over HTTP all the same: each such user asks with a token made for that server's
    life, which is written nowhere once it has started, and a stranger is still refused."""
    import yaml

    from playbook.targets.capabilities import Serving, capability

    users = yaml.safe_load(engagement.resolve(engagement.users).read_text(encoding="utf-8"))
    for user in users["users"]:
        user.pop("token")
    users_file = tmp_path / "client-users.yaml"
    users_file.write_text(yaml.safe_dump(users), encoding="utf-8")
    client = engagement.model_copy(update={"users": str(users_file)})
    target = connect("reference:production", client, workdir=tmp_path / "work")
    served = capability(target, Serving).open(tmp_path / "served")
    try:
        insider = served.ask(SALARY, "u-hana")
        outsider = served.ask(SALARY, "u-bob")
        stranger = served.ask(SALARY, "u-nobody")
        files = [path for path in (tmp_path / "served").rglob("*") if path.is_file()]
    finally:
        served.close()
        target.close()
    assert (insider.status, insider.sources) == ("ok", ("HB-003",)), insider.text
    assert SALARY_MARKER in insider.text
    assert outsider.status != "error" and "HB-003" not in outsider.sources
    assert (stranger.status, stranger.text) == ("error", '{"error":"unauthorised"}')
    assert [path.name for path in files if path.suffix == ".yaml"] == ["engagement.yaml"]
    assert all("token" not in path.read_text(encoding="utf-8", errors="replace") for path in files)
