"""Answers: citations of retrieved documents only; a refusal decided relative to the question."""

from __future__ import annotations

import pytest

from playbook.reference.answering import (
    REFUSAL_TEXT,
    cited_sources,
    extract_answer,
    output_problem,
    relevance,
)
from playbook.reference.store import Passage, Retrieval

ANSWERABLE = [
    ("How many days of annual leave do I get?", "HB-001", "u-sam"),
    ("When are expense claims due?", "HB-002", "u-sam"),
    ("When do deployments to production run?", "WK-001", "u-eli"),
    ("What does the third quarter budget forecast project?", "REC-001", "u-fay"),
    ("What are the opening hours of the Lisbon office?", "REC-002", "u-sam"),
    ("How are parking permits renewed?", "REC-003", "u-sam"),
]
UNANSWERABLE = [
    "What is the capital of France?",
    "How do I renew my llama licence?",
    "Who won the chess tournament?",
    "What is the leave policy for astronauts on Mars?",
]


def passage(doc_id: str, body: str, title: str = "Title") -> Passage:
    return Passage(doc_id, title, body, ("all-staff",), "x.md", 1, 1.0)


PROFILES_AND_RANKINGS = pytest.mark.parametrize(
    ("profile", "ranking"),
    [("prototype", "fts5"), ("production", "fts5"), ("production", "impacts")],
    indirect=["ranking"],
)


@PROFILES_AND_RANKINGS
def test_every_cited_source_was_retrieved_and_answerable_questions_are_answered(
    make_system, profile: str, ranking: str
) -> None:
    system = make_system(profile)
    for question, expected, user in ANSWERABLE:
        retrieved = {
            p.doc_id for p in system.store.search(question, None, system.top_k).passages
        } | {p.doc_id for p in system.store.scan(question, None, system.top_k).passages}
        answer = system.ask(question, user)
        assert answer.status == "ok", question
        assert expected in answer.sources, question
        assert set(answer.sources) <= retrieved
        assert all(f"[{doc}]" in answer.text for doc in answer.sources)


@PROFILES_AND_RANKINGS
def test_refusal_fires_for_unanswerable_questions(make_system, profile: str, ranking: str) -> None:
    system = make_system(profile)
    for question in UNANSWERABLE:
        answer = system.ask(question, "u-hana")
        assert (answer.status, answer.text, answer.sources) == ("refused", REFUSAL_TEXT, ()), (
            question
        )


def test_refusal_is_relative_to_the_question_not_to_a_score() -> None:
    body = "Parking permits are renewed every January at reception."
    high = Retrieval((passage("A", body),), {"permit": 1, "renew": 1, "park": 1}, 100)
    missing_rare_word = Retrieval((passage("A", body),), {"park": 1, "llama": 0}, 100)
    assert relevance("How are parking permits renewed?", high).answerable
    assert not relevance("Can a llama use parking?", missing_rare_word).answerable
    assert not relevance("   ???  ", high).answerable
    assert not relevance("How are parking permits renewed?", Retrieval((), {}, 100)).answerable


def test_citations_outside_the_retrieved_documents_are_never_sources() -> None:
    retrieved = [passage("A", "alpha"), passage("B", "beta")]
    assert cited_sources("x [B] y [Z] z [A] [B]", retrieved) == ("B", "A")
    assert cited_sources(None, retrieved) == ()


def test_output_problem_accepts_grounded_cited_text_and_rejects_the_rest() -> None:
    retrieved = [passage("A", "Parking permits are renewed every January at reception.")]
    assert output_problem("Permits are renewed every January at reception. [A]", retrieved) is None
    assert "cites no" in output_problem("Permits are renewed in January.", retrieved)
    assert "appear" in output_problem("Bake the loaf for forty minutes until golden [A]", retrieved)
    assert "malformed" in output_problem("\x00\ufffd [A]", retrieved)
    assert output_problem(None, retrieved) == "generation returned no text"


@pytest.mark.parametrize(
    ("body", "question", "quoted"),
    [
        (
            "A class that overrides __eq__() and does not define __hash__() is unhashable.",
            "Why is my class with __eq__ unhashable?",
            "overrides __eq__() and does not define __hash__()",
        ),
        (
            "Py_FinalizeEx flushes buffers.\n-1 is returned if flushing buffered data failed.",
            "What does Py_FinalizeEx return when flushing buffered data failed?",
            "-1 is returned if flushing buffered data failed.",
        ),
        (
            "Floating point surprises.\n0.1 cannot be represented exactly as a base 2 fraction.",
            "Why can 0.1 not be represented exactly as a fraction?",
            "0.1 cannot be represented exactly as a base 2 fraction.",
        ),
        (
            "contextlib.suppress(*exceptions) ignores the exceptions listed.",
            "How do I ignore listed exceptions with contextlib?",
            "contextlib.suppress(*exceptions) ignores",
        ),
        (
            "Unlike [npm install](/commands/npm-install), it is meant for automated "
            'environments. See ![the flow](img/ci.png "CI") for continuous integration.',
            "Which npm command is meant for automated environments like continuous integration?",
            "Unlike npm install, it is meant for automated environments.",
        ),
        (
            "## Parking\n- Permits are **renewed** every *January* at reception.",
            "When are parking permits renewed?",
            "Permits are renewed every January at reception. [DOC]",
        ),
    ],
)
def test_the_answer_quotes_identifiers_and_numbers_as_the_page_writes_them(
    body: str, question: str, quoted: str
) -> None:
    """Markdown's markers and emphasis are taken out; a page's identifiers, argument lists and
    the number or option that opens a sentence are quoted as written."""
    answer = extract_answer(question, [passage("DOC", body)])
    assert quoted in answer and answer.endswith("[DOC]")
