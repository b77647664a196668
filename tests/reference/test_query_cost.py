"""Production retrieval ranks a bounded candidate set, so its cost does not grow with the corpus."""

from playbook.reference import store
from playbook.reference.store import MAX_CANDIDATES, _selective


def test_candidates_come_from_the_rarest_words_within_the_budget():
    counts = {"policy": 40_000, "zebra": 3, "claims": MAX_CANDIDATES - 2, "the": 0}
    assert _selective(counts) == ["zebra"]  # claims would push the candidates over the budget
    counts["claims"] = MAX_CANDIDATES - 3
    assert _selective(counts) == ["zebra", "claims"]


def test_a_question_of_only_common_words_still_matches_its_rarest_word():
    assert _selective({"policy": 40_000, "claim": 25_000}) == ["claim"]


def test_on_a_small_corpus_every_query_word_is_matched():
    counts = {"annual": 40, "leave": 12, "days": 90}
    assert sorted(_selective(counts)) == sorted(counts)


def test_with_a_tiny_candidate_budget_the_rare_word_still_finds_its_document(
    monkeypatch, make_system
):
    system = make_system("production")
    question = "How many days of annual leave carry over into the next year?"
    unbounded = [p.doc_id for p in system.store.search(question, None, 3).passages]
    monkeypatch.setattr(store, "MAX_CANDIDATES", 1)
    bounded = [p.doc_id for p in system.store.search(question, None, 3).passages]
    assert unbounded[0] == bounded[0] == "HB-001"
