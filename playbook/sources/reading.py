"""Which files a source holds, and reading them into records with the source's rules applied."""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Protocol

from playbook.safe_files import MAX_DOCUMENT_BYTES, FileProblem, read_text
from playbook.sources import formats
from playbook.sources.model import EXTENSIONS, DataSource, compiled
from playbook.sources.records import DATE_FORMAT, ReadError, SourceRecord, scalar_text

BINARY_FORMATS = frozenset({"pdf", "docx"})
READER_VERSION = "6"  # bump when a reader's output changes: files parsed before are read again


class ParsedFiles(Protocol):
    """Records of files parsed before, by signature, so an unchanged file skips its parser.

    Keyed by the source's name and the file's path inside the source: a copy of a source (a
    drill's upstream drop, a document deleted from a copy) recalls what its original parsed."""

    def recall(self, origin: str, path: str, signature: str) -> list[SourceRecord] | None: ...

    def remember(
        self, origin: str, path: str, signature: str, records: Sequence[SourceRecord]
    ) -> None: ...


def file_signature(path: Path, declaration: str) -> str:
    """What the records of `path` depend on: its content and modification time, the source's
    `declaration` (its JSON: format, mapping, defaults; not where the source is) and the readers'
    version."""
    # the content's digest, not only size and time: a same-size edit within the file system's
    # timestamp granularity would otherwise read as unchanged (git's "racy" files)
    stat = path.stat()
    if stat.st_size > MAX_DOCUMENT_BYTES:
        raise OSError("too large to remember")  # read_file reports it
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "blake2b").hexdigest()
    return f"{READER_VERSION}:{digest}:{stat.st_mtime_ns}:{declaration}"


def source_files(folder: Path, fmt: str, exclude: Sequence[str] = ()) -> list[Path]:
    """The files a source of format `fmt` reads, sorted; hidden and excluded files skipped."""
    if folder.is_file():
        return [folder]
    wanted = sum(EXTENSIONS.values(), ()) if fmt == "auto" else EXTENSIONS[fmt]
    found = []
    for path in folder.rglob("*"):
        if not path.is_file() or path.suffix.lower() not in wanted:
            continue
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if any(fnmatch.fnmatchcase(relative.as_posix(), pattern) for pattern in exclude):
            continue
        found.append(path)
    return sorted(found)


def read_sources(
    sources: Sequence[DataSource], base: Path | None = None, parsed: ParsedFiles | None = None
) -> tuple[list[SourceRecord], list[ReadError]]:
    """Every record of every source, and every file that could not be read."""
    records: list[SourceRecord] = []
    errors: list[ReadError] = []
    for found, problems in iter_sources(sources, base, parsed):
        records.extend(found)
        errors.extend(problems)
    return records, errors


def iter_sources(
    sources: Sequence[DataSource], base: Path | None = None, parsed: ParsedFiles | None = None
) -> Iterator[tuple[list[SourceRecord], list[ReadError]]]:
    """The records and errors of each file in turn, so a large corpus streams. With `parsed`,
    a file unchanged since it was last read cleanly is not parsed again; the files that must be
    parsed are shared among worker processes when there are enough of them (`parse_workers`).
    """
    from playbook.sources import parse_workers  # it imports this module

    for source in sources:
        folder = Path(source.path)
        if base is not None and not folder.is_absolute():
            folder = base / folder
        if not folder.exists():
            yield [], [ReadError(source.name, str(folder), "source path not found")]
            continue
        root = folder if folder.is_dir() else folder.parent
        declaration = source.model_dump_json()
        # where the source is does not change what its files say: copies share their records
        placeless = source.model_dump_json(exclude={"path"})
        # per file: its records recalled from `parsed`, or the task that parses it
        plan: list[tuple[list[SourceRecord] | None, str | None, str]] = []
        tasks: list[parse_workers.ParseTask] = []
        # workers start once enough files need parsing, and import while the rest are hashed
        pool: parse_workers.ParserPool | None = None
        files = source_files(folder, source.format, source.exclude)
        for path in files:
            task = parse_workers.ParseTask(
                str(path), declaration, format_of(path, source.format), str(root)
            )
            signature = None
            inside = path.relative_to(root).as_posix()
            if parsed is not None:
                with contextlib.suppress(OSError):  # gone since it was listed: read_file says so
                    signature = file_signature(path, placeless)
            recalled = (
                parsed.recall(source.name, inside, signature) if signature is not None else None
            )
            if recalled is not None:  # parsed from this file, or from the same file in a copy
                recalled = [replace(record, path=str(path)) for record in recalled]
            plan.append((recalled, signature, inside))
            if recalled is None:
                tasks.append(task)
                if pool is None and len(tasks) == parse_workers.MIN_FILES_PER_WORKER:
                    workers = parse_workers.worker_count(len(files))
                    pool = parse_workers.ParserPool(workers) if workers else None
        results = (
            pool.parse_all(tasks)
            if pool is not None
            else parse_workers.parse_all(tasks, parse_workers.worker_count(len(tasks)))
        )
        for recalled, signature, inside in plan:
            if recalled is not None:
                yield recalled, []
                continue
            found, problems = next(results)
            if parsed is not None and signature is not None and found and not problems:
                parsed.remember(source.name, inside, signature, found)
            yield found, problems


def count_files(sources: Sequence[DataSource], base: Path | None = None) -> int:
    """How many files the sources hold (for progress)."""
    total = 0
    for source in sources:
        folder = Path(source.path)
        if base is not None and not folder.is_absolute():
            folder = base / folder
        if folder.exists():
            total += len(source_files(folder, source.format, source.exclude))
    return total


def format_of(path: Path, fmt: str) -> str:
    if fmt != "auto":
        return fmt
    for name, suffixes in EXTENSIONS.items():
        if path.suffix.lower() in suffixes:
            return name
    return "unknown"


def read_file(
    path: Path, source: DataSource, fmt: str, root: Path | None = None
) -> tuple[list[SourceRecord], list[ReadError]]:
    """Records of one file in format `fmt`, with the source's field mapping and defaults
    applied; an unreadable file becomes a ReadError."""
    origin = source.name
    root = root if root is not None else path.parent
    relative = PurePosixPath(path.relative_to(root).as_posix()) if path != root else path.name
    fallback = str(PurePosixPath(relative).with_suffix(""))
    try:
        content: bytes | str = (
            _read_bytes(path) if fmt in BINARY_FORMATS else read_text(path, MAX_DOCUMENT_BYTES)
        )
    except FileProblem as exc:  # not text, too large
        return [], [ReadError(origin, str(path), str(exc))]
    except OSError as exc:
        return [], [ReadError(origin, str(path), f"cannot read ({exc.strerror or exc})")]
    if not content or (isinstance(content, str) and not content.strip()):
        return [], [ReadError(origin, str(path), "empty file")]
    try:
        if isinstance(content, bytes):
            found = [getattr(formats, fmt)(content, path, origin, fallback)]
            errors: list[ReadError] = []
        else:
            found, errors = _parse_text(content, path, source, fmt, fallback)
    except ValueError as exc:  # a reader's reason (FileProblem's names the line)
        return [], [ReadError(origin, str(path), f"malformed {fmt}: {exc}")]
    if source.fields:
        found = [_mapped(record, source.fields) for record in found]
    modified = datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime(DATE_FORMAT)
    return [_with_defaults(r, source, str(relative), modified) for r in found], errors


def _read_bytes(path: Path) -> bytes:
    size = path.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        raise FileProblem(f"{size:,} bytes, more than the {MAX_DOCUMENT_BYTES:,} a file may have")
    return path.read_bytes()


def _parse_text(
    text: str, path: Path, source: DataSource, fmt: str, fallback: str
) -> tuple[list[SourceRecord], list[ReadError]]:
    origin = source.name
    if fmt == "markdown":
        return [formats.markdown(text, path, origin, fallback)], []
    if fmt == "html":
        return [formats.html(text, path, origin, fallback)], []
    if fmt == "text":
        return [formats.plain_text(text, path, origin, fallback)], []
    if fmt == "json" and path.suffix.lower() == ".jsonl":
        return formats.json_lines(text, path, origin, fallback)
    if fmt == "json":
        return formats.json_file(text, path, source, fallback), []
    raise ValueError(f"unknown format {fmt!r}")


def _mapped(record: SourceRecord, mapping: Mapping[str, str]) -> SourceRecord:
    """The record with each mapped field found where the mapping says (the originals kept)."""
    fields = dict(record.fields)
    for name, expression in mapping.items():
        value = compiled(expression).search(dict(record.fields))
        if value is not None:
            fields[name] = value
    return replace(record, fields=MappingProxyType(fields))


def _with_defaults(
    record: SourceRecord, source: DataSource, relative: str, modified: str
) -> SourceRecord:
    """The record with the source's declared defaults where it says nothing itself."""
    defaults = source.defaults
    fields = dict(record.fields)
    if defaults.id == "path" and not scalar_text(fields.get("id")):
        fields["id"] = record.fallback_id
    if not fields.get("groups"):
        groups = next(
            (
                listed
                for pattern, listed in defaults.groups_by_path.items()
                if fnmatch.fnmatchcase(relative, pattern)
            ),
            defaults.groups,
        )
        if groups:
            fields["groups"] = list(groups)
    if defaults.updated_at == "file-modified" and not fields.get("updated_at"):
        fields["updated_at"] = modified
    if fields == dict(record.fields):
        return record
    return replace(record, fields=MappingProxyType(fields))
