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
MIN_REPEATED_SHARE = 0.5  # of a page's long lines that come from the documents it copied
MIN_SOURCES_COPIED = 3  # distinct documents it repeats: one page quoting another is not it
MAX_SINGLE_SOURCE_SHARE = 0.5  # a page one other document holds most of is a copy, not a sum
MIN_COPIED_SHARE = 0.8  # of another document's long lines that a page holds to have copied it


@dataclass(frozen=True)
class Compilation:
    """A document whose text is mostly other documents' text."""

    path: str  # the record's file
    repeated_share: float  # of its long lines that the documents it copied hold
    documents_copied: int  # documents it holds nearly all of


def compilation_pages(records: Sequence[SourceRecord]) -> list[Compilation]:
    """The records of one source that hold nearly all of at least MIN_SOURCES_COPIED other
    documents, which make most of their text, largest share first: the all-in-one page, not
    each page it copies, nor a reference page whose sections other pages repeat in part (npm's
    configuration page). Lines are compared exactly after spacing is normalised, by hash: one
    pass over the text and the lines' holders."""
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
        for line in lines:
            if len(holders[line]) > 1:
                shared_with.update(holders[line])
        del shared_with[index]
        # the pages it holds nearly all of: a page that shares some paragraphs with it (a
        # command page repeating the options the configuration page defines) is not copied
        copied = {
            other
            for other, count in shared_with.items()
            if count >= MIN_COPIED_SHARE * len(lines_of[other])
        }
        from_copies = sum(1 for line in lines if not copied.isdisjoint(holders[line]))
        share = from_copies / len(lines)
        largest = max(shared_with.values(), default=0) / len(lines)
        if (
            share >= MIN_REPEATED_SHARE
            and len(copied) >= MIN_SOURCES_COPIED
            and largest <= MAX_SINGLE_SOURCE_SHARE
        ):
            found.append(Compilation(records[index].path, share, len(copied)))
    return sorted(found, key=lambda page: (-page.repeated_share, page.path))
