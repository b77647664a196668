"""The production ingest: documents that pass the contract (`playbook.contract`) and one
quarantine entry for each record that does not."""

from __future__ import annotations

from collections.abc import Sequence

from playbook.contract import contract_failures
from playbook.reference.documents import Document, QuarantineEntry
from playbook.sources import SourceRecord


def validate_records(
    records: Sequence[SourceRecord], known_groups: frozenset[str], version: int
) -> tuple[list[Document], list[QuarantineEntry]]:
    """Documents that pass the contract, and one quarantine entry for each record that fails."""
    if not records:
        return [], []
    frame, failures = contract_failures(records, known_groups)
    documents, quarantined = [], []
    for position, record in enumerate(records):
        row = frame.iloc[position]
        if position in failures:
            problems = failures[position]
            quarantined.append(
                QuarantineEntry(
                    version=version,
                    origin=record.origin,
                    path=record.location,
                    doc_id=row["id"] if isinstance(row["id"], str) else None,
                    check=", ".join(check for check, _ in problems),
                    reason="; ".join(reason for _, reason in problems),
                )
            )
            continue
        documents.append(
            Document(
                id=row["id"],
                title=row["title"].strip(),
                body=row["body"].strip(),
                source=row["source"] or record.origin,
                origin=record.origin,
                path=record.location,
                owner=row["owner"] or "",
                updated_at=row["updated_at"],
                groups=tuple(row["groups"]),
            )
        )
    return documents, quarantined
