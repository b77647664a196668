"""Precomputed impacts: the ranking of large stores, current after every change."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from playbook.reference import impacts as impacts_module
from playbook.reference.impacts import Impacts
from playbook.reference.store import PASSAGE_SLOTS, Store
from playbook.reference.terms import terms

from .world import markdown, write

PASSAGES = [
    (1 * PASSAGE_SLOTS, "Parking", "Visitors park behind the depot; badges at the gate."),
    (1 * PASSAGE_SLOTS + 1, "Parking — Bicycles", "Bicycles go in the covered rack."),
    (2 * PASSAGE_SLOTS, "Shipping", "Parcels leave the depot at 4 pm on weekdays."),
    (3 * PASSAGE_SLOTS, "Canteen", "The canteen opens at noon; parcels are not accepted."),
]


def test_document_frequency_counts_the_passages_holding_a_term() -> None:
    impacts = Impacts.build("1", PASSAGES, PASSAGE_SLOTS)
    holding = Counter(term for _, label, text in PASSAGES for term in set(terms(f"{label} {text}")))
    for term, count in holding.items():
        assert impacts.frequency(term) == count, term
    assert impacts.frequency("submarine") == 0


def test_top_ranks_best_first_leaves_out_masked_and_unmatched_passages() -> None:
    impacts = Impacts.build("1", PASSAGES, PASSAGE_SLOTS)
    query = terms("When do parcels leave the depot?")
    ranked = impacts.top(query, None, 10)
    assert ranked[0][0] == 2 * PASSAGE_SLOTS
    assert [score for _, score in ranked] == sorted((s for _, s in ranked), reverse=True)
    assert 1 * PASSAGE_SLOTS + 1 not in dict(ranked)  # holds no query term
    without_document_2 = np.array([1, 1, 0, 1], dtype=np.float32)
    assert 2 * PASSAGE_SLOTS not in dict(impacts.top(query, without_document_2, 10))
    assert impacts.top(["submarine"], None, 10) == []


def test_a_label_term_outweighs_the_same_term_in_the_text() -> None:
    passages = [(1, "Canteen", "Opening hours of the kitchen."), (2, "Kitchen", "The canteen.")]
    impacts = Impacts.build("1", passages, PASSAGE_SLOTS)
    assert impacts.top(["canteen"], None, 2)[0][0] == 1


@pytest.mark.parametrize("ranking", ["impacts"], indirect=True)
def test_a_store_that_ranks_serves_each_change_from_impacts_built_by_the_ingest(
    make_system, world: Path, ranking: str
) -> None:
    system = make_system("production")
    assert system.store.impacts_ready()  # built by the ingest, before any question
    question = "Which badge colour do contractors wear at the depot?"
    page = world / "handbook" / "badges.md"
    write(page, markdown("HB-300", "Badges", "Contractors wear an orange badge.", ["all-staff"]))
    system.ingest()
    assert system.store.impacts_ready()
    assert system.store.search(question, None, 5).passages[0].doc_id == "HB-300"
    page.unlink()
    system.ingest()
    assert system.store.impacts_ready()
    assert "HB-300" not in [p.doc_id for p in system.store.search(question, None, 5).passages]


def test_a_change_written_through_another_connection_is_answered_at_once_then_on_impacts(
    make_system, world: Path
) -> None:
    system = make_system("production")
    reader = Store(system.store.path, ranks=True, impacts_from=1)
    assert reader.impacts_ready()  # built as it opened
    write(
        world / "handbook" / "badges.md",
        markdown("HB-300", "Badges", "Contractors wear an orange badge.", ["all-staff"]),
    )
    system.ingest()  # as another process would: `reader` learns of it from the file
    question = "Which badge colour do contractors wear at the depot?"
    assert reader.search(question, None, 5).passages[0].doc_id == "HB-300"  # FTS5, current
    assert reader.wait_for_impacts(timeout=60) and reader.impacts_ready()
    assert reader.search(question, None, 5).passages[0].doc_id == "HB-300"
    reader.close()


def test_a_store_that_only_scans_builds_no_impacts(make_system) -> None:
    prototype = make_system("prototype")
    prototype.ask("When do parcels leave the depot?", "u-eli")
    store = Store(prototype.store.path, impacts_from=1)
    assert not store.impacts_ready()
    store.close()


def test_a_failed_build_leaves_fts5_ranking_and_says_why_in_the_log(
    make_system, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args) -> Impacts:
        raise MemoryError("no room for the index")

    monkeypatch.setattr(impacts_module.Impacts, "build", broken)
    system = make_system("production")
    store = Store(system.store.path, impacts_from=1)
    with caplog.at_level(logging.ERROR, logger="playbook.reference.store"):
        found = store.search("When do parcels leave the depot?", None, 5).passages
        assert store.wait_for_impacts(timeout=60)  # the build it started has failed
        again = store.search("When do parcels leave the depot?", None, 5).passages
        assert store.wait_for_impacts(timeout=60)
    assert found and found == again and not store.impacts_ready()
    assert [r.message for r in caplog.records].count(
        f"building the impacts of {store.path} failed; FTS5 ranks instead"
    ) == 1  # once per generation, not at every query
    store.close()


@pytest.mark.parametrize("ranking", ["impacts"], indirect=True)
def test_queries_during_ingests_always_answer_and_end_on_the_last_change(
    make_system, world: Path, ranking: str
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    system = make_system("production")
    question = "Which badge colour do contractors wear at the depot?"
    page = world / "handbook" / "badges.md"

    def ask_repeatedly() -> int:
        asked = 0
        for _ in range(300):  # bounded: the ingests below take well under this many queries
            system.store.search(question, frozenset({"all-staff"}), 5)
            asked += 1
        return asked

    with ThreadPoolExecutor(max_workers=2) as pool:
        asking = [pool.submit(ask_repeatedly) for _ in range(2)]
        for colour in ("orange", "green", "violet"):
            body = f"Contractors wear a {colour} badge."
            write(page, markdown("HB-300", "Badges", body, ["all-staff"]))
            system.ingest()
        assert [future.result() for future in asking] == [300, 300]
    found = system.store.search(question, frozenset({"all-staff"}), 5).passages
    assert system.store.impacts_ready()
    assert found[0].doc_id == "HB-300" and "violet" in found[0].body
