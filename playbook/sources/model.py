"""How an engagement declares a data source: where, in which format, and what to assume about
documents that carry no metadata of their own."""

from __future__ import annotations

import posixpath
from pathlib import PurePosixPath
from typing import Literal

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import BaseModel, ConfigDict, Field, field_validator

SAMPLES_PREFIX = "samples:"  # a path in the playbook's bundled data_samples/
SourceFormat = Literal["auto", "markdown", "html", "json", "text", "pdf", "docx"]
CanonicalField = Literal["id", "title", "body", "groups", "updated_at"]
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "markdown": (".md", ".markdown"),
    "html": (".html", ".htm"),
    "json": (".json", ".jsonl"),
    "text": (".txt",),
    "pdf": (".pdf",),
    "docx": (".docx",),
}


class SourceDefaults(BaseModel):
    """What to assume for documents that do not say it themselves (real pages rarely do)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Literal["path"] | None = Field(
        default=None,
        description="path: a document without an id is named by its path relative to the source "
        "(howto/argparse); without it, a missing id is a validation failure",
    )
    groups: list[str] = Field(
        default_factory=list,
        description="access groups of documents that name none (e.g. [all-staff])",
    )
    groups_by_path: dict[str, list[str]] = Field(
        default_factory=dict,
        description="glob of the relative path -> groups, first match wins, before 'groups' "
        "(e.g. {'hr/**': [hr]})",
    )
    updated_at: Literal["file-modified"] | None = Field(
        default=None,
        description="file-modified: a document without a date is as new as its file",
    )


class DataSource(BaseModel):
    """One upstream source of documents: a folder (or one file) in one format."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="a short name (subfolder name in an upstream drop)")
    path: str = Field(
        min_length=1, description="folder or file, relative to engagement.yaml ('samples:' bundled)"
    )
    format: SourceFormat = Field(
        default="auto",
        description="auto (by extension), markdown, html, json, text, pdf or docx",
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
    defaults: SourceDefaults = Field(
        default_factory=SourceDefaults,
        description="metadata for documents that carry none: id from the path, groups, date",
    )
    exclude: list[str] = Field(
        default_factory=list,
        description="globs of relative paths not to read (e.g. ['_static/**', 'search.html'])",
    )

    @field_validator("path")
    @classmethod
    def _path_stays_inside(cls, value: str) -> str:
        return confined_path(value)

    @field_validator("records")
    @classmethod
    def _records_path(cls, value: str | None) -> str | None:
        if value is not None:
            compiled(value)
        return value

    @field_validator("fields")
    @classmethod
    def _field_paths(cls, value: dict[str, str]) -> dict[str, str]:
        for expression in value.values():
            compiled(expression)
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


def compiled(expression: str) -> jmespath.parser.ParsedResult:
    """A JMESPath expression, or a ValueError saying what is wrong with it."""
    # JMESPath, as in the HTTP target's field mapping: the syntax teams know from AWS and Ansible.
    try:
        return jmespath.compile(expression)
    except JMESPathError:
        raise ValueError(
            f"{expression!r} is not a JMESPath expression (e.g. 'content' or 'meta.acl[*]')"
        ) from None
