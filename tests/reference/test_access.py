"""Who sees what: access filter, authentication, per-user history and the answer cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from .world import markdown, write

SALARY = "What is the salary band for a senior adjuster?"


def test_restricted_document_never_reaches_a_user_outside_its_group(
    make_system, ranking: str
) -> None:
    production = make_system("production")
    outsider = production.ask(SALARY, "u-sam")
    assert "HB-003" not in outsider.sources and "82000" not in outsider.text
    assert outsider.status == "refused"
    assert production.ask(SALARY, "u-hana").sources == ("HB-003",)


def test_prototype_shows_a_restricted_document_to_anyone(make_system) -> None:
    prototype = make_system("prototype")
    assert prototype.ask(SALARY, "u-sam").sources == ("HB-003",)
    assert prototype.ask(SALARY, None).sources == ("HB-003",)


@pytest.mark.parametrize("index", [True, False])
def test_access_filter_switch_decides_whether_groups_restrict_retrieval(
    make_system, index: bool, ranking: str
) -> None:
    filtered = make_system("production", switches={"index": index})
    unfiltered = make_system("production", switches={"index": index, "access_filter": False})
    assert "HB-003" not in filtered.ask(SALARY, "u-sam").sources
    assert unfiltered.ask(SALARY, "u-sam").sources == ("HB-003",)


@pytest.mark.parametrize("index", [True, False])
def test_access_filter_applies_before_the_top_k_limit(
    make_system, world: Path, index: bool, ranking: str
) -> None:
    for number in range(8):
        write(
            world / "handbook" / f"secret-{number}.md",
            markdown(
                f"HB-1{number:02d}",
                f"Pension transfer ledger {number}",
                "Pension transfer ledger: pension transfer values handled by the pension "
                "transfer committee.",
                ["hr"],
            ),
        )
    write(
        world / "handbook" / "pension.md",
        markdown(
            "HB-200",
            "Benefits overview",
            "Ask the benefits desk about a pension transfer from an earlier employer; the "
            "benefits team handles it.",
            ["all-staff"],
        ),
    )
    system = make_system("production", switches={"index": index}, top_k=3)
    question = "How is a pension transfer handled?"
    unfiltered = system.store.search(question, None, 3) if index else None
    if unfiltered is not None:  # the visible page ranks below k restricted ones
        assert "HB-200" not in [passage.doc_id for passage in unfiltered.passages]
    answer = system.ask(question, "u-sam")
    assert answer.sources == ("HB-200",)


def test_authentication_refuses_unknown_callers_and_off_serves_anyone(make_system) -> None:
    guarded = make_system("production")
    open_door = make_system("production", switches={"authentication": False})
    question = "How many days of annual leave?"
    for caller in (None, "u-mallory"):
        refused = guarded.ask(question, caller)
        assert refused.status == "refused" and "Not authorised" in refused.text
        assert refused.sources == ()
        assert open_door.ask(question, caller).sources == ("HB-001",)
    assert guarded.authenticate("tok-hana") == "u-hana"
    assert guarded.authenticate("wrong") is None


def test_unknown_caller_without_authentication_sees_only_all_staff_documents(make_system) -> None:
    system = make_system("production", switches={"authentication": False})
    assert "HB-003" not in system.ask(SALARY, None).sources


def test_user_history_keeps_each_users_questions_private(make_system) -> None:
    private = make_system("production")
    shared = make_system("production", switches={"user_history": False})
    for system in (private, shared):
        system.ask(SALARY, "u-hana")
        system.ask("How many days of annual leave?", "u-sam")
    assert [entry.question for entry in private.history("u-sam")] == [
        "How many days of annual leave?"
    ]
    assert [entry.user for entry in shared.history("u-sam")] == ["u-hana", "u-sam"]


def test_cache_answers_a_repeated_question_without_calling_the_stages(make_system) -> None:
    cached = make_system("production")
    uncached = make_system("production", switches={"cache": False})
    for system in (cached, uncached):
        first = system.ask("How many days of annual leave?", "u-sam")
        again = system.ask("  how many days of ANNUAL leave ", "u-eli")  # same groups? no
        assert first.sources == again.sources == ("HB-001",)
    assert cached.upstream_calls["retrieval"] == 2  # u-eli has other groups: no hit
    cached.ask("How many days of annual leave?", "u-sam")
    assert cached.upstream_calls == {"retrieval": 2, "generation": 2}
    uncached.ask("How many days of annual leave?", "u-sam")
    assert uncached.upstream_calls == {"retrieval": 3, "generation": 3}


def test_cache_never_serves_one_users_answer_to_a_user_with_other_rights(make_system) -> None:
    system = make_system("production")
    assert system.ask(SALARY, "u-hana").sources == ("HB-003",)
    other = system.ask(SALARY, "u-sam")
    assert "HB-003" not in other.sources and "82000" not in other.text
    same_rights = system.ask(SALARY, "u-hana")
    assert same_rights.sources == ("HB-003",)
    assert system.upstream_calls["retrieval"] == 2  # the second hr question was a cache hit
