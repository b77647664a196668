"""Normalised documents: the lenient prototype reading and the validated production reading."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from playbook.sources import SourceRecord, scalar_text


@dataclass(frozen=True)
class Document:
    """One document as the store keeps it; `origin` is the data source, `path` its file."""

    id: str
    title: str
    body: str
    source: str
    origin: str
    path: str
    owner: str
    updated_at: str
    groups: tuple[str, ...]

    @property
    def content_hash(self) -> str:
        """sha256 over the content fields; a moved file with equal content keeps its hash."""
        payload = [
            self.id,
            self.title,
            self.body,
            self.owner,
            self.updated_at,
            sorted(self.groups),
            self.source,
        ]
        return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class QuarantineEntry:
    """A document that failed validation: which checks, why, in which ingest, from which file."""

    version: int
    origin: str
    path: str
    doc_id: str | None
    check: str
    reason: str


def lenient_documents(records: Iterable[SourceRecord]) -> list[Document]:
    """What a prototype makes of its input: take whatever is there, fall back, never reject.

    A missing id becomes the file name, a missing body becomes the page text (boilerplate and
    all) or an empty string, a date stays whatever text it was, groups stay as written.
    """
    documents = []
    for record in records:
        fields = record.fields
        doc_id = record.declared_id
        body = fields.get("body")
        if not isinstance(body, str):
            body = record.page_text if record.path.endswith((".html", ".htm")) else ""
        groups = fields.get("groups")
        if isinstance(groups, str):
            groups = [groups]
        if not isinstance(groups, list):
            groups = []
        documents.append(
            Document(
                id=doc_id,
                title=scalar_text(fields.get("title")) or record.fallback_id,
                body=body,
                source=scalar_text(fields.get("source")) or record.origin,
                origin=record.origin,
                path=record.location,
                owner=scalar_text(fields.get("owner")) or "",
                updated_at=scalar_text(fields.get("updated_at")) or "",
                groups=tuple(str(group) for group in groups),
            )
        )
    return documents


def deduplicate(documents: Sequence[Document]) -> tuple[list[Document], int]:
    """Keep the last document of each id (what a naive upsert does) and count the overwritten."""
    by_id: dict[str, Document] = {}
    for document in documents:
        by_id[document.id] = document
    return list(by_id.values()), len(documents) - len(by_id)
