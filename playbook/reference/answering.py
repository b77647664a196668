"""Turning retrieved passages into an answer: the relevance gate, the extractive answerer,
citations, output validation and the fixed texts of refusals and fallbacks."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from playbook.reference.store import Passage, Retrieval
from playbook.reference.terms import term_set, terms

REFUSAL_TEXT = (
    "I could not find anything in the documents available to you that answers this question. "
    "Try rephrasing it, or ask the team that owns the topic."
)
NOT_AUTHORISED_TEXT = "Not authorised: sign in as a known user to ask questions."
DEGRADED_LABEL = "[Degraded answer: the assistant is degraded]"
SEARCH_DOWN_TEXT = (
    f"{DEGRADED_LABEL} The assistant cannot search the documents right now. Please try again in "
    "a few minutes."
)
MIN_COVERAGE = 0.5  # share of the question's (idf-weighted) content covered by one passage
MIN_GROUNDING = 0.5  # share of a generated answer's content words found in the passages
ANSWER_PASSAGES = 3  # the extractive answer quotes from the top passages only
ANSWER_WINDOWS = 2  # quoted places: a sentence and the line before it, each
RANK_PENALTY = 0.15  # per passage rank, in shares of the question covered
SENTENCE_CHARS = 400
QUOTE_CHARS = 300
CITATION = re.compile(r"\[([A-Za-z0-9][A-Za-z0-9._:/-]*)\]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
# Markdown markup, taken out so answers quote the words: a line's heading, quote or list
# markers (each followed by a space), a link's target (its words stay), code ticks, table bars
# and paired asterisks around words.
# What a page writes stays as written: underscores belong to identifiers (`__eq__`,
# `dirs_exist_ok`), a lone asterisk to an argument list (`suppress(*exceptions)`), and a number
# or option that opens a sentence (`-1 is returned`, `0.1 cannot be`) is part of it.
_LINE_MARKERS = re.compile(r"^\s*(?:(?:#{1,6}|>+|[-*+]|\d{1,3}[.)])\s+)+")
_EMPHASIS = re.compile(r"(?<![\w*(])(\*{1,3})(?=[^\s*])(.+?)(?<=[^\s*])\1(?![\w*])")
_CODE_AND_TABLE_MARKS = re.compile(r"`+|\|+")
_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^()\s]*(?:\s+\"[^\"\n]*\")?\)")  # [words](target)


@dataclass(frozen=True)
class Relevance:
    """How well the best passage covers the question; below the threshold the system refuses."""

    coverage: float
    best: Passage | None

    @property
    def answerable(self) -> bool:
        """True when some passage covers enough of what the question asks about."""
        return self.best is not None and self.coverage >= MIN_COVERAGE


def relevance(question: str, retrieval: Retrieval) -> Relevance:
    """Share of the question's content terms, weighted by rarity, that the best passage holds.

    Decided relative to the question rather than on a retrieval score: bm25 values move with
    the corpus and the query length, and a top-ranked passage may still miss the one rare word
    that the question is about.
    """
    query = term_set(question)
    if not query or not retrieval.passages:
        return Relevance(0.0, None)
    weights = {term: max(retrieval.idf(term), 0.1) for term in query}
    total = sum(weights.values())
    best, best_coverage = None, -1.0
    for passage in retrieval.passages:
        present = query & term_set(f"{passage.title}\n{passage.body}")
        coverage = sum(weights[term] for term in present) / total
        if coverage > best_coverage:
            best, best_coverage = passage, coverage
    return Relevance(best_coverage, best)


def sentences(text: str) -> list[str]:
    """Sentences of a document body with markdown markup stripped."""
    result = []
    for piece in _SENTENCE_END.split(text):
        sentence = _LINK.sub(r"\1", _LINE_MARKERS.sub("", piece))
        sentence = _EMPHASIS.sub(r"\2", _CODE_AND_TABLE_MARKS.sub("", sentence)).strip()
        if len(sentence) >= 12:
            result.append(sentence[:SENTENCE_CHARS])
    return result


def extract_answer(
    question: str, passages: Sequence[Passage], weights: Mapping[str, float] | None = None
) -> str:
    """The best sentences of the top passages, each with the line before it (the signature or
    sentence it explains) and followed by `[doc-id]`.

    A sentence scores the share of the question it covers, each word weighted by its rarity
    (`weights`, idf by default 1), less a little per passage rank; the passage's topic (its
    title) breaks ties.
    """
    query = term_set(question)
    weight = {term: (weights or {}).get(term, 1.0) for term in query}
    total = sum(weight.values()) or 1.0
    scored = []
    for rank, passage in enumerate(passages[:ANSWER_PASSAGES]):
        title_terms = term_set(passage.title)
        lines = sentences(passage.body)
        for position, sentence in enumerate(lines):
            present = query & term_set(sentence)
            if not present or sentence == passage.title:
                continue
            score = (
                sum(weight[term] for term in present) / total
                - RANK_PENALTY * rank
                + 0.01 * len(query & title_terms)
                - 0.001 * position
            )
            scored.append((score, rank, position, lines, passage.doc_id))
    if not scored and passages:
        first = sentences(passages[0].body) or [passages[0].title]
        return f"{first[0]} [{passages[0].doc_id}]"
    quoted: list[tuple[int, int, str, str]] = []
    taken: set[tuple[int, int]] = set()
    for _, rank, position, lines, doc_id in sorted(scored, key=lambda item: -item[0]):
        if len(quoted) == ANSWER_WINDOWS:
            break
        window = [n for n in (position - 1, position) if n >= 0 and (rank, n) not in taken]
        if not window:
            continue
        taken.update((rank, n) for n in window)
        quoted.append((rank, window[0], " ".join(lines[n] for n in window), doc_id))
    quoted.sort()  # read in retrieval and document order
    return " ".join(f"{text} [{doc_id}]" for _, _, text, doc_id in quoted)


def cited_sources(text: object, passages: Sequence[Passage]) -> tuple[str, ...]:
    """Ids cited in `text` that are among the retrieved passages, in order of first citation."""
    if not isinstance(text, str):
        return ()
    retrieved = {passage.doc_id for passage in passages}
    return tuple(dict.fromkeys(doc for doc in CITATION.findall(text) if doc in retrieved))


def output_problem(text: object, passages: Sequence[Passage]) -> str | None:
    """Why a generated answer must not be shown (None when it may): not text, no citation of a
    retrieved passage, or too little of its content found in the passages."""
    if not isinstance(text, str) or not text.strip():
        return "generation returned no text"
    if any(ord(char) < 32 and char not in "\n\t\r" for char in text) or "\ufffd" in text:
        return "generation returned malformed text"
    if not cited_sources(text, passages):
        return "the answer cites no retrieved document"
    answer_terms = terms(CITATION.sub(" ", text))
    if not answer_terms:
        return "the answer has no content"
    source_terms = set()
    for passage in passages:
        source_terms |= term_set(f"{passage.title}\n{passage.body}")
    grounded = sum(term in source_terms for term in answer_terms) / len(answer_terms)
    if grounded < MIN_GROUNDING:
        return f"only {grounded:.0%} of the answer's words appear in the retrieved documents"
    return None


def fallback_answer(question: str, passages: Sequence[Passage]) -> tuple[str, tuple[str, ...]]:
    """A labelled, still useful answer without the generation stage: the best passage quoted."""
    if not passages:
        return SEARCH_DOWN_TEXT, ()
    query = term_set(question)
    top = passages[0]
    candidates = sentences(top.body) or [top.title]
    best = max(candidates, key=lambda sentence: len(query & term_set(sentence)))
    quote = best if len(best) <= QUOTE_CHARS else best[:QUOTE_CHARS].rsplit(" ", 1)[0] + " …"
    text = (
        f"{DEGRADED_LABEL} It could not compose an answer just now; this is the most relevant "
        f'passage it found, from "{top.title}": "{quote}" [{top.doc_id}]'
    )
    return text, (top.doc_id,)
