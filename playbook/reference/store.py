"""The SQLite store: served documents, revisions, ingest versions, quarantine and retrieval.

`documents` holds what is served now, and `passages` (FTS5) its documents cut at headings (see
`passages.py`): retrieval ranks passages and returns the best ones of each document.
`doc_groups` is kept by triggers: the access filter joins it inside the retrieval query, before
LIMIT. From IMPACTS_FROM_PASSAGES passages on, a bm25s index of the same passages ranks instead
(`impacts.py`), with the access filter as its weight mask. Each ingest is a version with a
snapshot of which revision of each document it served, so any version can be served again.
"""

from __future__ import annotations

import heapq
import json
import logging
import math
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from playbook.errors import PlaybookError
from playbook.reference.documents import Document, QuarantineEntry
from playbook.reference.impacts import Impacts
from playbook.reference.passages import passages_of
from playbook.reference.terms import stem, terms, words

SCHEMA = """
CREATE TABLE IF NOT EXISTS versions(
  version INTEGER PRIMARY KEY, kind TEXT NOT NULL, started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL, origins TEXT NOT NULL, read INTEGER NOT NULL DEFAULT 0,
  added INTEGER NOT NULL DEFAULT 0, changed INTEGER NOT NULL DEFAULT 0,
  deleted INTEGER NOT NULL DEFAULT 0, unchanged INTEGER NOT NULL DEFAULT 0,
  quarantined INTEGER NOT NULL DEFAULT 0, errors INTEGER NOT NULL DEFAULT 0,
  kept_last_good INTEGER NOT NULL DEFAULT 0, duplicates INTEGER NOT NULL DEFAULT 0,
  served INTEGER NOT NULL DEFAULT 0, rolled_back_to INTEGER);
CREATE TABLE IF NOT EXISTS revisions(
  rev INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, content_hash TEXT NOT NULL, title TEXT NOT NULL,
  body TEXT NOT NULL, source TEXT NOT NULL, origin TEXT NOT NULL, path TEXT NOT NULL,
  owner TEXT NOT NULL, updated_at TEXT NOT NULL, groups TEXT NOT NULL, version INTEGER NOT NULL,
  UNIQUE(doc_id, content_hash));
CREATE TABLE IF NOT EXISTS documents(
  rowid INTEGER PRIMARY KEY, doc_id TEXT NOT NULL UNIQUE, rev INTEGER NOT NULL,
  content_hash TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL, source TEXT NOT NULL,
  origin TEXT NOT NULL, path TEXT NOT NULL, owner TEXT NOT NULL, updated_at TEXT NOT NULL,
  groups TEXT NOT NULL, version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS doc_groups(
  grp TEXT NOT NULL, doc_rowid INTEGER NOT NULL, PRIMARY KEY(grp, doc_rowid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS doc_groups_by_doc ON doc_groups(doc_rowid);
CREATE TABLE IF NOT EXISTS snapshot(
  version INTEGER NOT NULL, doc_id TEXT NOT NULL, rev INTEGER NOT NULL,
  PRIMARY KEY(version, doc_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS changes(
  version INTEGER NOT NULL, doc_id TEXT NOT NULL, change TEXT NOT NULL,
  PRIMARY KEY(version, doc_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS quarantine(
  id INTEGER PRIMARY KEY, version INTEGER NOT NULL, origin TEXT NOT NULL, path TEXT NOT NULL,
  doc_id TEXT, checks TEXT NOT NULL, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
SCHEMA_VERSION = "3"  # 2: passages replace whole documents in the index; 3: one FTS5 table
PASSAGE_SLOTS = 1 << 20  # passage rowid = document rowid * PASSAGE_SLOTS + position
# Passages live in an FTS5 table that keeps its own text: an external-content table kept by
# triggers costs three times as much to fill (measured: 0.64 s against 0.22 s for the
# 13.6k passages of the Python docs), and a document's passages are one rowid range.
INDEX = f"""
CREATE VIRTUAL TABLE IF NOT EXISTS passages USING fts5(
  label, text, tokenize='porter unicode61 remove_diacritics 2');
CREATE TRIGGER IF NOT EXISTS documents_ai AFTER INSERT ON documents BEGIN
  INSERT OR IGNORE INTO doc_groups(grp, doc_rowid)
    SELECT value, new.rowid FROM json_each(new.groups);
END;
CREATE TRIGGER IF NOT EXISTS documents_ad AFTER DELETE ON documents BEGIN
  DELETE FROM passages WHERE rowid BETWEEN old.rowid * {PASSAGE_SLOTS}
    AND old.rowid * {PASSAGE_SLOTS} + {PASSAGE_SLOTS - 1};
  DELETE FROM doc_groups WHERE doc_rowid = old.rowid;
END;
CREATE TRIGGER IF NOT EXISTS documents_au AFTER UPDATE OF groups ON documents BEGIN
  DELETE FROM doc_groups WHERE doc_rowid = old.rowid;
  INSERT OR IGNORE INTO doc_groups(grp, doc_rowid)
    SELECT value, new.rowid FROM json_each(new.groups);
END;
"""
# what older stores indexed instead: dropped, and the passages built, when one is opened
_OLD_INDEX = (
    "DROP TRIGGER IF EXISTS documents_ai; DROP TRIGGER IF EXISTS documents_ad; "
    "DROP TRIGGER IF EXISTS documents_au; DROP TABLE IF EXISTS documents_fts; "
    "DROP TRIGGER IF EXISTS passages_ai; DROP TRIGGER IF EXISTS passages_ad; "
    "DROP TABLE IF EXISTS passages_fts; DROP TABLE IF EXISTS passages;"
)
_DOC_COLUMNS = "doc_id, title, body, groups, path, version"
_BM25_WEIGHTS = "2.0, 1.0"  # a match in the title and heading counts twice a text match
FREQUENCY_CACHE = 50_000
MAX_QUERY_WORDS = 64  # a pasted document as a question must not become a 10k-term MATCH
MAX_CANDIDATES = 3_000  # passages a query may rank, at most about (see `_selective`)
PASSAGES_PER_DOCUMENT = 2  # a page's second passage may hold the answer its first one misses
CANDIDATES_PER_DOCUMENT = 6  # passages ranked per wanted document: many may share a page
# From this many passages on, queries rank on precomputed impacts (see `impacts.py`). Below it
# FTS5 ranks within a few milliseconds (p95 6.9 ms at 10k documents, `make bench`), while the
# rebuild at every change costs about 35 us a passage: 0.65 s an ingest of the Python docs'
# 13.6k passages, a third of its time.
IMPACTS_FROM_PASSAGES = 20_000
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Passage:
    """A retrieved passage of a document (its best one for the query; the whole document when
    the store scans); `score` only orders passages of one query (higher is better)."""

    doc_id: str
    title: str
    body: str
    groups: tuple[str, ...]
    path: str
    version: int
    score: float


@dataclass(frozen=True)
class Retrieval:
    """The passages of one query, and the document frequency of each query term (for weights)."""

    passages: tuple[Passage, ...]
    frequencies: dict[str, int]
    total: int

    def idf(self, term: str) -> float:
        """Inverse document frequency of a stemmed term over the whole corpus."""
        df = self.frequencies.get(term, 0)
        return math.log((self.total + 1) / (df + 0.5))


@dataclass(frozen=True)
class ChangeCounts:
    """How one ingest changed the served documents."""

    version: int
    added: int
    changed: int
    deleted: int
    unchanged: int
    kept_last_good: int


@dataclass(frozen=True)
class VersionInfo:
    """One ingest (or rollback) and its counts."""

    version: int
    kind: str  # ingest or rollback
    started_at: str
    finished_at: str
    origins: tuple[str, ...]
    read: int
    added: int
    changed: int
    deleted: int
    unchanged: int
    quarantined: int
    errors: int
    kept_last_good: int
    duplicates: int
    served: int
    rolled_back_to: int | None


@dataclass(frozen=True)
class Lineage:
    """Where a served document came from: data source, file, and the ingest that brought it."""

    doc_id: str
    origin: str
    source: str
    path: str
    version: int  # the ingest version that first read this revision
    content_hash: str
    served_version: int | None  # the version the store serves now


def utc_now() -> str:
    """The current time as ISO 8601 UTC with microseconds."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _selective(counts: dict[str, int]) -> list[str]:
    """The rarest query words whose postings together stay within MAX_CANDIDATES documents.

    FTS5 ranks every matching document before LIMIT, so an OR of common words would make the cost
    of a query grow with the corpus; candidates are drawn from the rare words instead (the common
    ones still count in the ranking). Small corpora match on every word.
    """
    chosen: list[str] = []
    budget = MAX_CANDIDATES
    for count, word in sorted((count, word) for word, count in counts.items() if count):
        if chosen and count > budget:
            break
        chosen.append(word)
        budget -= count
    return chosen or list(counts)


def _candidate_filters(counts: dict[str, int]) -> list[str]:
    """The MATCH expressions that choose candidate passages, narrowest first.

    Candidates must hold a selective word (see `_selective`). When even the rarest word is in
    more than MAX_CANDIDATES passages, passages holding both of the two rarest come first (a
    question's two rarest words together pick out its page; ranking ten thousand passages for
    one common word was the slowest fifth of queries at 100k documents); if they hold fewer
    than the documents asked for, the wider filter follows.
    """
    selective = _selective(counts)
    wide = _match_expression(selective)
    present = sorted((count, word) for word, count in counts.items() if count)
    if len(present) >= 2 and present[0][0] > MAX_CANDIDATES:
        pair = " AND ".join(_match_expression([word]) for _, word in present[:2])
        return [pair, wide]
    return [wide]


def _match_expression(query_words: Iterable[str]) -> str:
    # every word quoted: a user's question can never inject FTS5 syntax (NEAR, column filters)
    unique = dict.fromkeys(word.replace('"', '""') for word in query_words)
    return " OR ".join(f'"{word}"' for word in unique)


def _stored_fields(document: Document, content_hash: str, version: int) -> tuple[object, ...]:
    """A document's columns from content_hash to version, as documents and revisions store them."""
    return (
        content_hash,
        document.title,
        document.body,
        document.source,
        document.origin,
        document.path,
        document.owner,
        document.updated_at,
        json.dumps(sorted(document.groups)),
        version,
    )


def _index_passages(
    connection: sqlite3.Connection, documents: Iterable[tuple[int, str, str]]
) -> None:
    """(Re)write the passages of each document (rowid, title, body): one rowid range of
    `passages` each. Call it once per transaction, after the documents are written: FTS5 writes
    its pending terms out at every statement that opens a savepoint (an insert firing a
    trigger), so passages written document by document between other writes cost a segment
    each (measured: 0.19 s of a 0.7 s ingest of the Python docs)."""
    documents = list(documents)
    connection.executemany(
        "DELETE FROM passages WHERE rowid BETWEEN ? AND ?",
        [(rowid * PASSAGE_SLOTS, (rowid + 1) * PASSAGE_SLOTS - 1) for rowid, _, _ in documents],
    )
    connection.executemany(
        "INSERT INTO passages(rowid, label, text) VALUES (?, ?, ?)",
        (
            (
                rowid * PASSAGE_SLOTS + position,
                title if section.heading == title else f"{title} — {section.heading}",
                section.text,
            )
            for rowid, title, body in documents
            for position, section in enumerate(passages_of(title, body)[:PASSAGE_SLOTS])
        ),
    )


def _next_generation(connection: sqlite3.Connection) -> None:
    """Count a change of the passages: impacts built before it no longer rank (a counter in
    the database, so a store open in another process sees it too)."""
    connection.execute(
        "INSERT INTO state(key, value) VALUES ('passages', '1') "
        "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
    )


def _best_per_document(rows: Iterable[tuple], limit: int) -> list[Passage]:
    """Passages from (doc_id, title, text, groups json, path, version, score) rows, best
    first: at most PASSAGES_PER_DOCUMENT of each document, of the first `limit` documents."""
    found: list[Passage] = []
    per_document: Counter[str] = Counter()
    for doc_id, title, text, groups, path, version, score in rows:
        if per_document[doc_id] == PASSAGES_PER_DOCUMENT:
            continue
        if doc_id not in per_document and len(per_document) == limit:
            continue  # `limit` documents found: only their further passages may follow
        per_document[doc_id] += 1
        found.append(Passage(doc_id, title, text, tuple(json.loads(groups)), path, version, score))
    return found


def _located_in(path: str, places: set[str]) -> bool:
    return path in places or path.rpartition(":")[0] in places


class Store:
    """A SQLite database of documents and their versions, safe to query from many threads."""

    def __init__(self, path: Path, ranks: bool = False, impacts_from: int | None = None) -> None:
        """`ranks`: queries will `search` (not `scan`), so a large store builds its impacts as
        it opens and at each write; one that does not starts building them in the background
        at its first search. `impacts_from`: passages from which queries rank on impacts
        (IMPACTS_FROM_PASSAGES unless given)."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._closed = False
        # document frequency per query word; valid until the documents change
        self._frequencies: dict[str, int] = {}
        self._passages: int | None = None  # passages indexed; valid until the documents change
        self._impacts_from = IMPACTS_FROM_PASSAGES if impacts_from is None else impacts_from
        self._impacts: Impacts | None = None
        self._impacts_failed: str | None = None  # a generation whose build failed: not retried
        self._builder: threading.Thread | None = None
        self._builder_lock = threading.Lock()
        self._ranks = ranks
        connection = self._connection()
        connection.execute("PRAGMA journal_mode=WAL")
        connection.executescript(SCHEMA)
        connection.commit()
        row = connection.execute("SELECT value FROM state WHERE key = 'schema'").fetchone()
        if row is None or row[0] != SCHEMA_VERSION:
            self._rebuild_index(connection)
        else:
            connection.executescript(INDEX)
        self._refresh_impacts()

    def _rebuild_index(self, connection: sqlite3.Connection) -> None:
        """The passage index built afresh from the served documents (a store of schema 1).
        Until the schema version is written, the next open starts it over."""
        with self._write_lock:
            connection.executescript(_OLD_INDEX + INDEX)
            connection.execute("BEGIN IMMEDIATE")
            try:
                _index_passages(
                    connection, connection.execute("SELECT rowid, title, body FROM documents")
                )
                _next_generation(connection)
                connection.execute(
                    "INSERT INTO state(key, value) VALUES ('schema', ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (SCHEMA_VERSION,),
                )
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise RuntimeError("the store is closed")
        connection = getattr(self._local, "connection", None)
        if connection is None:
            # one connection per thread: WAL lets readers run while an ingest writes
            connection = sqlite3.connect(self.path, check_same_thread=False, timeout=30.0)
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection = connection
            with self._connections_lock:
                self._connections.append(connection)
        return connection

    def close(self) -> None:
        """Close every connection this store opened, once a background build has ended."""
        self._closed = True
        self.wait_for_impacts()
        with self._connections_lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()

    # ---- reads -------------------------------------------------------------------------------

    def served_version(self) -> int | None:
        """The version whose documents are served now, or None before the first ingest."""
        row = self._connection().execute("SELECT value FROM state WHERE key='served'").fetchone()
        return int(row[0]) if row else None

    def document_count(self) -> int:
        """How many documents are served now."""
        return self._connection().execute("SELECT count(*) FROM documents").fetchone()[0]

    def text_size(self) -> int:
        """Characters of the served documents' bodies."""
        row = self._connection().execute("SELECT total(length(body)) FROM documents").fetchone()
        return int(row[0])

    def document_ids(self) -> list[str]:
        """Ids of the documents served now, sorted."""
        rows = self._connection().execute("SELECT doc_id FROM documents ORDER BY doc_id")
        return [row[0] for row in rows]

    def document(self, doc_id: str) -> Document | None:
        """The served document with this id, or None."""
        row = (
            self._connection()
            .execute(
                "SELECT doc_id, title, body, source, origin, path, owner, updated_at, groups "
                "FROM documents WHERE doc_id = ?",
                (doc_id,),
            )
            .fetchone()
        )
        if row is None:
            return None
        return Document(*row[:8], groups=tuple(json.loads(row[8])))

    def versions(self) -> list[VersionInfo]:
        """Every ingest and rollback, oldest first."""
        rows = self._connection().execute(
            "SELECT version, kind, started_at, finished_at, origins, read, added, changed, "
            "deleted, unchanged, quarantined, errors, kept_last_good, duplicates, served, "
            "rolled_back_to FROM versions ORDER BY version"
        )
        return [
            VersionInfo(row[0], row[1], row[2], row[3], tuple(json.loads(row[4])), *row[5:])
            for row in rows
        ]

    def changes(self, version: int) -> dict[str, list[str]]:
        """Document ids by change (added, changed, deleted, kept_last_good) in one version."""
        result: dict[str, list[str]] = {}
        rows = self._connection().execute(
            "SELECT change, doc_id FROM changes WHERE version = ? ORDER BY doc_id", (version,)
        )
        for change, doc_id in rows:
            result.setdefault(change, []).append(doc_id)
        return result

    def quarantine(self, version: int | None = None) -> list[QuarantineEntry]:
        """Quarantined documents, of one version or all."""
        sql = "SELECT version, origin, path, doc_id, checks, reason FROM quarantine"
        rows = (
            self._connection().execute(sql + " WHERE version = ? ORDER BY id", (version,))
            if version is not None
            else self._connection().execute(sql + " ORDER BY id")
        )
        return [QuarantineEntry(*row) for row in rows]

    def lineage(self, doc_id: str) -> Lineage | None:
        """Source, file and ingest version of the served document `doc_id`."""
        row = (
            self._connection()
            .execute(
                "SELECT doc_id, origin, source, path, version, content_hash FROM documents "
                "WHERE doc_id = ?",
                (doc_id,),
            )
            .fetchone()
        )
        return Lineage(*row, served_version=self.served_version()) if row else None

    def search(self, question: str, groups: frozenset[str] | None, limit: int) -> Retrieval:
        """BM25 over passages (FTS5): the best passages of the top-`limit` documents, at most
        PASSAGES_PER_DOCUMENT each, best first; `groups` (None = no filter) restricts inside
        the query, before LIMIT."""
        query_words = list(dict.fromkeys(words(question)))[:MAX_QUERY_WORDS]
        connection = self._connection()
        total = self._passage_count(connection)
        if not query_words:
            return Retrieval((), {}, total)
        self._ranks = True
        impacts = self._current_impacts(connection, total)
        if impacts is not None:
            return self._search_impacts(connection, impacts, query_words, groups, limit, total)
        counts = {word: self._document_frequency(connection, word) for word in query_words}
        ranked = {word: count for word, count in counts.items() if count <= total / 2} or counts
        found: list[Passage] = []
        for candidates in _candidate_filters(counts):
            found = self._ranked(connection, candidates, ranked, groups, limit)
            if len({passage.doc_id for passage in found}) >= limit:
                break
        frequencies: dict[str, int] = {}
        for word, count in counts.items():
            key = stem(word)
            frequencies[key] = max(frequencies.get(key, 0), count)
        return Retrieval(tuple(found), frequencies, total)

    def _ranked(
        self,
        connection: sqlite3.Connection,
        candidates: str,
        ranked: dict[str, int],
        groups: frozenset[str] | None,
        limit: int,
    ) -> list[Passage]:
        """The best passages of the top-`limit` documents among those `candidates` matches.

        Every query word that can move the ranking counts in it. A word in more than half the
        passages cannot (FTS5's bm25 gives it an idf of ~0), and walking its postings was most
        of a query's time at 100k documents, so `ranked` leaves such words out.
        """
        sql = (
            "SELECT d.doc_id, d.title, p.text, d.groups, d.path, d.version, "
            f"bm25(passages, {_BM25_WEIGHTS}) AS rank "
            f"FROM passages p JOIN documents d ON d.rowid = p.rowid / {PASSAGE_SLOTS} "
            "WHERE passages MATCH ?"
        )
        parameters: list[object] = [f"({candidates}) AND ({_match_expression(ranked)})"]
        if groups is not None:
            marks = ", ".join("?" for _ in groups)
            # EXISTS, not `rowid IN (...)`: FTS5 would take the IN list as rowid lookups and
            # re-run the MATCH once per visible document (seen: 0.5 s at 1k documents)
            sql += (
                " AND EXISTS (SELECT 1 FROM doc_groups g WHERE g.doc_rowid = d.rowid "
                f"AND g.grp IN ({marks}))"
            )
            parameters.extend(sorted(groups))
        sql += " ORDER BY rank LIMIT ?"
        parameters.append(limit * CANDIDATES_PER_DOCUMENT)
        rows = ((*row[:6], -row[6]) for row in connection.execute(sql, parameters))
        return _best_per_document(rows, limit)

    def _search_impacts(
        self,
        connection: sqlite3.Connection,
        impacts: Impacts,
        query_words: list[str],
        groups: frozenset[str] | None,
        limit: int,
        total: int,
    ) -> Retrieval:
        """`search` on the precomputed impacts: every query term counts, as in bm25s."""
        query_terms = list(dict.fromkeys(stem(word) for word in query_words))
        hits = impacts.top(
            query_terms, impacts.mask(connection, groups), limit * CANDIDATES_PER_DOCUMENT
        )
        frequencies = {term: impacts.frequency(term) for term in query_terms}
        if not hits:
            return Retrieval((), frequencies, total)
        marks = ", ".join("?" for _ in hits)
        stored = {
            row[0]: row[1:]
            for row in connection.execute(
                "SELECT p.rowid, d.doc_id, d.title, p.text, d.groups, d.path, d.version "
                f"FROM passages p JOIN documents d ON d.rowid = p.rowid / {PASSAGE_SLOTS} "
                f"WHERE p.rowid IN ({marks})",
                [rowid for rowid, _ in hits],
            )
        }
        # a passage an ingest removed since the generation was read is left out
        rows = ((*stored[rowid], score) for rowid, score in hits if rowid in stored)
        return Retrieval(tuple(_best_per_document(rows, limit)), frequencies, total)

    def _generation(self, connection: sqlite3.Connection) -> str:
        row = connection.execute("SELECT value FROM state WHERE key = 'passages'").fetchone()
        return row[0] if row else "0"

    def _current_impacts(self, connection: sqlite3.Connection, total: int) -> Impacts | None:
        """The impacts of the passages as they are now; None below `impacts_from` passages,
        while they are being built, or when they could not be: FTS5 ranks then.

        A store that ranks builds them as it opens and at each of its own writes, before the
        write returns (see `_refresh_impacts`), so its answers do not depend on the timing of a
        thread. Only a change written by another process is ranked by FTS5, always current,
        until the build it starts here in the background catches up."""
        if total < max(1, self._impacts_from):  # an empty store has nothing to rank
            return None
        generation = self._generation(connection)
        impacts = self._impacts
        if impacts is not None and impacts.generation == generation:
            return impacts
        if generation != self._impacts_failed:
            self._build_impacts_in_background()
        return None

    def _build_impacts_in_background(self) -> None:
        with self._builder_lock:
            if self._closed or (self._builder is not None and self._builder.is_alive()):
                return
            self._builder = threading.Thread(
                target=self._build_impacts, name="store-impacts", daemon=True
            )
            self._builder.start()

    def _build_impacts(self) -> None:
        generation = None
        try:
            # its own connection, out of `close`'s list: a background build may outlive the
            # thread that started it
            connection = sqlite3.connect(self.path, timeout=30.0)
            try:
                connection.execute("BEGIN")  # one snapshot: the generation and its passages
                generation = self._generation(connection)
                rows = connection.execute("SELECT rowid, label, text FROM passages")
                impacts = Impacts.build(generation, rows, PASSAGE_SLOTS)
                connection.execute("COMMIT")
            finally:
                connection.close()
        except Exception:
            # FTS5 still answers every query; the failure is logged once per generation
            _log.exception("building the impacts of %s failed; FTS5 ranks instead", self.path)
            self._impacts_failed = generation
            return
        with self._builder_lock:  # two builds may overlap: the newer generation stays
            current = self._impacts
            if not self._closed and (
                current is None or int(impacts.generation) >= int(current.generation)
            ):
                self._impacts = impacts

    def _refresh_impacts(self) -> None:
        """At open and after each of its writes, a large store that ranks builds the impacts
        of its passages before returning: about 3.5 s at 100k passages, paid by the ingest
        rather than by the next query, which a stage's time budget may not allow."""
        if not self._ranks:
            return
        connection = self._connection()
        large = self._passage_count(connection) >= max(1, self._impacts_from)
        if large and not self.impacts_ready():
            self._build_impacts()

    def wait_for_impacts(self, timeout: float | None = None) -> bool:
        """Wait for a background build of the impacts to end; True if none is running."""
        builder = self._builder
        if builder is not None:
            builder.join(timeout)
        return builder is None or not builder.is_alive()

    def impacts_ready(self) -> bool:
        """True when queries rank on the precomputed impacts of the passages as they are now."""
        connection = self._connection()
        impacts = self._impacts
        return impacts is not None and impacts.generation == self._generation(connection)

    def _passage_count(self, connection: sqlite3.Connection) -> int:
        """Passages in the index (count(*) on FTS5 reads every row: 17 ms at 100k)."""
        if self._passages is None:
            self._passages = connection.execute("SELECT count(*) FROM passages").fetchone()[0]
        return self._passages

    def _document_frequency(self, connection: sqlite3.Connection, word: str) -> int:
        """Passages holding `word` (what the relevance judgement weighs words by)."""
        count = self._frequencies.get(word)
        if count is None:
            count = connection.execute(
                "SELECT count(*) FROM passages WHERE passages MATCH ?",
                (_match_expression([word]),),
            ).fetchone()[0]
            if len(self._frequencies) >= FREQUENCY_CACHE:
                self._frequencies.clear()
            self._frequencies[word] = count
        return count

    def scan(self, question: str, groups: frozenset[str] | None, limit: int) -> Retrieval:
        """Score every document in Python by term overlap, reading and tokenising each one for
        every question: what a prototype without an index does, so its cost grows with the
        corpus (the latency notebook measures exactly that)."""
        query = set(terms(question))
        if not query:
            return Retrieval((), {}, self.document_count())
        frequencies: Counter[str] = Counter()
        best: list[tuple[float, int, Passage]] = []
        total = 0
        rows = self._connection().execute(f"SELECT {_DOC_COLUMNS} FROM documents ORDER BY rowid")
        for position, (doc_id, title, body, groups_json, path, version) in enumerate(rows):
            total += 1
            counts = Counter(terms(title) * 2 + terms(body))
            present = query.intersection(counts)
            frequencies.update(present)
            if not present:
                continue
            doc_groups = tuple(json.loads(groups_json))
            if groups is not None and not groups.intersection(doc_groups):
                continue
            score = sum(1.0 + math.log(counts[term]) for term in present)
            passage = Passage(doc_id, title, body, doc_groups, path, version, score)
            item = (score, -position, passage)
            if len(best) < limit:
                heapq.heappush(best, item)
            else:
                heapq.heappushpop(best, item)
        ranked = tuple(item[2] for item in sorted(best, reverse=True))
        return Retrieval(ranked, dict(frequencies), total)

    # ---- writes ------------------------------------------------------------------------------

    def apply_ingest(
        self,
        documents: Sequence[Document],
        quarantined: Sequence[QuarantineEntry],
        unreadable: Iterable[str],
        origins: Sequence[str],
        read: int,
        duplicates: int,
        errors: int,
        keep_last_good: bool,
        started_at: str,
        partial: bool = False,
    ) -> ChangeCounts:
        """Make `documents` the served set of `origins`, as a new version, in one transaction.

        A served document missing from this ingest is deleted, unless `keep_last_good` and its
        new version was quarantined or its file could not be read: then it stays as it was.
        A `partial` ingest (a delta drop) deletes nothing: missing documents stay as they were.
        """
        with self._write_lock:
            connection = self._connection()
            try:
                connection.execute("BEGIN IMMEDIATE")
                counts = self._apply(
                    connection,
                    documents,
                    quarantined,
                    set(unreadable),
                    origins,
                    read,
                    duplicates,
                    errors,
                    keep_last_good,
                    started_at,
                    partial,
                )
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            finally:
                self._frequencies.clear()
                self._passages = None
        self._refresh_impacts()
        return counts

    def _apply(
        self,
        connection: sqlite3.Connection,
        documents: Sequence[Document],
        quarantined: Sequence[QuarantineEntry],
        unreadable: set[str],
        origins: Sequence[str],
        read: int,
        duplicates: int,
        errors: int,
        keep_last_good: bool,
        started_at: str,
        partial: bool,
    ) -> ChangeCounts:
        version = (connection.execute("SELECT max(version) FROM versions").fetchone()[0] or 0) + 1
        marks = ", ".join("?" for _ in origins)
        current = {
            doc_id: (content_hash, path)
            for doc_id, content_hash, path in connection.execute(
                f"SELECT doc_id, content_hash, path FROM documents WHERE origin IN ({marks})",
                list(origins),
            )
        }
        elsewhere = {
            row[0]
            for row in connection.execute(
                f"SELECT doc_id FROM documents WHERE origin NOT IN ({marks})", list(origins)
            )
        }
        changes: list[tuple[int, str, str]] = []
        indexed: list[tuple[int, str, str]] = []  # (rowid, title, body) to index
        added = changed = unchanged = 0
        for document in documents:
            content_hash = document.content_hash
            previous = current.get(document.id)
            if previous is not None and previous[0] == content_hash:
                unchanged += 1
                if previous[1] != document.path:
                    connection.execute(
                        "UPDATE documents SET path = ? WHERE doc_id = ?",
                        (document.path, document.id),
                    )
                continue
            rev = self._revision(connection, document, content_hash, version)
            values = (rev, *_stored_fields(document, content_hash, version))
            if previous is None and document.id not in elsewhere:
                cursor = connection.execute(
                    "INSERT INTO documents(rev, content_hash, title, body, source, origin, path, "
                    "owner, updated_at, groups, version, doc_id) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*values, document.id),
                )
                indexed.append((cursor.lastrowid, document.title, document.body))
                added += 1
                changes.append((version, document.id, "added"))
            else:
                rowid = connection.execute(
                    "UPDATE documents SET rev = ?, content_hash = ?, title = ?, body = ?, "
                    "source = ?, origin = ?, path = ?, owner = ?, updated_at = ?, groups = ?, "
                    "version = ? WHERE doc_id = ? RETURNING rowid",
                    (*values, document.id),
                ).fetchone()[0]
                indexed.append((rowid, document.title, document.body))
                changed += 1
                changes.append((version, document.id, "changed"))
        _index_passages(connection, indexed)
        incoming = {document.id for document in documents}
        failed_ids = {entry.doc_id for entry in quarantined if entry.doc_id}
        failed_places = {entry.path for entry in quarantined} | unreadable
        deleted = kept = 0
        for doc_id, (_, path) in current.items():
            if doc_id in incoming:
                continue
            failed = doc_id in failed_ids or _located_in(path, failed_places)
            if keep_last_good and failed:
                kept += 1
                changes.append((version, doc_id, "kept_last_good"))
                continue
            if partial and not failed:
                continue  # a delta drop says nothing about the documents it leaves out
            connection.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
            deleted += 1
            changes.append((version, doc_id, "deleted"))
        connection.executemany("INSERT INTO changes VALUES (?, ?, ?)", changes)
        connection.executemany(
            "INSERT INTO quarantine(version, origin, path, doc_id, checks, reason) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(version, q.origin, q.path, q.doc_id, q.check, q.reason) for q in quarantined],
        )
        self._finish_version(
            connection,
            version,
            "ingest",
            started_at,
            origins,
            (read, added, changed, deleted, unchanged, len(quarantined), errors, kept, duplicates),
            None,
        )
        return ChangeCounts(version, added, changed, deleted, unchanged, kept)

    @staticmethod
    def _revision(
        connection: sqlite3.Connection, document: Document, content_hash: str, version: int
    ) -> int:
        row = connection.execute(
            "SELECT rev FROM revisions WHERE doc_id = ? AND content_hash = ?",
            (document.id, content_hash),
        ).fetchone()
        if row:
            return row[0]
        cursor = connection.execute(
            "INSERT INTO revisions(doc_id, content_hash, title, body, source, origin, path, owner, "
            "updated_at, groups, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (document.id, *_stored_fields(document, content_hash, version)),
        )
        return cursor.lastrowid

    @staticmethod
    def _finish_version(
        connection: sqlite3.Connection,
        version: int,
        kind: str,
        started_at: str,
        origins: Sequence[str],
        counts: tuple[int, ...],
        rolled_back_to: int | None,
    ) -> None:
        served = connection.execute("SELECT count(*) FROM documents").fetchone()[0]
        connection.execute(
            "INSERT INTO versions(version, kind, started_at, finished_at, origins, read, added, "
            "changed, deleted, unchanged, quarantined, errors, kept_last_good, duplicates, "
            "served, rolled_back_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                version,
                kind,
                started_at,
                utc_now(),
                json.dumps(list(origins)),
                *counts,
                served,
                rolled_back_to,
            ),
        )
        connection.execute("INSERT INTO snapshot SELECT ?, doc_id, rev FROM documents", (version,))
        connection.execute(
            "INSERT INTO state(key, value) VALUES ('served', ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (str(version),),
        )
        if any(counts[1:4]):  # added, changed, deleted: the passages changed
            _next_generation(connection)

    def rollback(self, version: int) -> ChangeCounts:
        """Serve exactly the documents of `version` again, recorded as a new rollback version."""
        started_at = utc_now()
        with self._write_lock:
            connection = self._connection()
            known = connection.execute(
                "SELECT 1 FROM versions WHERE version = ?", (version,)
            ).fetchone()
            if not known:
                versions = [row[0] for row in connection.execute("SELECT version FROM versions")]
                raise PlaybookError(
                    f"rollback: field 'version': no version {version}; expected one of {versions}"
                )
            try:
                connection.execute("BEGIN IMMEDIATE")
                counts = self._restore(connection, version, started_at)
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            finally:
                self._frequencies.clear()
                self._passages = None
        self._refresh_impacts()
        return counts

    def _restore(
        self, connection: sqlite3.Connection, target: int, started_at: str
    ) -> ChangeCounts:
        version = connection.execute("SELECT max(version) FROM versions").fetchone()[0] + 1
        wanted = dict(
            connection.execute("SELECT doc_id, rev FROM snapshot WHERE version = ?", (target,))
        )
        current = dict(connection.execute("SELECT doc_id, rev FROM documents"))
        changes = []
        indexed: list[tuple[int, str, str]] = []  # (rowid, title, body) to index
        added = changed = deleted = 0
        for doc_id in current.keys() - wanted.keys():
            connection.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
            deleted += 1
            changes.append((version, doc_id, "deleted"))
        for doc_id, rev in wanted.items():
            if current.get(doc_id) == rev:
                continue
            row = connection.execute(
                "SELECT rev, content_hash, title, body, source, origin, path, owner, updated_at, "
                "groups, version FROM revisions WHERE rev = ?",
                (rev,),
            ).fetchone()
            if doc_id in current:
                rowid = connection.execute(
                    "UPDATE documents SET rev = ?, content_hash = ?, title = ?, body = ?, "
                    "source = ?, origin = ?, path = ?, owner = ?, updated_at = ?, groups = ?, "
                    "version = ? WHERE doc_id = ? RETURNING rowid",
                    (*row, doc_id),
                ).fetchone()[0]
                indexed.append((rowid, row[2], row[3]))
                changed += 1
                changes.append((version, doc_id, "changed"))
            else:
                cursor = connection.execute(
                    "INSERT INTO documents(rev, content_hash, title, body, source, origin, path, "
                    "owner, updated_at, groups, version, doc_id) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*row, doc_id),
                )
                indexed.append((cursor.lastrowid, row[2], row[3]))
                added += 1
                changes.append((version, doc_id, "added"))
        _index_passages(connection, indexed)
        unchanged = len(wanted) - added - changed
        connection.executemany("INSERT INTO changes VALUES (?, ?, ?)", changes)
        origins = sorted({row[0] for row in connection.execute("SELECT origin FROM documents")})
        self._finish_version(
            connection,
            version,
            "rollback",
            started_at,
            origins,
            (0, added, changed, deleted, unchanged, 0, 0, 0, 0),
            target,
        )
        return ChangeCounts(version, added, changed, deleted, unchanged, 0)

    def integrity(self) -> bool:
        """True when the passage index is sound (FTS5 'integrity-check')."""
        try:
            self._connection().execute(
                "INSERT INTO passages(passages, rank) VALUES ('integrity-check', 1)"
            )
        except sqlite3.DatabaseError:
            return False
        return True
