"""Golden-set metrics: retrieval equals ir-measures (trec_eval) per question and on average, answer
F1 follows SQuAD, refusals and citations are judged both ways, and the golden sample repeats."""

from __future__ import annotations

import math

import ir_measures
import pytest
from ir_measures import RR, R, Success, nDCG

from playbook.evaluation import (
    ask_golden,
    check_citations,
    evaluate,
    hit_at_k,
    ndcg_at_k,
    normalize_answer,
    recall_at_k,
    reciprocal_rank,
    refusal_correct,
    token_f1,
)
from playbook.golden import GoldenItem
from playbook.targets.base import Answer

# question id -> (cited ids in the answer's order, gold ids)
CASES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "first": (("d1", "d2"), ("d1",)),
    "third": (("d7", "d8", "d1", "d9"), ("d1",)),
    "beyond_k": (("d2", "d3", "d4", "d5", "d6", "d1"), ("d1",)),
    "several_gold_some_cited": (("d9", "d2", "d8", "d3"), ("d1", "d2", "d3")),
    "several_gold_all_first": (("d3", "d1", "d2", "d7"), ("d1", "d2", "d3")),
    "more_gold_than_k": (
        ("g2", "x1", "g5", "g7", "x2", "g1"),
        ("g1", "g2", "g3", "g4", "g5", "g6", "g7"),
    ),
    "no_citation": ((), ("d1",)),
    "gold_never_cited": (("d5", "d6", "d7"), ("d1", "d2")),
    "cited_twice": (("d4", "d4", "d1", "d1"), ("d1",)),
}
MEASURES = {"hit": Success, "recall": R, "ndcg": nDCG}


def as_run(cases) -> list[ir_measures.ScoredDoc]:
    """The answers as a TREC run: strictly falling scores keep the citation order (a repeated
    citation appears once, at its first place, as a run holds a document once)."""
    run = []
    for qid, (cited, _) in cases.items():
        ranked = list(dict.fromkeys(cited))
        run += [
            ir_measures.ScoredDoc(qid, doc, float(len(ranked) - i)) for i, doc in enumerate(ranked)
        ]
    return run


def as_qrels(cases) -> list[ir_measures.Qrel]:
    return [ir_measures.Qrel(qid, doc, 1) for qid, (_, gold) in cases.items() for doc in gold]


def oracle(measures, cases) -> tuple[dict[tuple[str, str], float], dict[str, float]]:
    """ir-measures' per-question values (question, measure name) and aggregates (measure name)."""
    per_query = {
        (m.query_id, str(m.measure)): m.value
        for m in ir_measures.iter_calc(measures, as_qrels(cases), as_run(cases))
    }
    aggregate = ir_measures.calc_aggregate(measures, as_qrels(cases), as_run(cases))
    return per_query, {str(measure): value for measure, value in aggregate.items()}


def golden(cases) -> list[GoldenItem]:
    return [
        GoldenItem(id=qid, question=f"question {qid}", gold_docs=gold)
        for qid, (_, gold) in cases.items()
    ]


def answers(cases) -> dict[str, Answer]:
    return {qid: Answer(text="An answer.", sources=cited) for qid, (cited, _) in cases.items()}


@pytest.mark.parametrize("k", [1, 3, 5, 10])
def test_each_retrieval_metric_equals_ir_measures_per_question(k):
    measures = [Success @ k, R @ k, RR, nDCG @ k]
    per_query, _ = oracle(measures, CASES)
    for qid, (cited, gold) in CASES.items():
        ours = {
            str(Success @ k): hit_at_k(cited, gold, k),
            str(R @ k): recall_at_k(cited, gold, k),
            str(RR): reciprocal_rank(cited, gold),
            str(nDCG @ k): ndcg_at_k(cited, gold, k),
        }
        for name, value in ours.items():
            assert value == pytest.approx(per_query[(qid, name)], abs=1e-12), (qid, name)


def test_evaluate_matches_ir_measures_per_question_and_on_average():
    measures = [Success @ 5, R @ 5, RR, nDCG @ 5]
    per_query, aggregate = oracle(measures, CASES)
    evaluation = evaluate(golden(CASES), answers(CASES), k=5)
    names = {"hit": "Success@5", "recall": "R@5", "mrr": "RR", "ndcg": "nDCG@5"}
    for metric, name in names.items():
        for qid in CASES:
            assert evaluation.questions.at[qid, metric] == pytest.approx(per_query[(qid, name)])
        assert evaluation.aggregates[metric] == pytest.approx(aggregate[name], abs=1e-12)
        assert evaluation.counts[metric] == len(CASES)


def test_unanswerable_questions_and_questions_without_gold_are_left_out_of_retrieval():
    items = [
        *golden(CASES),
        GoldenItem(id="unanswerable", question="q", answerable=False),
        GoldenItem(id="no_gold", question="q"),
    ]
    given = {
        **answers(CASES),
        "unanswerable": Answer("No document says.", ("d1",)),
        "no_gold": Answer("Something.", ("d1",)),
    }
    evaluation = evaluate(items, given, k=5)
    _, aggregate = oracle([Success @ 5, RR, nDCG @ 5], CASES)
    assert math.isnan(evaluation.questions.at["unanswerable", "hit"])
    assert math.isnan(evaluation.questions.at["no_gold", "mrr"])
    assert evaluation.aggregates["mrr"] == pytest.approx(aggregate["RR"])
    assert evaluation.aggregates["ndcg"] == pytest.approx(aggregate["nDCG@5"])
    assert evaluation.counts["hit"] == len(CASES)
    assert evaluation.counts["refusal_correct"] == len(CASES) + 2


def test_tied_scores_agree_once_ordered_the_way_trec_eval_breaks_ties():
    # A run with tied scores: trec_eval orders ties by document id, descending. Citations carry
    # no scores, so the answer's order is that tie-broken order, and both sides agree on it.
    scores = {"a": {"dA": 2.0, "dB": 1.0, "dC": 1.0, "dD": 1.0}, "b": {"x": 1.0, "y": 1.0}}
    gold = {"a": ("dB", "dC"), "b": ("x",)}
    run = [ir_measures.ScoredDoc(q, d, s) for q, docs in scores.items() for d, s in docs.items()]
    qrels = [ir_measures.Qrel(q, d, 1) for q, docs in gold.items() for d in docs]
    measures = [Success @ 2, R @ 2, RR, nDCG @ 2]
    per_query = {
        (m.query_id, str(m.measure)): m.value for m in ir_measures.iter_calc(measures, qrels, run)
    }
    for qid, docs in scores.items():
        order = sorted(docs, key=lambda doc: (docs[doc], doc), reverse=True)
        assert per_query[(qid, "RR")] == pytest.approx(reciprocal_rank(order, gold[qid]))
        assert per_query[(qid, "R@2")] == pytest.approx(recall_at_k(order, gold[qid], 2))
        assert per_query[(qid, "Success@2")] == pytest.approx(hit_at_k(order, gold[qid], 2))
        assert per_query[(qid, "nDCG@2")] == pytest.approx(ndcg_at_k(order, gold[qid], 2))
    assert per_query[("b", "RR")] == pytest.approx(0.5)  # y sorts before x: the tie is real


@pytest.mark.parametrize(
    ("prediction", "reference", "expected"),
    [
        ("Annual leave is 25 days.", "Annual leave is 25 days.", 1.0),
        ("The cat sat on the mat", "a cat sat", 2 / 3),  # P 2/4, R 2/2
        ("25 days", "Employees get 25 days of leave", 0.5),  # P 2/2, R 2/6
        ("", "Annual leave is 25 days.", 0.0),
        ("Annual leave is 25 days.", "", 0.0),
        ("", "", 1.0),
        ("The answer: 25 MB!", "answer 25 mb", 1.0),  # punctuation, articles, case
        ("Parking is free", "Leave carries over", 0.0),
        (
            "days days days",
            "days",
            0.5,
        ),  # a repeat is shared only as often as both hold it: P 1/3, R 1
    ],
)
def test_token_f1_follows_squad(prediction, reference, expected):
    assert token_f1(prediction, reference) == pytest.approx(expected)


def test_normalisation_removes_articles_only_as_words():
    assert normalize_answer("An apple, the Theory of A.I.") == "apple theory of ai"
    assert normalize_answer("Anthem  theatre\tthen") == "anthem theatre then"


UNANSWERABLE = GoldenItem(id="u", question="What colour is the moon?", answerable=False)
ANSWERABLE = GoldenItem(id="a", question="How long is leave?", gold_docs=("d1",))


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (Answer("Sorry.", status="refused"), 1.0),
        (Answer("I could not find this in the documents."), 1.0),  # refusal in words
        (Answer("I cannot answer that from the documents."), 1.0),  # labelled
        (Answer("The moon is blue on Tuesdays.", ("d1",)), 0.0),  # answered anyway
    ],
)
def test_an_unanswerable_question_is_handled_correctly_only_when_refused(answer, expected):
    assert refusal_correct(answer, UNANSWERABLE) == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (Answer("Leave is 25 days.", ("d1",)), 1.0),
        (Answer("Sorry.", status="refused"), 0.0),
        (Answer("I could not find this in the documents."), 0.0),
    ],
)
def test_an_answerable_question_refused_is_a_wrong_refusal(answer, expected):
    assert refusal_correct(answer, ANSWERABLE) == expected


DOCUMENTS = {
    "d1": "Employees receive 25 days of annual leave per year; five days carry over.",
    "d2": "Parking permits for the staff car park are renewed every January.",
}


def test_a_citation_of_a_served_document_that_holds_the_answer_is_valid():
    answer = Answer("Employees get 25 days of annual leave per year.", ("d1",))
    valid, support, problem = check_citations(answer, DOCUMENTS)
    assert valid and problem == "" and support is not None and support >= 0.8


def test_a_cited_id_the_engagement_does_not_serve_is_invalid():
    answer = Answer("Employees get 25 days of annual leave per year.", ("d1", "d9"))
    valid, _, problem = check_citations(answer, DOCUMENTS)
    assert not valid and "d9" in problem and "d1" not in problem


def test_a_cited_document_whose_text_does_not_support_the_answer_is_invalid():
    answer = Answer("Employees get 25 days of annual leave per year.", ("d2",))
    valid, support, problem = check_citations(answer, DOCUMENTS)
    assert not valid and support is not None and support < 0.5 and "content words" in problem


def test_citation_validity_is_measured_only_with_the_served_documents_and_not_on_refusals():
    items = [ANSWERABLE, GoldenItem(id="b", question="q", gold_docs=("d2",)), UNANSWERABLE]
    given = {
        "a": Answer("Employees get 25 days of annual leave per year.", ("d1",)),
        "b": Answer("Employees get 25 days of annual leave per year.", ("d2",)),
        "u": Answer("Sorry, no document says.", ("d1",), status="refused"),
    }
    measured = evaluate(items, given, DOCUMENTS)
    valid = measured.questions["citation_valid"]
    assert valid["a"] == 1.0 and valid["b"] == 0.0 and math.isnan(valid["u"])
    assert measured.aggregates["citation_valid"] == 0.5
    assert measured.aggregates["refusal_correct"] == 1.0
    unmeasured = evaluate(items, given)
    assert unmeasured.aggregates["citation_valid"] is None
    assert unmeasured.counts["citation_valid"] == 0


def test_answer_f1_is_scored_on_answerable_questions_with_a_reference_answer():
    items = [
        GoldenItem(id="with", question="q", gold_docs=("d1",), reference_answer="25 days"),
        GoldenItem(id="without", question="q", gold_docs=("d1",)),
        GoldenItem(id="unanswerable", question="q", answerable=False, reference_answer="none"),
    ]
    given = {qid: Answer("25 days", ("d1",)) for qid in ("with", "without", "unanswerable")}
    evaluation = evaluate(items, given)
    assert evaluation.questions.at["with", "answer_f1"] == 1.0
    assert evaluation.counts["answer_f1"] == 1


def test_answers_for_ids_outside_the_golden_set_are_refused():
    with pytest.raises(ValueError, match="stranger"):
        evaluate([ANSWERABLE], {"a": Answer("x"), "stranger": Answer("y")})


def test_the_evaluation_code_shares_nothing_with_the_reference_system():
    import ast
    from pathlib import Path

    import playbook.evaluation

    for path in Path(playbook.evaluation.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("playbook.reference"), (path, node.module)
                assert node.module != "playbook.targets.reference", path


class RecordingTarget:
    spec = "python:tests:recording"

    def __init__(self) -> None:
        self.asked: list[tuple[str, str | None]] = []

    def ask(self, question: str, user: str | None = None) -> Answer:
        self.asked.append((question, user))
        return Answer(f"answer to {question}")

    def close(self) -> None:
        pass


def test_the_golden_sample_is_reproducible_and_asked_as_each_user():
    items = [
        GoldenItem(
            id=f"g{i:02d}", question=f"question {i}", user=f"u{i % 3}", answerable=i % 4 != 0
        )
        for i in range(40)
    ]
    first, second, other = RecordingTarget(), RecordingTarget(), RecordingTarget()
    sample = ask_golden(first, items, 12, seed=3)
    assert list(sample) == list(ask_golden(second, items, 12, seed=3))
    assert list(sample) != list(ask_golden(other, items, 12, seed=4))
    assert len(sample) == 12
    chosen = {item.id: item for item in items if item.id in sample}
    assert sum(not item.answerable for item in chosen.values()) == 3  # a quarter, in proportion
    assert sorted(first.asked) == sorted((item.question, item.user) for item in chosen.values())
    assert sample[next(iter(sample))].text.startswith("answer to question")
