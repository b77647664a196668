"""Pages that repeat other pages: a generator's all-in-one page (Node.js' `all.html`, a
single-page export, a printable version) holds the text of many documents of its source.

Indexed, it competes with every page it copies: the answer cites it, not the page a user and a
golden set name. Notebook 00 names such pages, and the setting that leaves them out, before any
area is measured on them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from playbook.sources.records import NAVIGATION_LINK_SHARE, SourceRecord, scalar_text

MIN_LINE_CHARS = 40  # shorter lines (headings, "Stability: 2 - Stable") repeat by nature
MIN_LINES = 20  # a page with fewer long lines is too small to be a compilation
MIN_REPEATED_SHARE = 0.5  # of a page's long lines found in other documents
MIN_SOURCES_COPIED = 3  # distinct documents it repeats: one page quoting another is not it
MAX_SINGLE_SOURCE_SHARE = 0.5  # a page one other document holds most of is a copy, not a sum


@dataclass(frozen=True)
class Compilation:
    """A document whose text is mostly other documents' text."""

    path: str  # the record's file
    repeated_share: float  # of its long lines that other documents hold
    documents_copied: int  # distinct documents holding those lines


def compilation_pages(records: Sequence[SourceRecord]) -> list[Compilation]:
    """The records of one source that mostly repeat at least MIN_SOURCES_COPIED others, no one
    of which holds most of it, largest share first: the all-in-one page, not each page it
    copies (every line of those is in the all-in-one page too). Lines are compared exactly
    after spacing is normalised, by hash: one pass over the text and the lines' holders."""
    lines_of: list[set[int]] = []
    holders: dict[int, set[int]] = defaultdict(set)
    for index, record in enumerate(records):
        body = scalar_text(record.fields.get("body")) or ""
        lines = {
            hash(normalised)
            for line in body.splitlines()
            if len(normalised := " ".join(line.split())) >= MIN_LINE_CHARS
        }
        lines_of.append(lines)
        for line in lines:
            holders[line].add(index)
    found = []
    for index, lines in enumerate(lines_of):
        # a contents page is mostly links: the production contract already leaves it out
        if len(lines) < MIN_LINES or records[index].link_share >= NAVIGATION_LINK_SHARE:
            continue
        shared_with: Counter[int] = Counter()
        repeated = 0
        for line in lines:
            if len(holders[line]) > 1:
                repeated += 1
                shared_with.update(holders[line])
        del shared_with[index]
        share = repeated / len(lines)
        largest = max(shared_with.values(), default=0) / len(lines)
        if (
            share >= MIN_REPEATED_SHARE
            and len(shared_with) >= MIN_SOURCES_COPIED
            and largest <= MAX_SINGLE_SOURCE_SHARE
        ):
            found.append(Compilation(records[index].path, share, len(shared_with)))
    return sorted(found, key=lambda page: (-page.repeated_share, page.path))
