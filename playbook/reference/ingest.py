"""One ingest: read the sources, normalise or validate, and apply the result as a new version."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from playbook import progress
from playbook.reference.documents import QuarantineEntry, deduplicate, lenient_documents
from playbook.reference.store import Store, utc_now
from playbook.sources import (
    DataSource,
    ParsedFiles,
    ReadError,
    SourceRecord,
    count_files,
    iter_sources,
)


@dataclass(frozen=True)
class IngestReport:
    """What one ingest read, how it changed the served documents, and what it refused.

    `read` counts document records parsed from files; every one of them is either ingested
    (added, changed or unchanged), quarantined, or overwritten by a later record with the same
    id (`duplicates`, prototype only). Unreadable files are in `errors`, not in `read`.
    """

    version: int
    read: int
    added: int
    changed: int
    deleted: int
    unchanged: int
    quarantined: tuple[QuarantineEntry, ...]
    errors: tuple[ReadError, ...]
    kept_last_good: int = 0
    duplicates: int = 0
    seconds: float = 0.0

    @property
    def ingested(self) -> int:
        """Documents of this ingest that are served: added, changed or unchanged."""
        return self.added + self.changed + self.unchanged


def _read(
    sources: Sequence[DataSource], base: Path | None, parsed: ParsedFiles | None
) -> tuple[list[SourceRecord], list[ReadError]]:
    """Every record and error of the sources, reporting files done of files as it goes."""
    total = count_files(sources, base)
    task = "ingest " + ", ".join(source.name for source in sources)
    records: list[SourceRecord] = []
    errors: list[ReadError] = []
    for done, (found, problems) in enumerate(iter_sources(sources, base, parsed), start=1):
        records.extend(found)
        errors.extend(problems)
        progress.report(task, min(done, total), total)
    return records, errors


def run_ingest(
    store: Store,
    sources: Sequence[DataSource],
    known_groups: frozenset[str],
    validate: bool,
    keep_last_good: bool,
    base: Path | None = None,
    partial: bool = False,
    parsed: ParsedFiles | None = None,
) -> IngestReport:
    """Ingest `sources` into `store` as one new version and report what happened.

    `partial` marks a delta drop: documents it does not mention are neither read nor deleted.
    `parsed` keeps the records of files already parsed: an unchanged file is not parsed again.
    """
    started = time.perf_counter()
    started_at = utc_now()
    records, errors = _read(sources, base, parsed)
    version = (store.versions()[-1].version if store.versions() else 0) + 1
    quarantined: list[QuarantineEntry] = []
    duplicates = 0
    if validate:
        from playbook.reference.validation import validate_records  # pandera loads in ~1 s

        documents, quarantined = validate_records(records, known_groups, version)
    else:
        documents, duplicates = deduplicate(lenient_documents(records))
    counts = store.apply_ingest(
        documents,
        quarantined,
        unreadable=[error.path for error in errors],
        origins=[source.name for source in sources],
        read=len(records),
        duplicates=duplicates,
        errors=len(errors),
        keep_last_good=keep_last_good,
        started_at=started_at,
        partial=partial,
    )
    return IngestReport(
        version=counts.version,
        read=len(records),
        added=counts.added,
        changed=counts.changed,
        deleted=counts.deleted,
        unchanged=counts.unchanged,
        quarantined=tuple(quarantined),
        errors=tuple(errors),
        kept_last_good=counts.kept_last_good,
        duplicates=duplicates,
        seconds=time.perf_counter() - started,
    )
