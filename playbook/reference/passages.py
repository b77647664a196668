"""Long documents as passages: split at headings, bounded in length, so retrieval ranks the part
of a page that answers and the extractive answer quotes from it; citations still name the page.

Bodies are Markdown-like text (HTML and DOCX readers write headings as `#` lines and code inside
``` fences), so a heading is a `#` line outside a fence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_PASSAGE_CHARS = 1_500  # about 250 words: a section of a reference page
MIN_PASSAGE_CHARS = 200  # a heading with a line under it joins the section that follows
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_FENCE_STARTS = "`~ \t"


@dataclass(frozen=True)
class Section:
    """One passage of a document: the heading it sits under and its text (heading included)."""

    heading: str
    text: str


def passages_of(title: str, body: str) -> list[Section]:
    """The passages of one document, in order; a short document is one passage."""
    if len(body) <= MAX_PASSAGE_CHARS:
        return [Section(title, body)]
    sections: list[Section] = []
    heading, lines, fenced = title, [], False
    for line in body.splitlines():
        first = line[:1]  # most lines start with neither: skip the patterns for them
        if first and first in _FENCE_STARTS and _FENCE.match(line):
            fenced = not fenced
        elif not fenced and first == "#" and (match := _HEADING.match(line)):
            if lines:
                sections.append(Section(heading, "\n".join(lines)))
            heading, lines = match.group(1), []
        lines.append(line)
    if lines:
        sections.append(Section(heading, "\n".join(lines)))
    return [piece for section in _merged(sections) for piece in _bounded(section)]


def _merged(sections: list[Section]) -> list[Section]:
    """Sections too short to stand alone joined to the one after them (keeping its heading)."""
    merged: list[Section] = []
    carried = ""
    for section in sections:
        text = f"{carried}\n{section.text}" if carried else section.text
        if len(text) < MIN_PASSAGE_CHARS and section is not sections[-1]:
            carried = text
            continue
        merged.append(Section(section.heading, text))
        carried = ""
    return merged


def _bounded(section: Section) -> list[Section]:
    """A section cut at line ends into pieces of at most MAX_PASSAGE_CHARS (a longer line at
    spaces), each under the section's heading."""
    if len(section.text) <= MAX_PASSAGE_CHARS:
        return [section]
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for line in section.text.splitlines():
        for part in _cut(line):
            if current and size + len(part) + 1 > MAX_PASSAGE_CHARS:
                pieces.append("\n".join(current))
                current, size = [], 0
            current.append(part)
            size += len(part) + 1
    if current:
        pieces.append("\n".join(current))
    return [Section(section.heading, piece) for piece in pieces]


def _cut(line: str) -> list[str]:
    if len(line) <= MAX_PASSAGE_CHARS:
        return [line]
    parts, rest = [], line
    while len(rest) > MAX_PASSAGE_CHARS:
        at = rest.rfind(" ", 0, MAX_PASSAGE_CHARS)
        at = at if at > MAX_PASSAGE_CHARS // 2 else MAX_PASSAGE_CHARS
        parts.append(rest[:at])
        rest = rest[at:].lstrip()
    return [*parts, rest] if rest else parts
