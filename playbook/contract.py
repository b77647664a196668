"""The ingest contract: a pandera schema every document must pass before a production ingest
indexes it. The reference system's production profile enforces it; notebook 00 previews it on a
team's own sources, so "most of your pages would be refused" shows before anything runs."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from playbook.sources import DATE_FORMAT, NAVIGATION_LINK_SHARE, SourceRecord, scalar_text

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,255}$"  # `/`: ids from paths (howto/argparse)
_ID = re.compile(ID_PATTERN)
COLUMNS = ("id", "title", "body", "owner", "updated_at", "groups", "source", "link_share")
REASONS = {
    "not_nullable": "is missing",
    "field_uniqueness": "is used by more than one document in this batch",
    "valid_id": f"is not an id matching {ID_PATTERN}",
    "non_empty_text": "is not a non-empty string",
    "iso8601_utc": f"is not a date in the form {DATE_FORMAT} (ISO 8601, UTC)",
    "known_groups": "is not a non-empty list of known access groups",
    "not_navigation": "is mostly links: a table of contents or an index page would drown the "
    "pages it lists in every search",
}


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def document_schema(known_groups: frozenset[str]) -> pa.DataFrameSchema:
    """The checks of the ingest contract: ids, titles, non-empty bodies, UTC dates, known groups."""

    def known(value: object) -> bool:
        return (
            isinstance(value, list)
            and bool(value)
            and all(isinstance(group, str) and group in known_groups for group in value)
        )

    def utc_dates(series: pd.Series) -> pd.Series:
        texts = series.where(series.map(lambda value: isinstance(value, str)))
        parsed = pd.to_datetime(texts, format=DATE_FORMAT, errors="coerce", utc=True)
        return pd.Series(parsed.notna().to_numpy(), index=series.index)

    text = pa.Check(_is_text, element_wise=True, name="non_empty_text")
    return pa.DataFrameSchema(
        {
            "id": pa.Column(
                object,
                pa.Check(
                    lambda value: isinstance(value, str) and bool(_ID.fullmatch(value)),
                    element_wise=True,
                    name="valid_id",
                ),
                nullable=False,
                unique=True,
            ),
            "title": pa.Column(object, text, nullable=False),
            "body": pa.Column(object, text, nullable=False),
            "updated_at": pa.Column(
                object, pa.Check(utc_dates, name="iso8601_utc"), nullable=False
            ),
            "groups": pa.Column(
                object, pa.Check(known, element_wise=True, name="known_groups"), nullable=False
            ),
            "link_share": pa.Column(
                float,
                pa.Check(
                    lambda share: share < NAVIGATION_LINK_SHARE,
                    element_wise=True,
                    name="not_navigation",
                ),
            ),
        },
        strict=False,
        coerce=False,
    )


def contract_frame(records: Sequence[SourceRecord]) -> pd.DataFrame:
    rows = []
    for record in records:
        fields = record.fields
        row = {}
        for column in COLUMNS:
            if column == "link_share":
                row[column] = float(record.link_share)
                continue
            value = fields.get(column)
            if column in ("id", "updated_at", "owner", "source", "title"):
                value = scalar_text(value) if value is not None else None
            row[column] = value
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(COLUMNS), dtype=object)
    return frame.astype({"link_share": float})


Failures = dict[int, list[tuple[str, str]]]  # record position -> (column:check, reason)


def contract_failures(
    records: Sequence[SourceRecord], known_groups: frozenset[str]
) -> tuple[pd.DataFrame, Failures]:
    """The records as the contract sees them, and what each failing record breaks."""
    frame = contract_frame(records)
    failures: Failures = defaultdict(list)
    try:
        document_schema(known_groups).validate(frame, lazy=True)
    except SchemaErrors as exc:
        for case in exc.failure_cases.itertuples(index=False):
            if pd.isna(case.index):
                continue  # a schema-level failure names no row; the row checks name them all
            check = str(case.check).split("(")[0]
            column = str(case.column)
            entry = (f"{column}:{check}", f"{column} {REASONS.get(check, check)}")
            if entry not in failures[int(case.index)]:
                failures[int(case.index)].append(entry)
    return frame, dict(failures)
