"""A large corpus is parsed by worker processes: the same records and errors as a read in one
process, whatever happens to the workers, and safe from a script that has no main guard."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from playbook.sources import DataSource, iter_sources, parse_workers, read_sources

PAGES = 120  # enough files for workers on a machine with two cores


def write_corpus(folder: Path) -> Path:
    """Pages under two folders with a shared file name, plus files that cannot be read."""
    for number in range(PAGES):
        sub = folder / ("guide" if number % 2 else "api")
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"page-{number // 2}.html").write_text(
            f"<html><head><title>Page {number}</title></head><body><nav>Home</nav>"
            f"<main><h1>Page {number}</h1><p>The <code>setting_{number}(limit=3)</code> "
            f"controls chapter {number}.</p></main></body></html>",
            encoding="utf-8",
        )
    (folder / "api" / "binary.html").write_bytes(b"\x00\x01\x02PNG" * 64)
    (folder / "api" / "empty.html").write_text("", encoding="utf-8")
    (folder / "guide" / "latin1.html").write_bytes("<p>café</p>".encode("latin-1"))
    return folder


def plain(result) -> tuple[list[dict], list]:
    records, errors = result
    return [record.to_plain() for record in records], errors


def one_process_read(source: DataSource, folder: Path) -> list:
    files = sorted(path for path in folder.rglob("*.html"))
    tasks = [
        parse_workers.ParseTask(str(path), source.model_dump_json(), "html", str(folder))
        for path in files
    ]
    return [plain(result) for result in parse_workers.parse_all(tasks, workers=0)]


@pytest.fixture
def corpus(tmp_path) -> tuple[DataSource, Path]:
    folder = write_corpus(tmp_path / "site")
    return DataSource(name="site", path=str(folder), format="html", defaults={"id": "path"}), folder


@pytest.mark.skipif(parse_workers.worker_count(PAGES) < 2, reason="needs two cores")
def test_workers_read_the_same_records_and_errors_as_one_process(corpus, monkeypatch):
    source, folder = corpus
    started = []
    real_pool = parse_workers.ParserPool

    def counted(workers):
        started.append(workers)
        return real_pool(workers)

    monkeypatch.setattr(parse_workers, "ParserPool", counted)
    in_workers = [plain(result) for result in iter_sources([source])]
    assert started and started[0] >= 2  # the corpus was in fact parsed by workers
    assert in_workers == one_process_read(source, folder)
    records = [record for found, _ in in_workers for record in found]
    errors = [error for _, problems in in_workers for error in problems]
    assert len(records) == PAGES
    assert {record["fields"]["id"] for record in records} >= {"api/page-0", "guide/page-0"}
    seventh = next(record for record in records if record["fields"]["title"] == "Page 7")
    assert "The setting_7(limit=3) controls chapter 7." in seventh["fields"]["body"]
    assert sorted(Path(error.path).name for error in errors) == [
        "binary.html",
        "empty.html",
        "latin1.html",
    ]


@pytest.mark.skipif(parse_workers.worker_count(PAGES) < 2, reason="needs two cores")
def test_workers_that_cannot_start_or_die_leave_their_files_to_this_process(corpus, monkeypatch):
    source, folder = corpus
    expected = one_process_read(source, folder)
    monkeypatch.setattr(sys, "executable", "/bin/false")  # starts, reads nothing, exits
    assert [plain(result) for result in iter_sources([source])] == expected
    monkeypatch.setattr(sys, "executable", str(folder / "no-such-python"))  # cannot start
    assert [plain(result) for result in iter_sources([source])] == expected


def test_a_script_without_a_main_guard_is_not_run_again_by_the_workers(corpus, tmp_path):
    source, folder = corpus
    script = tmp_path / "ingest.py"
    script.write_text(
        textwrap.dedent(
            f"""
            from playbook.sources import DataSource, read_sources
            print("script started", flush=True)
            records, errors = read_sources([DataSource(name="site", path={str(folder)!r})])
            print(len(records), len(errors))
            """
        ),
        encoding="utf-8",
    )
    package_home = Path(parse_workers.__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(package_home), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["script started", f"{PAGES} 3"]


def test_a_few_files_are_parsed_in_this_process(tmp_path, monkeypatch):
    folder = tmp_path / "few"
    folder.mkdir()
    for number in range(5):
        (folder / f"note-{number}.md").write_text(f"# Note {number}\n\nText.", encoding="utf-8")

    def no_pool(workers):
        raise AssertionError("five files started worker processes")

    monkeypatch.setattr(parse_workers, "ParserPool", no_pool)
    records, errors = read_sources([DataSource(name="notes", path=str(folder))])
    assert len(records) == 5 and not errors
