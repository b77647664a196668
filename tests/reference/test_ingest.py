"""Ingest: classification by content hash, validation and quarantine, last good, rollback."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from playbook.engagement import DataSource
from playbook.reference.store import PASSAGE_SLOTS
from playbook.sources.parsed_files import CACHE_FILE

from .world import HANDBOOK, html, markdown, record, write


def test_first_ingest_adds_every_document_and_reingest_changes_nothing(make_system) -> None:
    system = make_system("production")
    first = system.versions()[-1]
    assert (first.added, first.read, first.served) == (7, 7, 7)
    again = system.ingest()
    assert (again.added, again.changed, again.deleted, again.unchanged) == (0, 0, 0, 7)
    assert system.store.changes(again.version) == {}


def test_ingest_classifies_added_changed_deleted_and_unchanged(make_system, world: Path) -> None:
    system = make_system("production")
    write(
        world / "handbook" / "expenses.md",
        HANDBOOK["expenses.md"].replace("within 30 days", "within 45 days"),
    )
    (world / "handbook" / "salary.md").unlink()
    write(
        world / "handbook" / "remote.md",
        markdown(
            "HB-004", "Remote work", "Staff may work remotely two days a week.", ["all-staff"]
        ),
    )
    report = system.ingest()
    assert (report.added, report.changed, report.deleted, report.unchanged) == (1, 1, 1, 5)
    assert system.store.changes(report.version) == {
        "added": ["HB-004"],
        "changed": ["HB-002"],
        "deleted": ["HB-003"],
    }


def test_quarantine_counts_add_up_to_what_was_read(make_system, world: Path) -> None:
    write(world / "handbook" / "empty.md", markdown("HB-009", "Empty page", "", ["all-staff"]))
    write(
        world / "records" / "bad-date.json",
        json.dumps({**record("REC-009", "Late", "A body.", ["all-staff"]), "updated_at": "24/11"}),
    )
    system = make_system("production")
    report = system.versions()[-1]
    assert report.read == 9
    assert report.quarantined == 2
    assert report.added + report.changed + report.unchanged + report.quarantined == report.read
    checks = {entry.doc_id: entry.check for entry in system.store.quarantine()}
    assert checks == {"HB-009": "body:non_empty_text", "REC-009": "updated_at:iso8601_utc"}
    assert system.store.document("HB-009") is None and system.store.document("REC-009") is None


def test_ingest_validation_off_indexes_what_validation_on_quarantines(make_system, world) -> None:
    write(world / "handbook" / "empty.md", markdown("HB-009", "Empty page", "", ["all-staff"]))
    validated = make_system("production")
    lenient = make_system("production", switches={"ingest_validation": False})
    assert validated.store.document("HB-009") is None
    assert lenient.store.document("HB-009").body == ""
    assert validated.store.quarantine() and not lenient.store.quarantine()


def test_a_v2_wiki_page_without_its_id_meta_is_indexed_under_its_path_by_the_prototype_only(
    make_system, world: Path
) -> None:
    page = html("WK-002", "Incident process", "Page the on-call engineer first.", "engineering")
    page = page.replace('name="doc-id"', 'name="document-id"')
    page = page.replace("<article>", '<div class="page-body">').replace("</article>", "</div>")
    write(world / "wiki" / "incident.html", page)
    prototype = make_system("prototype")
    production = make_system("production")
    indexed = prototype.store.document("incident")  # the id a file path gives
    assert indexed is not None and "Page the on-call engineer first." in indexed.body
    assert "Sign in to the wiki" not in indexed.body  # the main content, without the navigation
    assert production.store.document("incident") is None
    (entry,) = production.store.quarantine()
    assert entry.path.endswith("incident.html") and "id:not_nullable" in entry.check


def test_serve_last_good_keeps_a_document_whose_new_version_fails(make_system, world) -> None:
    broken = HANDBOOK["leave.md"].replace("updated_at: '2026-10-03T09:15:00Z'", "")
    broken = broken.replace("updated_at: 2026-10-03T09:15:00Z", "last_modified: 2026-11-24")
    keeping = make_system("production")
    dropping = make_system("production", switches={"serve_last_good": False})
    write(world / "handbook" / "leave.md", broken)
    kept = keeping.ingest()
    dropped = dropping.ingest()
    assert (kept.kept_last_good, kept.deleted, len(kept.quarantined)) == (1, 0, 1)
    assert keeping.store.document("HB-001").updated_at == "2026-10-03T09:15:00Z"
    assert (dropped.kept_last_good, dropped.deleted) == (0, 1)
    assert dropping.store.document("HB-001") is None
    assert keeping.ask("How many days of annual leave?", "u-sam").sources == ("HB-001",)
    assert dropping.ask("How many days of annual leave?", "u-sam").status == "refused"


def test_unreadable_files_are_reported_with_their_path_and_never_indexed(
    make_system, world: Path
) -> None:
    write(world / "records" / "broken.json", '{"id": "REC-010", "title": ')
    (world / "records" / "records.jsonl").write_text(
        json.dumps(record("REC-011", "Fine", "A fine body.", ["all-staff"])) + "\n{not json\n"
    )
    (world / "handbook" / "latin1.md").write_bytes(b"---\nid: HB-010\n---\n\xe9t\xe9\n")
    for profile in ("prototype", "production"):
        report = make_system(profile).ingest()
        failed = sorted(Path(error.path).name for error in report.errors)
        assert failed == ["broken.json", "latin1.md", "records.jsonl:2"], profile


def test_serve_last_good_keeps_documents_of_a_file_that_became_unreadable(
    make_system, world: Path
) -> None:
    keeping = make_system("production")
    prototype = make_system("prototype")
    (world / "records" / "parking.json").write_text('{"id": "REC-003", ')
    assert keeping.ingest().kept_last_good == 1
    assert keeping.store.document("REC-003") is not None
    assert prototype.ingest().deleted == 1
    assert prototype.store.document("REC-003") is None


def test_rollback_serves_the_earlier_version_again(make_system, world: Path) -> None:
    system = make_system("production")
    write(
        world / "handbook" / "leave.md",
        HANDBOOK["leave.md"].replace("25 days", "20 days"),
    )
    (world / "handbook" / "expenses.md").unlink()
    system.ingest()
    question = "How many days of annual leave per year?"
    assert "20 days" in system.ask(question, "u-sam").text
    system.rollback(1)
    assert "25 days" in system.ask(question, "u-sam").text  # the cache was cleared too
    assert system.store.document("HB-002") is not None
    latest = system.versions()[-1]
    assert (latest.kind, latest.rolled_back_to, latest.served) == ("rollback", 1, 7)
    assert system.store.integrity()


def test_lineage_names_the_source_file_and_ingest_version(make_system, world: Path) -> None:
    system = make_system("production")
    write(world / "handbook" / "leave.md", HANDBOOK["leave.md"].replace("25 days", "26 days"))
    system.ingest()
    leave, hours = system.lineage("HB-001"), system.lineage("REC-002")
    assert (leave.origin, Path(leave.path).name, leave.version) == ("handbook", "leave.md", 2)
    assert (hours.origin, hours.path.endswith("records.jsonl:2"), hours.version) == (
        "records",
        True,
        1,
    )
    assert leave.served_version == 2


def test_fts_triggers_keep_the_index_in_sync_on_update_and_delete(make_system, world) -> None:
    system = make_system("production")
    write(
        world / "handbook" / "leave.md",
        HANDBOOK["leave.md"].replace("annual leave", "yearly vacation"),
    )
    (world / "records" / "parking.json").unlink()
    system.ingest()
    assert system.store.integrity()
    assert [p.doc_id for p in system.store.search("vacation", None, 5).passages] == ["HB-001"]
    assert system.store.search("permits", None, 5).passages == ()
    connection = system.store._connection()
    orphan_passages = connection.execute(
        f"SELECT count(*) FROM passages WHERE rowid / {PASSAGE_SLOTS} NOT IN "
        "(SELECT rowid FROM documents)"
    ).fetchone()[0]
    assert orphan_passages == 0
    indexed = connection.execute(
        f"SELECT count(DISTINCT rowid / {PASSAGE_SLOTS}) FROM passages"
    ).fetchone()[0]
    assert indexed == system.store.document_count() == 6
    orphan_groups = connection.execute(
        "SELECT count(*) FROM doc_groups WHERE doc_rowid NOT IN (SELECT rowid FROM documents)"
    ).fetchone()[0]
    assert orphan_groups == 0


def test_ingesting_one_source_leaves_the_other_sources_alone(make_system, world: Path) -> None:
    system = make_system("production")
    report = system.ingest([DataSource(name="wiki", path=str(world / "wiki"), format="html")])
    assert (report.read, report.unchanged, report.deleted) == (1, 1, 0)
    assert system.store.document_count() == 7


def test_prototype_keeps_the_last_of_two_documents_with_one_id(make_system, world: Path) -> None:
    write(world / "handbook" / "copy.md", HANDBOOK["leave.md"].replace("25 days", "99 days"))
    prototype = make_system("prototype").versions()[-1]
    production = make_system("production").versions()[-1]
    assert (prototype.read, prototype.duplicates, prototype.added) == (8, 1, 7)
    assert (production.quarantined, production.added) == (2, 6)  # both copies held back


def test_a_partial_drop_changes_what_it_carries_and_deletes_nothing(make_system, world) -> None:
    drop = world.parent / "drop" / "handbook"
    write(drop / "leave.md", HANDBOOK["leave.md"].replace("25 days", "27 days"))
    write(drop / "salary.md", markdown("HB-003", "Salary bands", "", ["hr"]))
    sources = [DataSource(name="handbook", path=str(drop), format="markdown")]
    keeping = make_system("production")
    dropping = make_system("production", switches={"serve_last_good": False})
    kept = keeping.ingest(sources, partial=True)
    assert (kept.changed, kept.deleted, kept.kept_last_good, len(kept.quarantined)) == (1, 0, 1, 1)
    assert keeping.store.document_count() == 7  # HB-002 was not in the drop and stays
    assert keeping.store.document("HB-003").body.startswith("The salary band")
    dropped = dropping.ingest(sources, partial=True)
    assert (dropped.changed, dropped.deleted) == (1, 1)
    assert dropping.store.document("HB-003") is None
    assert dropping.store.document("HB-002") is not None


def test_reingest_parses_only_the_files_that_changed(make_system, world: Path, parsed):
    system = make_system("production")
    parsed.clear()
    assert system.ingest().unchanged == 7
    assert parsed == []
    expenses = world / "handbook" / "expenses.md"
    before = expenses.stat()
    # same size, same modification time: only the content tells the edit apart
    write(expenses, HANDBOOK["expenses.md"].replace("within 30 days", "within 31 days"))
    os.utime(expenses, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert expenses.stat().st_size == before.st_size
    report = system.ingest()
    assert parsed == ["expenses.md"]
    assert (report.changed, report.unchanged) == (1, 6)
    assert "within 31 days" in system.store.document("HB-002").body


def test_a_copy_of_a_source_recalls_what_its_original_parsed_and_names_its_own_files(
    make_system, world: Path, parsed
):
    system = make_system("production")
    parsed.clear()
    copy = world.parent / "drop" / "handbook"
    shutil.copytree(world / "handbook", copy)  # what a drill or a revocation trial reads
    (copy / "expenses.md").unlink()
    write(copy / "travel.md", HANDBOOK["expenses.md"].replace("HB-002", "HB-092"))
    handbook = DataSource(name="handbook", path=str(copy), format="markdown")
    report = system.ingest([handbook])
    assert parsed == ["travel.md"]  # the only file the original does not have
    assert report.deleted == 1 and system.store.document("HB-002") is None
    assert system.store.document("HB-092") is not None
    assert system.store.lineage("HB-001").path == str(copy / "leave.md")


def test_a_changed_source_declaration_is_applied_to_unchanged_files(make_system, world: Path):
    system = make_system("production")
    handbook = DataSource(
        name="handbook",
        path=str(world / "handbook"),
        format="markdown",
        fields={"title": "owner"},
    )
    report = system.ingest([handbook], partial=True)
    assert report.changed == 3
    assert system.store.document("HB-002").title == "people-team"


def test_a_damaged_parse_cache_only_costs_a_full_parse(make_system, world: Path):
    system = make_system("production")
    system.close()
    (system.workdir / CACHE_FILE).write_bytes(b"this is not a database" * 100)
    again = make_system("production", ingest=False, workdir=system.workdir)
    report = again.ingest()
    assert (report.read, report.unchanged, len(report.errors)) == (7, 7, 0)
