"""The sample corpus keeps the contract other code reads: formats, metadata, groups, v2 drop."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime

from .sample_files import (
    METADATA,
    SAMPLES,
    read_html,
    read_json,
    read_jsonl,
    read_markdown,
    words,
)

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
ID_PATTERN = {"handbook": r"^HB-\d{4}$", "wiki": r"^WK-\d{4}$", "records": r"^RC-\d{4}$"}


def metadata_problems(document: dict) -> list[str]:
    """What is missing or malformed in one document's metadata (empty when it is complete)."""
    problems = []
    for field in METADATA:
        if not document.get(field):
            problems.append(f"{document.get('id')}: missing {field}")
    if not ISO_UTC.match(str(document.get("updated_at", ""))):
        problems.append(f"{document.get('id')}: updated_at not ISO 8601 UTC")
    if not isinstance(document.get("groups"), list) or not all(document.get("groups") or [None]):
        problems.append(f"{document.get('id')}: groups is not a list of names")
    if not re.match(r"^team-[a-z-]+@northwind\.example$", str(document.get("owner", ""))):
        problems.append(f"{document.get('id')}: owner is not a team id on northwind.example")
    if not words(str(document.get("body", ""))):
        problems.append(f"{document.get('id')}: empty body")
    return problems


def leaked_facts(documents: dict[str, dict], facts: list[dict]) -> list[str]:
    """Restricted facts found anywhere but in their own document."""
    leaks = []
    for fact in facts:
        holders = sorted(
            doc_id for doc_id, doc in documents.items() if fact["fact"] in words(doc["body"])
        )
        if holders != [fact["doc_id"]]:
            leaks.append(f"{fact['fact']!r} found in {holders}, expected only {fact['doc_id']}")
    return leaks


def test_corpus_has_at_least_200_documents_in_three_formats(corpus):
    formats = Counter(doc["_format"] for doc in corpus.values())
    assert len(corpus) >= 200
    assert set(formats) == {"handbook", "wiki", "records"}
    assert all(count >= 60 for count in formats.values()), formats


def test_every_document_parses_with_complete_metadata(corpus):
    problems = [problem for doc in corpus.values() for problem in metadata_problems(doc)]
    assert problems == []


def test_metadata_check_reports_a_document_missing_fields():
    broken = {
        "id": "HB-9999",
        "title": "",
        "source": "handbook",
        "owner": "someone@gmail.com",
        "updated_at": "03/10/2026",
        "groups": "hr",
        "body": "  ",
    }
    problems = " ".join(metadata_problems(broken))
    for expected in ("missing title", "updated_at", "groups", "owner", "empty body"):
        assert expected in problems


def test_each_format_carries_exactly_the_contract_fields(corpus):
    for doc in corpus.values():
        if doc["_format"] == "handbook":
            assert doc["_keys"] == list(METADATA), doc["_path"]
            assert doc["source"] == "handbook"
        elif doc["_format"] == "records":
            assert sorted(doc["_keys"]) == sorted([*METADATA, "body"]), doc["_path"]
            assert doc["source"] == "records"
        else:
            soup = doc["_soup"]
            assert soup.find("nav") and soup.find("footer") and soup.find("article"), doc["_path"]
            assert doc["_metas"]["source"] == "wiki"
            assert doc["title"] == soup.find("article").find("h1").get_text()


def test_document_ids_are_unique_and_follow_their_source(corpus):
    for doc_id, doc in corpus.items():
        assert re.match(ID_PATTERN[doc["_format"]], doc_id), doc_id
        assert doc["_path"].name.startswith(f"{doc_id}-")


def test_access_groups_are_declared_and_mostly_everyone(corpus, users):
    declared = set(users["groups"])
    used = Counter(group for doc in corpus.values() for group in doc["groups"])
    assert set(used) <= declared
    assert {"all-staff", "hr", "finance", "legal", "engineering", "executive"} <= set(used)
    everyone = sum(doc["groups"] == ["all-staff"] for doc in corpus.values()) / len(corpus)
    assert 0.55 <= everyone <= 0.60
    restricted = [doc for doc in corpus.values() if doc["groups"] != ["all-staff"]]
    assert all(
        1 <= len(doc["groups"]) <= 2 and "all-staff" not in doc["groups"] for doc in restricted
    )


def test_dates_span_the_eighteen_months_before_the_export(corpus):
    moments = [
        datetime.fromisoformat(doc["updated_at"].replace("Z", "+00:00")) for doc in corpus.values()
    ]
    assert max(moments) < datetime(2026, 11, 20, tzinfo=UTC)
    assert min(moments) >= datetime(2025, 5, 1, tzinfo=UTC)
    assert (max(moments) - min(moments)).days > 450


def test_every_restricted_document_has_one_listed_fact(corpus):
    facts = read_jsonl(SAMPLES / "security" / "restricted_facts.jsonl")
    restricted = {doc_id for doc_id, doc in corpus.items() if doc["groups"] != ["all-staff"]}
    assert len(facts) >= 30
    assert sorted(fact["doc_id"] for fact in facts) == sorted(restricted)
    for fact in facts:
        assert fact["groups"] == corpus[fact["doc_id"]]["groups"]
        assert fact["question"].endswith("?")


def test_restricted_fact_appears_only_in_its_own_document(corpus, poisoned):
    facts = read_jsonl(SAMPLES / "security" / "restricted_facts.jsonl")
    documents = {**corpus, **poisoned}
    assert leaked_facts(documents, facts) == []
    v2 = read_v2()
    for fact in facts:
        holders = [doc_id for doc_id, text in v2.items() if fact["fact"] in text]
        assert holders in ([], [fact["doc_id"]])


def test_leak_check_reports_a_fact_copied_into_another_document():
    documents = {
        "HB-0001": {"body": "Salary band L7 tops at 212,400 dollars."},
        "HB-0002": {"body": "A public page that quotes: salary band L7 tops at 212,400."},
    }
    facts = [{"doc_id": "HB-0001", "fact": "band L7 tops at 212,400"}]
    assert leaked_facts(documents, facts)
    documents["HB-0002"]["body"] = "A public page about leave."
    assert leaked_facts(documents, facts) == []


def read_v2() -> dict[str, str]:
    """Text a tolerant reader gets from each v2 document, by id."""
    root = SAMPLES / "corpus_v2"
    texts = {}
    for path in sorted((root / "handbook").glob("*.md")):
        doc = read_markdown(path)
        texts[doc["id"]] = words(doc["body"])
    for path in sorted((root / "wiki").glob("*.html")):
        doc = read_html(path, container="div.page-body")
        texts[doc["id"]] = words(doc["body"])
    for path in sorted((root / "records").glob("*.json")):
        doc = read_json(path)
        texts[doc["id"]] = words(doc["content"])
    return texts


def test_v2_drop_holds_about_forty_documents_that_exist_in_v1(corpus):
    v2 = read_v2()
    assert 35 <= len(v2) <= 45
    assert set(v2) <= set(corpus)


def test_v2_records_rename_body_reformat_dates_and_flatten_groups(corpus):
    paths = sorted((SAMPLES / "corpus_v2" / "records").glob("*.json"))
    assert len(paths) >= 10
    for path in paths:
        record = read_json(path)
        assert "body" not in record and record["content"]
        assert re.match(r"^\d{2}/\d{2}/2026 \d{2}:\d{2}$", record["updated_at"])
        assert isinstance(record["groups"], str)
        assert record["groups"].split(",") == corpus[record["id"]]["groups"]


def test_v2_wiki_moves_content_out_of_article_and_renames_the_id_meta():
    paths = sorted((SAMPLES / "corpus_v2" / "wiki").glob("*.html"))
    assert len(paths) >= 10
    for path in paths:
        doc = read_html(path, container="div.page-body")
        assert doc["_soup"].find("article") is None
        assert "doc-id" not in doc["_metas"] and doc["_metas"]["document-id"]
        page_text = words(doc["_soup"].get_text(" "))
        assert len(page_text) > len(doc["body"]) + 800  # the new template adds boilerplate


def test_v2_handbook_has_empty_pages_and_a_renamed_date_key():
    docs = [
        read_markdown(path) for path in sorted((SAMPLES / "corpus_v2" / "handbook").glob("*.md"))
    ]
    empty = [doc for doc in docs if not doc["body"]]
    renamed = [doc for doc in docs if "last_modified" in doc["_keys"]]
    assert len(empty) >= 2
    assert len(renamed) == 1 and "updated_at" not in renamed[0]["_keys"]
    assert all(doc["_keys"] == list(METADATA) for doc in docs if doc not in renamed)


def test_v2_documents_keep_their_facts_for_a_tolerant_reader(corpus, golden):
    v2 = read_v2()
    answers = [
        (item["gold_docs"][0], item["reference_answer"]) for item in golden if item["answerable"]
    ]
    checked = 0
    for doc_id, answer in answers:
        if v2.get(doc_id):
            assert answer in v2[doc_id], (doc_id, answer)
            checked += 1
    assert checked >= 20
