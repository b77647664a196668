"""Data sources: how an engagement declares them, which files they hold, and reading those files
into raw records (markdown, html, json, jsonl). Bad files never raise; they come back as ReadErrors.

The one home of these rules: notebook 00 counts, the data checks read and the reference system
ingests exactly the same files.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any, Literal

import jmespath
from bs4 import BeautifulSoup
from jmespath.exceptions import JMESPathError
from pydantic import BaseModel, ConfigDict, Field, field_validator

from playbook.safe_files import (
    MAX_DOCUMENT_BYTES,
    FileProblem,
    parse_json,
    parse_yaml,
    read_text,
)

DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
SAMPLES_PREFIX = "samples:"  # a path in the playbook's bundled data_samples/
SourceFormat = Literal["auto", "markdown", "html", "json"]
CanonicalField = Literal["id", "title", "body", "groups", "updated_at"]
Shape = Literal["markdown", "html", "json object", "json array", "json records", "json lines"]
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "markdown": (".md", ".markdown"),
    "html": (".html", ".htm"),
    "json": (".json", ".jsonl"),
}
_HTML_META = {  # meta name -> record field, as the contract names them
    "doc-id": "id",
    "owner": "owner",
    "updated-at": "updated_at",
    "groups": "groups",
    "source": "source",
}


class DataSource(BaseModel):
    """One upstream source of documents: a folder (or one file) in one format."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="a short name (subfolder name in an upstream drop)")
    path: str = Field(
        min_length=1, description="folder or file, relative to engagement.yaml ('samples:' bundled)"
    )
    format: SourceFormat = Field(
        default="auto", description="auto (by extension), markdown, html or json"
    )
    records: str | None = Field(
        default=None,
        description="json: JMESPath to the list of records inside each file (e.g. 'data.items'); "
        "without it a file holds one object, an array of objects, or JSON Lines",
    )
    fields: dict[CanonicalField, str] = Field(
        default_factory=dict,
        description="where each document field is in records whose names differ: id, title, "
        "body, groups or updated_at -> a JMESPath (e.g. {body: content, id: meta.doc_id})",
    )

    @field_validator("path")
    @classmethod
    def _path_stays_inside(cls, value: str) -> str:
        return confined_path(value)

    @field_validator("records")
    @classmethod
    def _records_path(cls, value: str | None) -> str | None:
        if value is not None:
            _compiled(value)
        return value

    @field_validator("fields")
    @classmethod
    def _field_paths(cls, value: dict[str, str]) -> dict[str, str]:
        for expression in value.values():
            _compiled(expression)
        return value


def confined_path(value: str) -> str:
    """`value`, checked not to climb out of where it is resolved: a relative path stays inside
    the engagement folder and a `samples:` path inside the bundled samples (ValueError if not).
    An absolute path (or `~/...`) is the user's own choice and is kept as written."""
    rest = value.removeprefix(SAMPLES_PREFIX)
    if rest != value and (rest.startswith(("/", "~")) or PurePosixPath(rest).is_absolute()):
        raise ValueError(f"{value!r}: a samples: path is relative to the bundled data_samples/")
    if rest == value and (PurePosixPath(value).is_absolute() or value.startswith("~")):
        return value
    normalised = posixpath.normpath(rest.replace("\\", "/"))
    if normalised == ".." or normalised.startswith("../"):
        where = "the bundled data_samples/" if rest != value else "the engagement folder"
        raise ValueError(
            f"{value!r} climbs out of {where}: write an absolute path if you mean a folder outside"
        )
    return value


def _compiled(expression: str) -> jmespath.parser.ParsedResult:
    """A JMESPath expression, or a ValueError saying what is wrong with it."""
    # JMESPath, as in the HTTP target's field mapping: the syntax teams know from AWS and Ansible.
    try:
        return jmespath.compile(expression)
    except JMESPathError:
        raise ValueError(
            f"{expression!r} is not a JMESPath expression (e.g. 'content' or 'meta.acl[*]')"
        ) from None


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
    """One document as a file declared it: raw fields, before any validation or defaulting.

    `fields` holds only what the file actually said (a missing key stays missing), so the
    profiles can differ in what they do about it. `page_text` is everything readable in the
    file, boilerplate included: what a prototype indexes when it finds no body.
    """

    origin: str  # the DataSource name
    path: str
    fields: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    fallback_id: str = ""
    page_text: str = ""
    line: int | None = None  # 1-based position of a record in its file (JSON Lines, arrays)
    shape: Shape = "markdown"  # how the file held it: what notebook 00 reports as detected

    @property
    def location(self) -> str:
        """The file, with the line for a jsonl record."""
        return f"{self.path}:{self.line}" if self.line else self.path

    @property
    def declared_id(self) -> str:
        """The id the record declares, else the one a reader falls back to (the file's)."""
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


def source_files(folder: Path, fmt: str) -> list[Path]:
    """The files a source of format `fmt` reads, sorted; hidden files are skipped."""
    if folder.is_file():
        return [folder]
    wanted = sum(EXTENSIONS.values(), ()) if fmt == "auto" else EXTENSIONS[fmt]
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and path.suffix.lower() in wanted
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def read_sources(
    sources: Sequence[DataSource], base: Path | None = None
) -> tuple[list[SourceRecord], list[ReadError]]:
    """Every record of every source, and every file that could not be read."""
    records: list[SourceRecord] = []
    errors: list[ReadError] = []
    for source in sources:
        folder = Path(source.path)
        if base is not None and not folder.is_absolute():
            folder = base / folder
        if not folder.exists():
            errors.append(ReadError(source.name, str(folder), "source path not found"))
            continue
        for path in source_files(folder, source.format):
            found, problems = read_file(path, source, _format_of(path, source.format))
            records.extend(found)
            errors.extend(problems)
    return records, errors


def _format_of(path: Path, fmt: str) -> str:
    if fmt != "auto":
        return fmt
    for name, suffixes in EXTENSIONS.items():
        if path.suffix.lower() in suffixes:
            return name
    return "unknown"


def read_file(
    path: Path, source: DataSource, fmt: str
) -> tuple[list[SourceRecord], list[ReadError]]:
    """Records of one file in format `fmt`, with the source's field mapping applied; an
    unreadable file becomes a ReadError."""
    origin = source.name
    try:
        text = read_text(path, MAX_DOCUMENT_BYTES)
    except FileProblem as exc:
        return [], [ReadError(origin, str(path), str(exc))]
    except OSError as exc:
        return [], [ReadError(origin, str(path), f"cannot read ({exc.strerror or exc})")]
    if not text.strip():
        return [], [ReadError(origin, str(path), "empty file")]
    try:
        if fmt == "markdown":
            found, errors = [_markdown(text, path, origin)], []
        elif fmt == "html":
            found, errors = [_html(text, path, origin)], []
        elif fmt == "json" and path.suffix.lower() == ".jsonl":
            found, errors = _jsonl(text, path, origin)
        elif fmt == "json":
            found, errors = _json_file(parse_json(text), path, source), []
        else:
            return [], [ReadError(origin, str(path), f"unknown format {fmt!r}")]
    except ValueError as exc:  # FileProblem included: it names the line
        return [], [ReadError(origin, str(path), f"malformed {fmt}: {exc}")]
    if source.fields:
        found = [_mapped(record, source.fields) for record in found]
    return found, errors


def _mapped(record: SourceRecord, mapping: Mapping[str, str]) -> SourceRecord:
    """The record with each mapped field found where the mapping says (the originals kept)."""
    fields = dict(record.fields)
    for name, expression in mapping.items():
        value = _compiled(expression).search(dict(record.fields))
        if value is not None:
            fields[name] = value
    return replace(record, fields=MappingProxyType(fields))


def _markdown(text: str, path: Path, origin: str) -> SourceRecord:
    meta: dict[str, Any] = {}
    body = text
    if text.startswith("---"):
        lines = text.splitlines(keepends=True)
        closing = next(
            (i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---"), None
        )
        if closing is None:
            raise ValueError("front matter opened with '---' is never closed")
        loaded = parse_yaml("".join(lines[1:closing])) or {}
        if not isinstance(loaded, dict):
            raise ValueError("front matter is not a mapping of fields")
        meta = {str(key): value for key, value in loaded.items()}
        body = "".join(lines[closing + 1 :])
    fields = {**meta, "body": body.strip()}
    return SourceRecord(origin, str(path), MappingProxyType(fields), path.stem, text, None)


def _html(text: str, path: Path, origin: str) -> SourceRecord:
    soup = BeautifulSoup(text, "html.parser")
    fields: dict[str, Any] = {}
    if soup.title and soup.title.string:
        fields["title"] = soup.title.string.strip()
    for meta in soup.find_all("meta"):
        name = str(meta.get("name") or "").strip().lower()
        if name in _HTML_META and meta.get("content") is not None:
            fields[_HTML_META[name]] = str(meta["content"]).strip()
    if "groups" in fields:
        fields["groups"] = [group.strip() for group in fields["groups"].split(",") if group.strip()]
    article = soup.find("article")
    if article is not None:
        fields["body"] = article.get_text("\n", strip=True)
    page = soup.body or soup
    page_text = page.get_text("\n", strip=True)
    return SourceRecord(
        origin, str(path), MappingProxyType(fields), path.stem, page_text, None, "html"
    )


def _json_record(
    data: object, path: Path, origin: str, line: int | None, shape: Shape
) -> SourceRecord:
    if not isinstance(data, dict):
        raise ValueError(f"expected one JSON object per record, got {type(data).__name__}")
    fallback = f"{path.stem}-{line}" if line else path.stem
    page_text = " ".join(str(value) for value in data.values() if isinstance(value, str))
    fields = MappingProxyType(dict(data))
    return SourceRecord(origin, str(path), fields, fallback, page_text, line, shape)


def _json_file(data: object, path: Path, source: DataSource) -> list[SourceRecord]:
    """One object, an array of objects, or the list `source.records` points at."""
    if source.records:
        found = _compiled(source.records).search(data)
        if not isinstance(found, list):
            raise ValueError(f"records path {source.records!r} does not reach a list")
        return [
            _json_record(item, path, source.name, n, "json records")
            for n, item in enumerate(found, start=1)
        ]
    if isinstance(data, list):
        return [
            _json_record(item, path, source.name, n, "json array")
            for n, item in enumerate(data, start=1)
        ]
    return [_json_record(data, path, source.name, None, "json object")]


def nested_records(record: SourceRecord) -> tuple[str, int] | None:
    """A JSON object that holds a list of objects under one key (`{"documents": [...]}`): the
    key and how many, when it reads as one document but probably holds many."""
    if record.shape != "json object":
        return None
    lists = [
        (key, len(value))
        for key, value in record.fields.items()
        if isinstance(value, list) and len(value) > 1 and all(isinstance(v, dict) for v in value)
    ]
    return max(lists, key=lambda pair: pair[1]) if lists else None


def _jsonl(text: str, path: Path, origin: str) -> tuple[list[SourceRecord], list[ReadError]]:
    records, errors = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(_json_record(parse_json(line), path, origin, number, "json lines"))
        except ValueError as exc:
            errors.append(ReadError(origin, f"{path}:{number}", f"malformed json: {exc}"))
    return records, errors
