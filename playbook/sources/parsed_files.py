"""Records of the files an ingest parsed, kept beside the store so that re-ingesting an unchanged
corpus costs a stat per file instead of a parse (parsing is nearly all of an ingest's time).

A cache and nothing more: deleting it, or finding it unreadable, only makes the next ingest
parse everything again.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from playbook.sources import DataSource, ReadError, SourceRecord, read_sources

SCHEMA = """
CREATE TABLE IF NOT EXISTS parsed(
  origin TEXT NOT NULL, path TEXT NOT NULL, signature TEXT NOT NULL, records TEXT NOT NULL,
  PRIMARY KEY(origin, path)) WITHOUT ROWID;
"""


def _encoded(value: object) -> object:
    # front matter dates come from YAML as date/datetime; tagged so they come back as they were
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    raise TypeError(f"{type(value).__name__} is not kept in the parse cache")


def _decoded(mapping: dict[str, Any]) -> object:
    if len(mapping) == 1:
        if "$datetime" in mapping:
            return datetime.fromisoformat(mapping["$datetime"])
        if "$date" in mapping:
            return date.fromisoformat(mapping["$date"])
    return mapping


CACHE_FILE = "parsed-files.sqlite3"  # its name beside a store, or in a run's work folder


def run_cache_beside(notebook_folder: Path) -> Path:
    """The run's parse cache, shared by its notebooks and their reference targets: in the folder
    that holds each notebook's own work folder, so a run parses each file once."""
    return Path(notebook_folder).parent / CACHE_FILE


FLUSH_EVERY = 64  # files remembered per write


class ParsedFileCache:
    """Parsed records by (source, file), valid while the file's signature is unchanged."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._connection: sqlite3.Connection | None = None
        self._pending: list[tuple[str, str, str, str]] = []
        self._broken = False

    def _open(self) -> sqlite3.Connection | None:
        if self._broken:
            return None
        if self._connection is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # notebooks running at once share the file: a writer waits for the other
                self._connection = sqlite3.connect(self.path, check_same_thread=False, timeout=10)
                self._connection.execute("PRAGMA journal_mode=WAL")
                self._connection.executescript(SCHEMA)
            except (sqlite3.Error, OSError):
                self._broken = True  # an unreadable cache is no cache
                return None
        return self._connection

    def recall(self, origin: str, path: str, signature: str) -> list[SourceRecord] | None:
        connection = self._open()
        if connection is None:
            return None
        try:
            row = connection.execute(
                "SELECT signature, records FROM parsed WHERE origin = ? AND path = ?",
                (origin, path),
            ).fetchone()
            if row is None or row[0] != signature:
                return None
            return [
                SourceRecord.from_plain(item) for item in json.loads(row[1], object_hook=_decoded)
            ]
        except (sqlite3.Error, ValueError, TypeError, KeyError):
            return None

    def remember(
        self, origin: str, path: str, signature: str, records: Sequence[SourceRecord]
    ) -> None:
        try:
            encoded = json.dumps(
                [record.to_plain() for record in records], default=_encoded, ensure_ascii=False
            )
        except (TypeError, ValueError):
            return  # a value JSON cannot keep: this file is parsed every time
        self._pending.append((origin, path, signature, encoded))
        if len(self._pending) >= FLUSH_EVERY:
            self.flush()  # while the parse workers are busy, not all at the end of the ingest

    def flush(self) -> None:
        """Write what was remembered since the last flush, in one transaction."""
        pending, self._pending = self._pending, []
        connection = self._open()
        if connection is None or not pending:
            return
        try:
            with connection:
                connection.executemany(
                    "INSERT OR REPLACE INTO parsed(origin, path, signature, records) "
                    "VALUES (?, ?, ?, ?)",
                    pending,
                )
        except sqlite3.Error:
            self._broken = True

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


@contextlib.contextmanager
def opened(path: Path | None) -> Iterator[ParsedFileCache | None]:
    """The parse cache at `path` for some reads (None: no cache), written out and closed after."""
    if path is None:
        yield None
        return
    cache = ParsedFileCache(path)
    try:
        yield cache
    finally:
        cache.flush()
        cache.close()


def read_sources_through(
    sources: Sequence[DataSource], parse_cache: Path | None
) -> tuple[list[SourceRecord], list[ReadError]]:
    """`read_sources` through the run's parse cache (`NotebookContext.parse_cache`), so a
    notebook reading the corpus parses nothing the run has parsed before."""
    with opened(parse_cache) as parsed:
        return read_sources(sources, parsed=parsed)
