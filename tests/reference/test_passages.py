"""Long documents as passages: cut at headings, bounded, retrieved per passage, cited per page."""

from __future__ import annotations

from pathlib import Path

from playbook.reference.passages import MAX_PASSAGE_CHARS, passages_of
from playbook.reference.store import Store

from .world import markdown, write

FILLER = "Staff read this paragraph to learn how the office works day to day. " * 6


def long_page() -> str:
    sections = [
        ("Parking", "Visitors park in bay C. " + FILLER),
        ("Printing", "The printer on floor 2 prints badges. " + FILLER),
        ("Shipping", "Parcels leave the depot at 4 pm on weekdays. " + FILLER),
        ("Lockers", "Lockers are emptied on the last Friday of the month. " + FILLER),
    ]
    return "\n".join(f"## {heading}\n{text}" for heading, text in sections)


def test_a_long_document_is_cut_at_its_headings_each_passage_under_its_heading():
    sections = passages_of("Office guide", long_page())
    assert [section.heading for section in sections] == [
        "Parking",
        "Printing",
        "Shipping",
        "Lockers",
    ]
    assert sections[2].text.startswith("## Shipping\nParcels leave the depot at 4 pm")


def test_a_comment_in_a_code_block_is_not_a_heading():
    code = "```\n# install the package\npip install tool\n```"
    body = f"## Setup\n{FILLER * 2}\n{code}\n{FILLER * 2}\n## Use\n{FILLER * 2}"
    headings = [section.heading for section in passages_of("Tool", body)]
    assert set(headings) == {"Setup", "Use"}  # a long Setup may take two passages


def test_a_section_longer_than_the_bound_is_cut_at_line_ends_and_nothing_is_lost():
    lines = [f"Line {n} of a very long reference table without any heading." for n in range(200)]
    body = "\n".join(lines)
    sections = passages_of("Table", body)
    assert len(sections) > 1
    assert all(len(section.text) <= MAX_PASSAGE_CHARS for section in sections)
    assert "\n".join(section.text for section in sections) == body


def test_a_heading_with_little_under_it_joins_the_section_that_follows():
    body = f"# Guide\n## Parking\nShort.\n### Visitors\n{FILLER * 2}\n## Printing\n{FILLER * 2}"
    sections = passages_of("Guide", body)
    assert [section.heading for section in sections] == ["Visitors", "Printing"]
    assert sections[0].text.startswith("# Guide\n## Parking\nShort.")


def test_retrieval_finds_the_passage_that_answers_and_the_answer_cites_the_page(
    make_system, world: Path, ranking: str
):
    write(
        world / "handbook" / "office.md",
        markdown("HB-050", "Office guide", long_page(), ["all-staff"]),
    )
    system = make_system("production")
    retrieval = system.store.search("When do parcels leave the depot?", None, 5)
    top = retrieval.passages[0]
    assert top.doc_id == "HB-050"
    assert top.body.startswith("## Shipping") and "4 pm" in top.body
    answer = system.ask("When do parcels leave the depot?", "u-eli")
    assert answer.sources[:1] == ("HB-050",)
    assert "Parcels leave the depot at 4 pm on weekdays." in answer.text


def test_a_store_written_before_passages_is_indexed_when_opened(make_system, world: Path):
    write(
        world / "handbook" / "office.md",
        markdown("HB-050", "Office guide", long_page(), ["all-staff"]),
    )
    system = make_system("production")
    path = system.store.path
    connection = system.store._connection()
    # what an older store lacks: the schema mark and every passage
    connection.execute("DELETE FROM state WHERE key = 'schema'")
    connection.execute("DELETE FROM passages")
    connection.commit()
    system.close()
    reopened = Store(path)
    try:
        assert reopened.integrity()
        found = reopened.search("When do parcels leave the depot?", None, 5).passages
        assert found[0].doc_id == "HB-050" and "4 pm" in found[0].body
    finally:
        reopened.close()
