"""One reader per file format: each turns a file into records, or raises ValueError saying why.

PDF through pypdf (pure Python, no system library, text layer per page); DOCX through python-docx
(paragraphs with their heading styles); HTML through `playbook.sources.html`.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from types import MappingProxyType
from typing import Any

from playbook.safe_files import parse_json, parse_yaml
from playbook.sources.html import read_page
from playbook.sources.model import DataSource, compiled
from playbook.sources.records import ReadError, Shape, SourceRecord

_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
TITLE_CHARS = 160


def markdown(text: str, path: Path, origin: str, fallback: str) -> SourceRecord:
    """Front matter fields (if any), the body, and the first heading as the title when the
    front matter names none."""
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
    if "title" not in fields and (heading := _HEADING.search(body)):
        fields["title"] = heading.group(1)[:TITLE_CHARS]
    return SourceRecord(origin, str(path), MappingProxyType(fields), fallback, text, None)


def html(text: str, path: Path, origin: str, fallback: str) -> SourceRecord:
    """The page's metadata, title and main text (see `playbook.sources.html`)."""
    page = read_page(text)
    fields = MappingProxyType(page.fields)
    return SourceRecord(
        origin, str(path), fields, fallback, page.page_text, None, "html", page.link_share
    )


def plain_text(text: str, path: Path, origin: str, fallback: str) -> SourceRecord:
    """The whole file as the body; a short first line as the title."""
    fields: dict[str, Any] = {"body": text.strip()}
    first = text.strip().split("\n", 1)[0].strip()
    if first and len(first) <= TITLE_CHARS:
        fields["title"] = first
    return SourceRecord(origin, str(path), MappingProxyType(fields), fallback, text, None, "text")


def pdf(data: bytes, path: Path, origin: str, fallback: str) -> SourceRecord:
    """The text layer of every page; a PDF without one (a scan) is refused, not indexed empty."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ValueError("the PDF is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except PdfReadError as exc:
        raise ValueError(f"not a readable PDF ({exc})") from None
    text = "\n\n".join(page.strip() for page in pages if page.strip())
    if not text:
        raise ValueError(f"no text layer in {len(pages)} pages (a scanned PDF needs OCR first)")
    fields: dict[str, Any] = {"body": text}
    title = (info.title or "").strip() if info else ""
    first = text.split("\n", 1)[0].strip()
    if title or (first and len(first) <= TITLE_CHARS):
        fields["title"] = title or first
    return SourceRecord(origin, str(path), MappingProxyType(fields), fallback, text, None, "pdf")


def docx(data: bytes, path: Path, origin: str, fallback: str) -> SourceRecord:
    """Paragraphs and table cells as text; the document title, else its first heading."""
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ValueError(f"not a readable DOCX ({type(exc).__name__})") from None
    lines = [
        f"{'#' * level} {paragraph.text.strip()}"
        if (level := _heading_level(paragraph))
        else paragraph.text
        for paragraph in document.paragraphs
        if paragraph.text.strip()
    ]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text.strip() for cell in row.cells))
    text = "\n".join(lines).strip()
    if not text:
        raise ValueError("the document holds no text")
    fields: dict[str, Any] = {"body": text}
    headings = [p.text.strip() for p in document.paragraphs if p.text.strip() and _heading_level(p)]
    title = (document.core_properties.title or "").strip() or (headings[0] if headings else "")
    if title:
        fields["title"] = title[:TITLE_CHARS]
    return SourceRecord(origin, str(path), MappingProxyType(fields), fallback, text, None, "docx")


def _heading_level(paragraph: Any) -> int:
    """1 to 6 for a DOCX heading paragraph (styles "Title", "Heading 2"), else 0."""
    style = (paragraph.style.name or "").lower() if paragraph.style is not None else ""
    if style == "title":
        return 1
    level = style.removeprefix("heading").strip()
    return min(int(level), 6) if style.startswith("heading") and level.isdigit() else 0


def json_record(
    data: object, path: Path, origin: str, line: int | None, shape: Shape, fallback: str
) -> SourceRecord:
    if not isinstance(data, dict):
        raise ValueError(f"expected one JSON object per record, got {type(data).__name__}")
    record_id = f"{fallback}-{line}" if line else fallback
    page_text = " ".join(str(value) for value in data.values() if isinstance(value, str))
    fields = MappingProxyType(dict(data))
    return SourceRecord(origin, str(path), fields, record_id, page_text, line, shape)


def json_file(text: str, path: Path, source: DataSource, fallback: str) -> list[SourceRecord]:
    """One object, an array of objects, or the list `source.records` points at."""
    data = parse_json(text)
    if source.records:
        found = compiled(source.records).search(data)
        if not isinstance(found, list):
            raise ValueError(f"records path {source.records!r} does not reach a list")
        return [
            json_record(item, path, source.name, n, "json records", fallback)
            for n, item in enumerate(found, start=1)
        ]
    if isinstance(data, list):
        return [
            json_record(item, path, source.name, n, "json array", fallback)
            for n, item in enumerate(data, start=1)
        ]
    return [json_record(data, path, source.name, None, "json object", fallback)]


def json_lines(
    text: str, path: Path, origin: str, fallback: str
) -> tuple[list[SourceRecord], list[ReadError]]:
    records, errors = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(
                json_record(parse_json(line), path, origin, number, "json lines", fallback)
            )
        except ValueError as exc:
            errors.append(ReadError(origin, f"{path}:{number}", f"malformed json: {exc}"))
    return records, errors
