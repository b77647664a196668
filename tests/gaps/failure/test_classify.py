"""What the user is shown, classified: correct, safe degraded, wrong but confident, raw, late."""

from __future__ import annotations

import pytest

from playbook.faults import MALFORMED, NONSENSE
from playbook.gaps.failure import classify, raw_failure_reason
from playbook.golden import GoldenItem
from playbook.reference.answering import REFUSAL_TEXT, SEARCH_DOWN_TEXT
from playbook.targets.base import Answer

LEAVE = GoldenItem(id="g1", question="How many days of leave?", gold_docs=("HB-001",))
MOON = GoldenItem(id="g2", question="What colour is the moon?", answerable=False)
BUDGET_S = 2.5
TRACEBACK = (
    'Traceback (most recent call last):\n  File "/srv/app.py", line 12, in ask\n'
    "ConnectionResetError: [Errno 104] Connection reset by peer"
)


def outcome(answer: Answer, item: GoldenItem = LEAVE, seconds: float = 0.1) -> str:
    return classify(answer, item, seconds, BUDGET_S)[0]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (TRACEBACK, "stack trace"),
        ("InjectedError: ConnectionResetError: [Errno 104]", "exception text"),
        ("<html><body><h1>502 Bad Gateway</h1></body></html>", "HTTP error body"),
        ("503 Service Unavailable", "HTTP error body"),
        ('{"error": {"message": "rate limited", "type": "rate_limit_error"}}', "raw JSON payload"),
        (MALFORMED[0], "raw JSON payload"),
        (MALFORMED[1], "malformed text"),
        ("", "empty answer"),
        ("   \n", "empty answer"),
    ],
)
def test_stack_traces_exceptions_error_bodies_junk_and_empty_answers_are_raw_failures(
    text: str, reason: str
) -> None:
    assert raw_failure_reason(text) == reason
    assert outcome(Answer(text, status="ok")) == "raw_failure"
    assert outcome(Answer(text, status="error")) == "raw_failure"


def test_document_text_that_mentions_an_exception_is_not_a_raw_failure() -> None:
    text = "Exception EX-HR-2026-019 was approved for 45 days. [HB-001]"
    assert raw_failure_reason(text) is None
    assert outcome(Answer(text, ("HB-001",))) == "correct"


def test_an_answer_citing_a_gold_document_is_correct_and_one_citing_another_is_confidently_wrong():
    assert outcome(Answer("You get 25 days. [HB-001]", ("HB-001",))) == "correct"
    assert outcome(Answer("You get 25 days. [HB-009]", ("HB-009",))) == "wrong_confident"
    assert outcome(Answer(NONSENSE[0])) == "wrong_confident"


def test_a_labelled_fallback_or_an_honest_refusal_is_safe_degraded() -> None:
    fallback = "[Degraded answer: the assistant is degraded] ... [HB-001]"
    assert outcome(Answer(fallback, ("HB-001",), status="degraded")) == "safe_degraded"
    assert outcome(Answer(SEARCH_DOWN_TEXT, status="degraded")) == "safe_degraded"
    assert outcome(Answer(REFUSAL_TEXT, status="refused")) == "safe_degraded"
    # A black-box target without a status field: the label in the text is what the user reads.
    assert outcome(Answer(SEARCH_DOWN_TEXT, status="ok")) == "safe_degraded"


def test_an_error_status_is_safe_only_with_an_honest_message() -> None:
    polite = "The assistant is temporarily unavailable. Please try again in a minute."
    assert outcome(Answer(polite, status="error")) == "safe_degraded"
    assert outcome(Answer("Something happened.", status="error")) == "raw_failure"


def test_an_answer_later_than_the_budget_is_no_answer_whatever_it_says() -> None:
    good = Answer("You get 25 days. [HB-001]", ("HB-001",))
    assert outcome(good, seconds=BUDGET_S + 0.01) == "no_answer_in_budget"
    assert outcome(good, seconds=BUDGET_S - 0.01) == "correct"


def test_an_unanswerable_question_is_correct_only_when_refused() -> None:
    assert outcome(Answer(REFUSAL_TEXT, status="refused"), MOON) == "correct"
    assert outcome(Answer("The moon is blue on Tuesdays. [HB-001]", ("HB-001",)), MOON) == (
        "wrong_confident"
    )
