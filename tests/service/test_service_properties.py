"""Property-based tests of `playbook serve` on 127.0.0.1: requests generated from its own OpenAPI
schema (schemathesis) and questions from every corner of Unicode (hypothesis). Whatever arrives,
no 5xx, every reply matches the schema, and a user's history stays readable. Examples are bounded
so the run is short and repeatable (derandomized)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playbook.engagement import Engagement
from playbook.reference.server import start_server
from playbook.reference.system import ReferenceSystem
from playbook.targets.reference import reference_settings

from .conftest import TOKENS

pytestmark = pytest.mark.service

BOUNDED = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
AUTH = {"Authorization": f"Bearer {TOKENS['u-alice']}"}
QUERY_SYNTAX = " \"()*:^-+{}[]~\\/|&!?<>=%$#@'`;,."
QUESTIONS = st.one_of(
    st.text(max_size=200),  # any code point, lone surrogates included
    st.text(st.characters(categories=["Cc", "Cf", "Zs", "So", "Mn"]), max_size=60),
    st.text(st.sampled_from(QUERY_SYNTAX + "leave days annual"), max_size=80),
    st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3),
)


@pytest.fixture(scope="module")
def served(engagement: Engagement, tmp_path_factory) -> Iterator[str]:
    """The production profile served on a free loopback port."""
    folder = tmp_path_factory.mktemp("served")
    system = ReferenceSystem(reference_settings(engagement, "production", folder))
    system.ingest()
    with start_server(system) as server:
        yield server.url
    system.close()


def test_no_generated_request_gets_a_5xx_or_a_reply_off_its_schema(served: str) -> None:
    # schemathesis' strategies driven by hypothesis directly: its pytest plugin does not load
    # under the pytest of this project.
    schema = schemathesis.openapi.from_url(f"{served}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/ask", "/v1/history", "/healthz", "/metrics"}
    for operation in operations:

        @BOUNDED
        @given(case=operation.as_strategy())
        def call(case) -> None:
            case.call_and_validate(headers=AUTH)

        call()


@BOUNDED
@given(question=QUESTIONS)
def test_any_question_is_answered_or_refused_in_json_and_history_stays_readable(
    served: str, question: str
) -> None:
    body = '{"question": ' + _json_string(question) + "}"
    with httpx.Client(base_url=served, timeout=10, trust_env=False) as http:
        reply = http.post(
            "/v1/ask", content=body, headers={**AUTH, "content-type": "application/json"}
        )
        assert reply.status_code in (200, 400, 422), reply.text
        assert isinstance(reply.json(), dict)
        if reply.status_code == 200:
            assert "Traceback" not in reply.json()["answer"]
        history = http.get("/v1/history", headers=AUTH)
        assert history.status_code == 200 and isinstance(history.json()["entries"], list)


def _json_string(text: str) -> str:
    """A JSON string literal for any text, lone surrogates written as escapes."""
    escaped = "".join(
        f"\\u{ord(char):04x}" if ord(char) < 0x20 or 0xD800 <= ord(char) <= 0xDFFF else char
        for char in text.replace("\\", "\\\\").replace('"', '\\"')
    )
    return f'"{escaped}"'
