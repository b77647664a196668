"""What reading a file gives: records (one document each, raw) and the files that failed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any, Literal

DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
Shape = Literal[
    "markdown",
    "html",
    "json object",
    "json array",
    "json records",
    "json lines",
    "text",
    "pdf",
    "docx",
]


NAVIGATION_LINK_SHARE = 0.6  # a page whose text is mostly links lists other pages


def scalar_text(value: object) -> str | None:
    """A YAML or JSON scalar as text (YAML turns ids into ints and dates into datetimes)."""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.isoformat()  # no zone: fails the UTC format check on purpose
        return value.astimezone(UTC).strftime(DATE_FORMAT)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    return None


@dataclass(frozen=True)
class SourceRecord:
    """One document as a file declared it: raw fields, before any validation.

    `fields` holds what the file said, plus what the source's mapping and declared defaults add;
    a missing key stays missing, so the profiles can differ in what they do about it.
    `page_text` is everything readable in the file, boilerplate included: what a prototype
    indexes when it finds no body.
    """

    origin: str  # the DataSource name
    path: str
    fields: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    fallback_id: str = ""  # the path relative to the source, without its extension
    page_text: str = ""
    line: int | None = None  # 1-based position of a record in its file (JSON Lines, arrays)
    shape: Shape = "markdown"  # how the file held it: what notebook 00 reports as detected
    link_share: float = 0.0  # share of the text that links elsewhere (an index or contents page)

    def to_plain(self) -> dict[str, Any]:
        """The record as plain data (for a cache or another process); `from_plain` reverses it."""
        return {
            "origin": self.origin,
            "path": self.path,
            "fields": dict(self.fields),
            "fallback_id": self.fallback_id,
            "page_text": self.page_text,
            "line": self.line,
            "shape": self.shape,
            "link_share": self.link_share,
        }

    @classmethod
    def from_plain(cls, plain: Mapping[str, Any]) -> SourceRecord:
        return cls(**{**plain, "fields": MappingProxyType(dict(plain["fields"]))})

    @property
    def location(self) -> str:
        """The file, with the line for a jsonl record."""
        return f"{self.path}:{self.line}" if self.line else self.path

    @property
    def declared_id(self) -> str:
        """The id the record declares, else the one a reader falls back to (its path)."""
        return scalar_text(self.fields.get("id")) or self.fallback_id


def location_file(location: str) -> str:
    """The file of a record location (a jsonl record's location ends in `:line`)."""
    head, colon, line = location.rpartition(":")
    return head if colon and line.isdigit() else location


@dataclass(frozen=True)
class ReadError:
    """A file (or jsonl line) that could not be read or parsed; it never reaches the index."""

    origin: str
    path: str
    reason: str


def nested_records(record: SourceRecord) -> tuple[str, int] | None:
    """A JSON object that holds a list of objects under one key (`{"documents": [...]}`): the
    key and how many, when it reads as one document but probably holds many. An object with a
    body of its own is a document whatever lists it holds (a package.json and its contributors)."""
    if record.shape != "json object" or scalar_text(record.fields.get("body")):
        return None
    lists = [
        (key, len(value))
        for key, value in record.fields.items()
        if isinstance(value, list) and len(value) > 1 and all(isinstance(v, dict) for v in value)
    ]
    return max(lists, key=lambda pair: pair[1]) if lists else None
