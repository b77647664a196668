"""Black-box probes: edge inputs and unanswerable questions measure any target that answers."""

from __future__ import annotations

import time

from playbook.gaps import failure
from playbook.golden import GoldenItem
from playbook.targets.base import Answer

from .world import DECISIONS, settings

ITEMS = [
    GoldenItem(id="a1", question="How many days of leave?", user="u-sam", gold_docs=("HB-1",)),
    GoldenItem(id="u1", question="What colour is the moon?", user="u-sam", answerable=False),
    GoldenItem(id="u2", question="Who won the 1987 cup?", user="u-sam", answerable=False),
]


class Careful:
    """A service that handles every input and refuses what it does not know."""

    spec = "python:team.careful:answer"

    def __init__(self) -> None:
        self.users: list[str | None] = []

    def ask(self, question: str, user: str | None = None) -> Answer:
        self.users.append(user)
        return Answer("I could not find this in the documents you can see.", status="refused")

    def close(self) -> None:
        pass


class Brittle:
    """A demo: quotes break its search, empty input returns nothing, it answers everything."""

    spec = "python:team.brittle:answer"

    def ask(self, question: str, user: str | None = None) -> Answer:
        if '"' in question:
            return Answer('sqlite3.OperationalError: fts5: syntax error near """', status="error")
        if not question.strip():
            return Answer("", status="error")
        if "\x00" in question:
            time.sleep(0.7)  # later than the 0.6 s budget of the test world
        return Answer("The moon is blue on Tuesdays, and the cup went to Lisbon. [HB-1]", ("HB-1",))

    def close(self) -> None:
        pass


def test_a_careful_target_passes_both_probe_checks_asked_as_a_known_user() -> None:
    careful = Careful()
    probes = failure.run_probes(careful, ITEMS, settings(), max_questions=10)
    assert len(probes.edge) == len(failure.EDGE_INPUTS) and len(probes.unanswerable) == 2
    assert set(careful.users) == {"u-sam"}
    assert failure.check_hostile_inputs(probes).status == "pass"
    assert failure.check_unanswerable_refused(probes, DECISIONS).status == "pass"


def test_a_brittle_target_fails_both_and_the_evidence_names_what_broke() -> None:
    probes = failure.run_probes(Brittle(), ITEMS, settings(), max_questions=10)
    hostile = failure.check_hostile_inputs(probes)
    assert hostile.status == "fail" and hostile.observed >= 4
    assert "quotes (exception text)" in hostile.detail and "empty (empty answer)" in hostile.detail
    assert "control characters (answered after" in hostile.detail
    unanswerable = failure.check_unanswerable_refused(probes, DECISIONS)
    assert unanswerable.status == "fail" and unanswerable.observed == 0.0
    table = failure.probes_table(probes)
    assert len(table) == len(failure.EDGE_INPUTS) + 2 and "safe" in set(table["verdict"])


def test_without_golden_questions_or_unanswerable_ones_the_probes_could_not_run() -> None:
    nothing = failure.run_probes(Careful(), [], settings(), max_questions=10)
    assert failure.check_hostile_inputs(nothing).status == "error"
    only_answerable = failure.run_probes(Careful(), ITEMS[:1], settings(), max_questions=10)
    check = failure.check_unanswerable_refused(only_answerable, DECISIONS)
    assert check.status == "error" and "answerable: false" in check.detail


class Validating:
    """An API that refuses odd input with a clear 422, and crashes with a 500 on markup."""

    spec = "http://127.0.0.1:9/api"

    def ask(self, question: str, user: str | None = None) -> Answer:
        if "<" in question:
            body = '{"detail": "Internal Server Error"}'
            return Answer(body, status="error", error="HTTP 500 Internal Server Error")
        if not question.strip() or any(ord(c) < 32 and c not in "\t\n" for c in question):
            body = '{"error": "the question cannot be stored", "fields": []}'
            return Answer(body, status="error", error="HTTP 422 Unprocessable Entity")
        return Answer("I could not find this.", status="refused")

    def close(self) -> None:
        pass


def test_a_clear_4xx_rejection_of_bad_input_is_safe_and_a_5xx_is_not() -> None:
    probes = failure.run_probes(Validating(), ITEMS, settings(), max_questions=10)
    by_kind = {answer.kind: answer for answer in probes.edge}
    assert by_kind["empty"].problem == "" and "HTTP 422" in by_kind["empty"].note
    assert by_kind["control characters"].problem == ""
    assert by_kind["markup"].problem == "raw JSON payload"
    check = failure.check_hostile_inputs(probes)
    assert check.status == "fail" and check.observed == 1 and "markup" in check.detail
