"""The source data contract (notebook 02): per source, the fields and value kinds to expect.

A contract is inferred from the records of each source (`infer_contract`), stored as JSON
(`save_contract`, `load_contract`), and compared with the records of an upstream drop
(`compare_contract`), which lists every way the drop drifts from it (`Drift`). The ingest exercise
(`playbook.gaps.data.exercise`) uses it to find the drop's drifted documents.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from playbook.atomic import write_json_atomic
from playbook.errors import PlaybookError, describe_validation_error
from playbook.safe_files import FileProblem, parse_json, read_config

if TYPE_CHECKING:
    from playbook.sources import SourceRecord

CONTRACT_FILE = "data_contract.json"
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


@dataclass(frozen=True)
class Drift:
    """One way the upstream drop differs from the stored contract of its source."""

    source: str
    field: str
    change: Literal["missing", "new", "kind", "unreadable"]
    expected: str
    observed: str
    documents: int
    example: str


class FieldContract(BaseModel):
    """The kinds of value one field held, and whether every document had it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kinds: tuple[str, ...]
    required: bool


class SourceContract(BaseModel):
    """The fields of one source's documents as the contract records them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    documents: int
    fields: dict[str, FieldContract]


class DataContract(BaseModel):
    """Per source, the fields and value kinds an ingest may expect (stored as JSON)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sources: dict[str, SourceContract]


def value_kind(value: object) -> str:
    """The kind of a raw field value, fine enough to see a date or list turned into text."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dt.datetime | dt.date):
        return "datetime"
    if isinstance(value, str):
        if not value.strip():
            return "empty text"
        return "iso-datetime" if ISO_UTC.match(value.strip()) else "text"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def infer_contract(records: Iterable[SourceRecord]) -> DataContract:
    """Per source, each field's value kinds and whether every record sets it."""
    kinds: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    present: dict[str, Counter[str]] = defaultdict(Counter)
    totals: Counter[str] = Counter()
    for record in records:
        totals[record.origin] += 1
        for name, value in record.fields.items():
            kinds[record.origin][name].add(value_kind(value))
            present[record.origin][name] += 1
    return DataContract(
        sources={
            source: SourceContract(
                documents=total,
                fields={
                    name: FieldContract(
                        kinds=tuple(sorted(kinds[source][name])),
                        required=present[source][name] == total,
                    )
                    for name in sorted(kinds[source])
                },
            )
            for source, total in sorted(totals.items())
        }
    )


def save_contract(path: Path, contract: DataContract) -> Path:
    """Write the contract as JSON, atomically."""
    return write_json_atomic(Path(path), contract.model_dump(mode="json"))


def load_contract(path: Path) -> DataContract:
    """Read a stored contract; a missing or malformed file is a PlaybookError naming it."""
    path = Path(path)
    text = read_config(path, "data contract", "notebooks.02_data_pipelines.data_contract")
    try:
        data = parse_json(text)
    except FileProblem as exc:
        raise PlaybookError(f"{path}: {exc}") from None
    try:
        return DataContract.model_validate(data)
    except ValidationError as exc:
        raise describe_validation_error(path, exc) from None


def compare_contract(
    contract: DataContract, records: Iterable[SourceRecord], unreadable: Iterable[tuple[str, str]]
) -> list[Drift]:
    """Every field a record lacks, adds or holds in a new kind; unreadable files too."""
    found: dict[tuple[str, str, str], dict[str, Any]] = {}

    def note(source: str, name: str, change: str, expected: str, observed: str, where: str):
        key = (source, name, change)
        entry = found.setdefault(
            key, {"expected": expected, "observed": Counter(), "paths": [], "example": where}
        )
        entry["observed"][observed] += 1
        entry["paths"].append(where)

    for record in records:
        expected = contract.sources.get(record.origin)
        if expected is None:
            continue
        for name, spec in expected.fields.items():
            if name not in record.fields:
                if spec.required:
                    note(record.origin, name, "missing", "always present", "absent", record.path)
                continue
            kind = value_kind(record.fields[name])
            if kind not in spec.kinds:
                note(record.origin, name, "kind", " or ".join(spec.kinds), kind, record.path)
        for name, value in record.fields.items():
            if name not in expected.fields:
                note(
                    record.origin,
                    name,
                    "new",
                    "not in the contract",
                    value_kind(value),
                    record.path,
                )
    for source, path in unreadable:
        note(source, "(file)", "unreadable", "a readable file", "unreadable", path)
    return [
        Drift(
            source=source,
            field=name,
            change=change,  # type: ignore[arg-type]
            expected=entry["expected"],
            observed=", ".join(kind for kind, _ in entry["observed"].most_common()),
            documents=len(set(entry["paths"])),
            example=entry["example"],
        )
        for (source, name, change), entry in sorted(found.items())
    ]
