"""The HTTP adapter: request templates, field mapping, auth and failures (on MockTransport)."""

from __future__ import annotations

import json

import httpx
import pytest
import yaml

from playbook.engagement import HttpAuth, HttpResponseMap, load_engagement
from playbook.engagement import HttpTarget as HttpConfig
from playbook.errors import PlaybookError
from playbook.targets.http import (
    HttpTarget,
    coerce_sources,
    coerce_status,
    parse_field_path,
    render_request,
)

URL = "http://api.test/v1/answer"
TOKEN = "tok-alice-0123456789abcdef"


def target(handler, **config) -> HttpTarget:
    return HttpTarget(URL, HttpConfig(**config), transport=httpx.MockTransport(handler))


def replying(payload, status=200, headers=None, seen=None):
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        if isinstance(payload, bytes):
            return httpx.Response(status, content=payload, headers=headers)
        return httpx.Response(status, json=payload, headers=headers)

    return handler


def test_field_paths_reach_nested_keys_list_items_and_every_item_of_a_list():
    document = {"result": {"text": "hi", "refs": [{"doc": "a"}, {"doc": "b"}]}, "list": [1, 2]}
    assert parse_field_path("result.text").find(document) == ["hi"]
    assert parse_field_path("result.refs[*].doc").find(document) == ["a", "b"]
    assert parse_field_path("result.refs[1].doc").find(document) == ["b"]
    assert parse_field_path("list[-1]").find(document) == [2]
    assert parse_field_path("result.missing").find(document) == []
    assert parse_field_path("result.refs[5].doc").find(document) == []
    assert parse_field_path("result.text[*]").find(document) == []


@pytest.mark.parametrize("bad", ["", "a..b", "a[x]", "a[*", "a]b"])
def test_a_malformed_path_is_refused_when_the_engagement_loads_naming_the_field(bad, tmp_path):
    data = {
        "name": "api",
        "target": {"spec": URL, "http": {"response": {"answer": "answer", "sources": bad}}},
    }
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(
        PlaybookError, match=r"engagement\.yaml: field 'target\.http\.response\.sources'"
    ):
        load_engagement(tmp_path)


def test_request_template_fills_placeholders_at_any_depth_and_keeps_other_braces():
    template = {
        "query": {"text": "{question}", "meta": ["asked by {user}", 3, "{user}"]},
        "literal": "{not_a_placeholder}",
    }
    body = render_request(template, "what is {user}?", "alice")
    assert body == {
        "query": {"text": "what is {user}?", "meta": ["asked by alice", 3, "alice"]},
        "literal": "{not_a_placeholder}",
    }
    assert render_request({"u": "{user}", "s": "by {user}"}, "q", None) == {"u": None, "s": "by "}


def test_answer_sources_status_and_trace_id_follow_the_mapping():
    seen: list[httpx.Request] = []
    payload = {
        "result": {"text": "Claims close in 30 days.", "refs": [{"doc": "h-1"}, {"doc": "w-2"}]},
        "meta": {"state": "degraded", "trace": "abc123"},
    }
    adapter = target(
        replying(payload, seen=seen),
        request={"input": {"q": "{question}", "who": "{user}"}},
        response=HttpResponseMap(
            answer="result.text",
            sources="result.refs[*].doc",
            status="meta.state",
            trace_id="meta.trace",
        ),
    )
    answer = adapter.ask("How long do claims take?", user="alice")
    assert answer.text == "Claims close in 30 days."
    assert answer.sources == ("h-1", "w-2")
    assert answer.status == "degraded"
    assert answer.trace_id == "abc123"
    assert answer.error is None
    assert answer.timings["total"] > 0
    assert json.loads(seen[0].content) == {
        "input": {"q": "How long do claims take?", "who": "alice"}
    }
    assert seen[0].method == "POST"


def test_default_mapping_reads_answer_and_source_objects_with_ids():
    adapter = target(replying({"answer": "yes", "sources": [{"id": "d1"}, {"id": "d2"}]}))
    answer = adapter.ask("q")
    assert (answer.text, answer.sources, answer.status) == ("yes", ("d1", "d2"), "ok")


def test_without_a_status_mapping_a_2xx_reply_is_ok_even_if_the_body_says_otherwise():
    answer = target(replying({"answer": "x", "status": "error"})).ask("q")
    assert answer.status == "ok"
    mapped = target(
        replying({"answer": "x", "status": "error"}), response=HttpResponseMap(status="status")
    ).ask("q")
    assert mapped.status == "error"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ok", "ok"),
        ("REFUSED", "refused"),
        ("failed", "error"),
        ("fallback", "degraded"),
        (True, "ok"),
        (False, "error"),
        ("something-else", "ok"),
    ],
)
def test_status_values_map_onto_the_playbook_statuses(value, expected):
    assert coerce_status(value) == expected


def test_sources_accept_strings_numbers_id_objects_and_nested_lists():
    assert coerce_sources([["a", 2], {"id": "b"}, None]) == ("a", "2", "b")


def test_server_stage_timings_come_from_the_body_or_the_server_timing_header():
    body = {"answer": "x", "timings": {"retrieve": 0.01, "total": 0.05, "bad": "n/a"}}
    answer = target(replying(body)).ask("q")
    assert answer.timings["retrieve"] == pytest.approx(0.01)
    assert answer.timings["server_total"] == pytest.approx(0.05)
    assert "bad" not in answer.timings
    headed = target(
        replying({"answer": "x"}, headers={"Server-Timing": "db;dur=12.5, cache;desc=miss"})
    ).ask("q")
    assert headed.timings["db"] == pytest.approx(0.0125)
    assert "cache" not in headed.timings
    assert headed.timings["total"] > 0


def test_trace_id_falls_back_to_response_headers():
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    answer = target(replying({"answer": "x"}, headers={"traceparent": traceparent})).ask("q")
    assert answer.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    answer = target(replying({"answer": "x"}, headers={"X-Trace-Id": "t-1"})).ask("q")
    assert answer.trace_id == "t-1"


def test_a_non_2xx_reply_is_an_error_answer_showing_what_the_api_user_would_see():
    answer = target(replying(b"Internal Server Error", status=500)).ask("q")
    assert answer.status == "error"
    assert answer.text == "Internal Server Error"
    assert answer.error == "HTTP 500 Internal Server Error"
    with_answer = target(replying({"answer": "Traceback: KeyError"}, status=502)).ask("q")
    assert (with_answer.status, with_answer.text) == ("error", "Traceback: KeyError")


def test_a_body_that_is_not_json_is_an_error_answer_with_the_raw_body():
    answer = target(replying(b"<html>oops</html>")).ask("q")
    assert answer.status == "error"
    assert answer.text == "<html>oops</html>"
    assert "not JSON" in answer.error


def test_a_missing_answer_field_is_an_error_naming_the_engagement_field():
    answer = target(replying({"reply": "x"}), response=HttpResponseMap(answer="result.text")).ask(
        "q"
    )
    assert answer.status == "error"
    assert "target.http.response.answer" in answer.error
    assert "result.text" in answer.error


def test_a_transport_failure_is_an_error_answer_not_an_exception():
    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    def stall(request):
        raise httpx.ReadTimeout("read timed out", request=request)

    down = target(refuse).ask("q")
    assert (down.status, down.text) == ("error", "")
    assert "ConnectError" in down.error
    slow = target(stall, timeout_s=0.5).ask("q")
    assert slow.status == "error"
    assert "timed out after 0.5 s" in slow.error


def test_the_token_is_read_from_the_environment_at_call_time_and_sent_in_the_auth_header(
    monkeypatch,
):
    seen: list[httpx.Request] = []
    adapter = target(
        replying({"answer": "x"}, seen=seen),
        auth=HttpAuth(header="X-Api-Key", scheme="", token_env={"alice": "ACME_TOKEN_ALICE"}),
    )
    monkeypatch.setenv("ACME_TOKEN_ALICE", TOKEN)
    adapter.ask("q", user="alice")
    monkeypatch.setenv("ACME_TOKEN_ALICE", "rotated")
    adapter.ask("q", user="alice")
    adapter.ask("q", user="mallory")
    adapter.ask("q")
    assert seen[0].headers["x-api-key"] == TOKEN
    assert seen[1].headers["x-api-key"] == "rotated"
    assert "x-api-key" not in seen[2].headers
    assert "x-api-key" not in seen[3].headers


def test_bearer_scheme_is_prefixed(monkeypatch):
    seen: list[httpx.Request] = []
    monkeypatch.setenv("T_ALICE", TOKEN)
    adapter = target(
        replying({"answer": "x"}, seen=seen), auth=HttpAuth(token_env={"alice": "T_ALICE"})
    )
    adapter.ask("q", user="alice")
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_an_unset_token_variable_is_a_playbook_error_naming_field_and_variable(monkeypatch):
    monkeypatch.delenv("ACME_TOKEN_BOB", raising=False)
    seen: list[httpx.Request] = []
    adapter = target(
        replying({"answer": "x"}, seen=seen), auth=HttpAuth(token_env={"bob": "ACME_TOKEN_BOB"})
    )
    with pytest.raises(PlaybookError) as raised:
        adapter.ask("q", user="bob")
    assert "target.http.auth.token_env.bob" in str(raised.value)
    assert "ACME_TOKEN_BOB" in str(raised.value)
    assert seen == []
    monkeypatch.setenv("ACME_TOKEN_BOB", "")
    with pytest.raises(PlaybookError, match="ACME_TOKEN_BOB"):
        adapter.ask("q", user="bob")


def test_the_token_never_appears_in_answers_errors_or_repr(monkeypatch):
    monkeypatch.setenv("T_ALICE", TOKEN)

    def echo(request):
        # A careless API that reflects the credentials it was given.
        return httpx.Response(401, text=f"bad credentials {request.headers['authorization']}")

    adapter = target(echo, auth=HttpAuth(token_env={"alice": "T_ALICE"}))
    answer = adapter.ask("q", user="alice")
    assert answer.status == "error"
    assert "bad credentials" in answer.text
    for shown in (repr(answer), repr(adapter), str(vars(adapter))):
        assert TOKEN not in shown


def test_one_client_is_reused_and_closed():
    adapter = target(replying({"answer": "x"}))
    client = adapter._client
    adapter.ask("a")
    adapter.ask("b")
    assert adapter._client is client
    adapter.close()
    assert client.is_closed


@pytest.mark.parametrize("spec", ["reference:prototype", "http://", "http://:8080/ask"])
def test_a_spec_that_is_not_an_http_url_with_a_host_is_refused(spec):
    with pytest.raises(PlaybookError, match="expected http://host:port/path"):
        HttpTarget(spec)


def test_an_api_key_goes_in_any_header_without_a_scheme(monkeypatch):
    monkeypatch.setenv("ACME_KEY", TOKEN)
    seen: list[httpx.Request] = []
    auth = HttpAuth(header="X-Api-Key", scheme="", token_env={"u-alice": "ACME_KEY"})
    target(replying({"answer": "ok"}, seen=seen), auth=auth).ask("q", "u-alice")
    assert seen[0].headers["x-api-key"] == TOKEN and "authorization" not in seen[0].headers


def test_an_api_key_can_go_in_a_query_parameter_instead_of_a_header(monkeypatch):
    monkeypatch.setenv("ACME_KEY", TOKEN)
    seen: list[httpx.Request] = []
    auth = HttpAuth(query_param="api_key", token_env={"u-alice": "ACME_KEY"})
    target(replying({"answer": "ok"}, seen=seen), auth=auth).ask("q", "u-alice")
    assert seen[0].url.params["api_key"] == TOKEN and "authorization" not in seen[0].headers


def test_a_401_names_where_the_credentials_went_and_the_variable_never_the_token(monkeypatch):
    monkeypatch.setenv("ACME_KEY", TOKEN)
    auth = HttpAuth(header="X-Api-Key", scheme="", token_env={"u-alice": "ACME_KEY"})
    refused = target(replying({"error": "bad key"}, status=401), auth=auth).ask("q", "u-alice")
    assert refused.status == "error"
    assert "header 'X-Api-Key'" in refused.error and "$ACME_KEY" in refused.error
    assert TOKEN not in refused.error + refused.text
    anonymous = target(replying({"error": "no key"}, status=401), auth=auth).ask("q", "u-bob")
    assert "no credentials were sent for user u-bob" in anonymous.error
    assert "token_env" in anonymous.error and "u-alice" in anonymous.error


def test_a_404_says_nothing_answers_at_the_url():
    missing = target(replying({"detail": "Not Found"}, status=404)).ask("q")
    assert missing.status == "error" and f"nothing answers at {URL}" in missing.error
