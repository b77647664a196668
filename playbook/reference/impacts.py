"""Precomputed BM25 impacts of the store's passages (bm25s), for large stores.

FTS5 computes `bm25()` at query time from every query word's positions in every candidate
passage: at 100k documents that was 4 ms at p50 and 16 ms at p95, where bm25s, whose scores
are computed at index time, answered in under 1 ms. bm25s cannot add documents to an index, so
this one is rebuilt for each generation of the passages (about 3.5 s at 100k passages) by the
write that changed them (see `Store._refresh_impacts`).
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from playbook.reference.terms import terms

LABEL_WEIGHT = 2  # a term in the title and heading counts twice, as FTS5's column weights do
K1, B = 1.2, 0.75  # FTS5's bm25() parameters: hit@5 0.975 at 100k, against 0.9625 with 1.5
MASK_CACHE = 64  # access filters kept per index: one per distinct set of groups asking


@dataclass
class Impacts:
    """A bm25s index of the passages of one generation, with their rowids and the access
    filter of each set of groups that asked."""

    generation: str
    retriever: object  # bm25s.BM25, imported only when a store is large enough to build one
    vocabulary: dict[str, int]
    rowids: np.ndarray  # passage rowid of each bm25s document
    document_rowids: np.ndarray
    _masks: OrderedDict[frozenset[str], np.ndarray] = field(default_factory=OrderedDict)
    _masks_lock: threading.Lock = field(default_factory=threading.Lock)  # queries' threads

    @classmethod
    def build(
        cls, generation: str, passages: Iterable[tuple[int, str, str]], passage_slots: int
    ) -> Impacts:
        """The index of (rowid, label, text) passages, tokenised as the relevance judgement
        does (`terms`), so its document frequencies mean the same; a passage's document is its
        rowid // `passage_slots`."""
        import bm25s

        vocabulary: dict[str, int] = {}
        rowids: list[int] = []
        token_ids: list[list[int]] = []
        for rowid, label, text in passages:
            tokens = terms(label) * LABEL_WEIGHT + terms(text)
            token_ids.append([vocabulary.setdefault(token, len(vocabulary)) for token in tokens])
            rowids.append(rowid)
        retriever = bm25s.BM25(k1=K1, b=B)
        retriever.index((token_ids, vocabulary), show_progress=False)
        passage_rowids = np.asarray(rowids, dtype=np.int64)
        return cls(
            generation, retriever, vocabulary, passage_rowids, passage_rowids // passage_slots
        )

    def __len__(self) -> int:
        return len(self.rowids)

    def frequency(self, term: str) -> int:
        """Passages holding the stemmed `term`."""
        token = self.vocabulary.get(term)
        if token is None:
            return 0
        indptr = self.retriever.scores["indptr"]
        return int(indptr[token + 1] - indptr[token])

    def top(
        self, query_terms: Iterable[str], mask: np.ndarray | None, count: int
    ) -> list[tuple[int, float]]:
        """The `count` best (passage rowid, score) for the terms, best first; passages the
        `mask` zeroes and passages holding no query term are left out."""
        tokens = sorted({self.vocabulary[t] for t in query_terms if t in self.vocabulary})
        if not tokens or not len(self):
            return []
        scores = self.retriever.get_scores_from_ids(tokens, weight_mask=mask)
        count = min(count, len(scores))
        best = np.argpartition(scores, -count)[-count:]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(int(self.rowids[i]), float(scores[i])) for i in best if scores[i] > 0]

    def mask(
        self, connection: sqlite3.Connection, groups: frozenset[str] | None
    ) -> np.ndarray | None:
        """1 for each passage a member of `groups` may read, 0 otherwise (None: no filter)."""
        if groups is None:
            return None
        with self._masks_lock:
            mask = self._masks.get(groups)
            if mask is not None:
                self._masks.move_to_end(groups)
                return mask
        marks = ", ".join("?" for _ in groups)
        readable = np.fromiter(
            (
                row[0]
                for row in connection.execute(
                    f"SELECT DISTINCT doc_rowid FROM doc_groups WHERE grp IN ({marks})",
                    sorted(groups),
                )
            ),
            dtype=np.int64,
        )
        mask = np.isin(self.document_rowids, readable).astype(np.float32)
        with self._masks_lock:
            self._masks[groups] = mask
            if len(self._masks) > MASK_CACHE:
                self._masks.popitem(last=False)
        return mask
