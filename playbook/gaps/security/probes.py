"""Access probes generated from the documents: questions that should retrieve each restricted
document, and the canary facts whose presence in an answer's text shows that it leaked.

Citations alone cannot prove access control: a system may quote a document it does not cite.
So each restricted document gets a few of its most distinctive phrases (facts found in no
document everyone may read, and in at most one other document), and a question built from its
own words around the first fact, without the fact itself: an answer that carries a fact to a user
outside the document's groups leaked it, whatever it cites.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from playbook.errors import PlaybookError
from playbook.safe_files import model_lines
from playbook.sources.parsed_files import read_sources_through
from playbook.sources.records import ReadError, SourceRecord, scalar_text
from playbook.users import EVERYONE

if TYPE_CHECKING:
    from playbook.engagement import Engagement

MAX_DOCUMENT_FREQUENCY = 2  # a fact may be shared with one other (restricted) document at most
MAX_PHRASE_WORDS = 4
MAX_QUESTION_CHARS = 199  # under 200
WORDS_BEFORE = 12  # context words of the question taken before the fact, and after it
WORDS_AFTER = 8
RARE_WORD_LENGTH = 6
PROSE_WORDS = 5  # content words that make a sentence prose a question can be built from
# Kinds of fact, the most distinctive first: an amount (269,100, 48.2 million), a name (Project
# Halcyon), an identifier (EX-HR-2026-019), a small number with what it counts (64 roles), a rare
# word (reindexes).
AMOUNT, NAME, CODE, COUNT, RARE = range(5)

# A number keeps its separators (269,100 48.2 02:30); a word keeps inner hyphens, underscores,
# slashes and apostrophes (EX-HR-2026-019, nw-prod-assist-1, manager's).
_TOKEN = re.compile(r"\d+(?:[.,:]\d+)+|[^\W_]+(?:[-_/'\u2019][^\W_]+)*")
_THOUSANDS = re.compile(r"(?<=\d)[, '](?=\d{3}(?!\d))")  # after NFKC: no-break spaces are spaces
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SMALL_NUMBER = re.compile(r"\d{1,2}|\d{1,2}:\d\d")
_YEAR = re.compile(r"(?:19|20)\d\d")
_LOOSE_PUNCTUATION = re.compile(r"\s+([:;,.?!])")
_CAMEL = re.compile(r"[a-z][A-Z]")
_MAGNITUDES = frozenset({"thousand", "million", "billion", "trillion", "mn", "bn"})
_STOPWORD_TEXT = """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each either every few
    for from further had has have having he her here hers him his how i if in into is it its just
    may me might more most must my no nor not now of off on once only or other our ours out over
    own per please same shall she should so some such than that the their theirs them then there
    these they this those through to too under until up upon us very via was we were what when
    where which while who whom whose why will with within without would yes yet you your yours"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@dataclass(frozen=True)
class Document:
    """One document of the engagement's data sources, with who may read it."""

    id: str
    title: str
    body: str
    groups: frozenset[str]

    @property
    def restricted(self) -> bool:
        """True when only some groups may read it (no groups at all is unknown, not restricted)."""
        return bool(self.groups) and EVERYONE not in self.groups


@dataclass(frozen=True)
class AccessProbe:
    """A question that should retrieve a restricted document, and the facts that betray it."""

    doc_id: str
    groups: frozenset[str]  # who may read the document
    question: str
    facts: tuple[str, ...]  # distinctive phrases of the document; any in an answer = a leak
    # (generated: the first is the one the question asks for)
    origin: str = "generated"  # "generated", or the probe file's path


@dataclass(frozen=True)
class _Candidate:
    """A phrase of a document body that could serve as a fact."""

    text: str  # as the document writes it
    key: str  # normalised words joined by spaces: what matching compares
    kind: int  # AMOUNT, NAME, CODE, COUNT or RARE: the lower, the more distinctive
    start: int  # character span in the body
    end: int
    prose: bool  # in a sentence of prose (a question can be built around it), not a table cell


def engagement_documents(
    engagement: Engagement, parse_cache: Path | None = None
) -> tuple[list[Document], list[str]]:
    """Every document of the engagement's data sources, and the problems met (files that could
    not be read, ids that repeat). Records without an id or a body are left out. `parse_cache`:
    the run's (`NotebookContext.parse_cache`)."""
    return documents_of(*read_sources_through(engagement.resolved_sources(), parse_cache))


def documents_of(
    records: Sequence[SourceRecord], errors: Sequence[ReadError]
) -> tuple[list[Document], list[str]]:
    """`engagement_documents` of records already read."""
    problems = [f"{error.path}: {error.reason}" for error in errors]
    documents: list[Document] = []
    seen: set[str] = set()
    for record in records:
        fields = record.fields
        doc_id = scalar_text(fields.get("id")) or record.fallback_id
        body = scalar_text(fields.get("body")) or record.page_text
        if not doc_id or not body:
            continue
        if doc_id in seen:
            problems.append(f"{record.location}: id {doc_id!r} repeats an earlier document's")
            continue
        seen.add(doc_id)
        groups = fields.get("groups")
        readers = (
            frozenset(groups)
            if isinstance(groups, list) and all(isinstance(group, str) for group in groups)
            else frozenset()
        )
        title = scalar_text(fields.get("title")) or ""
        documents.append(Document(id=doc_id, title=title, body=body, groups=readers))
    return documents, problems


def build_probes(
    documents: Sequence[Document], max_facts: int = 3, max_probes: int | None = None
) -> list[AccessProbe]:
    """Probes for every restricted document, sorted by doc id (the same documents give the same
    probes). A restricted document with no distinctive phrase, one that every reader's
    documents or more than one other document also hold, gets no probe: nothing in an answer
    could tell its leak from an allowed one."""
    if max_facts < 1:
        raise ValueError(f"max_facts must be at least 1, not {max_facts}")
    restricted = sorted((doc for doc in documents if doc.restricted), key=lambda doc: doc.id)
    candidates = {doc.id: _candidates(doc) for doc in restricted}
    wanted = {candidate.key for found in candidates.values() for candidate in found}
    corpus = _occurrences(documents, wanted)
    probes: list[AccessProbe] = []
    for doc in restricted:
        if max_probes is not None and len(probes) >= max_probes:
            break
        titled = f" {_phrase_key(doc.title)} "
        distinctive = [
            candidate
            for candidate in candidates[doc.id]
            if corpus.distinctive(candidate)
            and (candidate.kind <= CODE or f" {candidate.key} " not in titled)
        ]  # a weak fact the title holds would be cut out of the question's best words
        distinctive.sort(key=lambda c: (c.kind, corpus.frequency[c.key], c.start, len(c.key)))
        probe = _probe(doc, distinctive, max_facts)
        if probe is not None:
            probes.append(probe)
    return probes


class _ProbeLine(BaseModel):
    """One line of a probe file (data_samples/security/restricted_facts.jsonl)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    doc_id: str = Field(min_length=1, description="the restricted document's id")
    groups: list[str] | None = Field(
        default=None, description="who may read it (default: the document's groups)"
    )
    fact: str = Field(min_length=1, description="a phrase only the document holds")
    question: str = Field(min_length=1, description="a question that should retrieve it")


def load_probe_file(
    path: Path, documents_by_id: Mapping[str, Document] | None = None
) -> list[AccessProbe]:
    """Probes from a JSON Lines file of {doc_id, groups, fact, question}; a bad line is a
    PlaybookError naming the file, the line and the field. With `documents_by_id`, a doc_id must
    name one of them, and a line without groups takes the document's."""
    path = Path(path)
    probes: list[AccessProbe] = []
    for number, entry in model_lines(path, _ProbeLine, "probe file", "security.probes"):
        where = f"{path}:{number}"
        document = documents_by_id.get(entry.doc_id) if documents_by_id is not None else None
        if documents_by_id is not None and document is None:
            raise PlaybookError(
                f"{where}: field 'doc_id': {entry.doc_id!r} is not a document of the data sources"
            )
        if entry.groups is not None:
            groups = frozenset(entry.groups)
        elif document is not None:
            groups = document.groups
        else:
            raise PlaybookError(f"{where}: field 'groups': missing (the groups that may read it)")
        probes.append(
            AccessProbe(entry.doc_id, groups, entry.question, (entry.fact,), origin=str(path))
        )
    return probes


def leaked_facts(text: str, probe: AccessProbe) -> tuple[str, ...]:
    """The probe's facts found in `text`, compared word by word after normalising unicode (NFKC),
    case, dashes, whitespace and thousands separators ("269,100" = "269100" = "269 100")."""
    said = f" {_phrase_key(text)} "
    return tuple(
        fact for fact in probe.facts if _phrase_key(fact) and f" {_phrase_key(fact)} " in said
    )


def _normal_words(text: str) -> list[str]:
    """The words of `text` as matching compares them."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _THOUSANDS.sub("", _DASHES.sub("-", text))
    return [match.group().replace("\u2019", "'") for match in _TOKEN.finditer(text)]


def _phrase_key(text: str) -> str:
    return " ".join(_normal_words(text))


@dataclass(frozen=True)
class _Occurrences:
    """Where the candidate phrases occur in the whole corpus."""

    frequency: Counter[str]  # phrase -> how many documents hold it
    public: frozenset[str]  # phrases a document every reader may see holds
    public_families: frozenset[str]  # the families of the long words of those documents

    def distinctive(self, candidate: _Candidate) -> bool:
        """True when no public document holds the phrase (nor, for a rare word, a word of its
        family: `engineer` is no secret beside `engineering`) and at most one other does."""
        if candidate.key in self.public or self.frequency[candidate.key] > MAX_DOCUMENT_FREQUENCY:
            return False
        return candidate.kind != RARE or _family(candidate.key) not in self.public_families


def _occurrences(documents: Sequence[Document], wanted: set[str]) -> _Occurrences:
    """How many documents hold each wanted phrase, and what the documents every reader (or a
    reader of unknown groups) may see hold."""
    frequency: Counter[str] = Counter()
    public: set[str] = set()
    families: set[str] = set()
    openers = {phrase.split(" ", 1)[0] for phrase in wanted}
    for doc in documents:
        words = _normal_words(f"{doc.title}\n{doc.body}")
        found = {
            phrase
            for start, word in enumerate(words)
            if word in openers
            for size in range(1, MAX_PHRASE_WORDS + 1)
            if (phrase := " ".join(words[start : start + size])) in wanted
        }
        frequency.update(found)
        if not doc.restricted:
            public |= found
            families.update(_family(word) for word in words if len(word) >= RARE_WORD_LENGTH)
    return _Occurrences(frequency, frozenset(public), frozenset(families))


def _candidates(doc: Document) -> list[_Candidate]:
    """Phrases of the body that could be facts, one per distinct phrase at its best place: the
    first in a sentence of prose, else the first."""
    found: dict[str, _Candidate] = {}
    title = _phrase_key(doc.title)
    for start, end in _sentences(doc.body):
        sentence = doc.body[start:end]
        tokens = list(_TOKEN.finditer(doc.body, start, end))
        words = [token.group() for token in tokens]
        joined = [False] + [
            doc.body[before.end() : after.start()].isspace()
            and "\n" not in doc.body[before.end() : after.start()]
            for before, after in itertools.pairwise(tokens)
        ]  # joined[i]: only spaces between token i-1 and token i
        content = sum(word.isalpha() and word.lower() not in _STOPWORDS for word in words)
        heading = sentence.lstrip().startswith("#") or _phrase_key(sentence) == title
        prose = content >= PROSE_WORDS and not heading
        for first, last, kind in _phrases(words, joined):
            if kind == RARE and not prose:
                continue  # a heading's or a table's word names a section, not a secret
            begin, finish = tokens[first].start(), tokens[last].end()
            key = _phrase_key(doc.body[begin:finish])
            held = found.get(key)
            if key and (held is None or (prose and not held.prose)):
                kind = min(kind, held.kind) if held is not None else kind
                found[key] = _Candidate(doc.body[begin:finish], key, kind, begin, finish, prose)
    return list(found.values())


def _phrases(words: Sequence[str], joined: Sequence[bool]) -> list[tuple[int, int, int]]:
    """First token, last token and kind of each phrase of a sentence that could be a fact:
    amounts, small numbers with the words they count, identifiers, rare words, names."""

    def counted(index: int) -> bool:  # a content word follows, within the phrase
        return (
            index + 1 < len(words)
            and joined[index + 1]
            and words[index + 1].isalpha()
            and words[index + 1].lower() not in _STOPWORDS
        )

    phrases = []
    for index, word in enumerate(words):
        if _is_amount(word):
            if counted(index) and words[index + 1].lower() in _MAGNITUDES:
                phrases.append((index, index + 1, AMOUNT))  # 48.2 million, never 48.2 alone
                continue
            phrases.append((index, index, AMOUNT))
            if counted(index):
                phrases.append((index, index + 1, AMOUNT))  # 150 percent, when 150 is common
        elif _is_small_number(word) and counted(index):
            phrases.append((index, index + 1, COUNT))
            if counted(index + 1):
                phrases.append((index, index + 2, COUNT))
        elif _is_code(word):
            phrases.append((index, index, CODE))
        elif _is_rare(word):
            phrases.append((index, index, RARE))
    phrases.extend((first, last, NAME) for first, last in _name_runs(words, joined))
    return phrases


def _sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences and lines of `text`."""
    spans, start = [], 0
    for end in _SENTENCE_END.finditer(text):
        spans.append((start, end.start()))
        start = end.end()
    spans.append((start, len(text)))
    return [(start, end) for start, end in spans if text[start:end].strip()]


def _name_runs(words: Sequence[str], joined: Sequence[bool]) -> list[tuple[int, int]]:
    """First and last token of each run of 2 to 4 capitalised words: `Project Halcyon`."""
    runs: list[tuple[int, int]] = []
    run_start = None
    for index, word in enumerate([*words, ""]):
        capital = (
            word[:1].isupper()
            and not any(char.isdigit() for char in word)
            and word.lower() not in _STOPWORDS
        )
        if capital and run_start is not None and joined[index]:
            continue
        if run_start is not None and index - run_start >= 2:
            runs.append((run_start, min(index, run_start + MAX_PHRASE_WORDS) - 1))
        run_start = index if capital else None
    return runs


def _is_amount(word: str) -> bool:
    """A number of three digits or more, or a decimal; not a year (one of many documents')."""
    if not _NUMBER.fullmatch(word) or _YEAR.fullmatch(word):
        return False
    return sum(char.isdigit() for char in word) >= 3 or "." in word


def _is_rare(word: str) -> bool:
    """A long word that is no stop word: rare when the other documents lack it (checked later)."""
    return len(word) >= RARE_WORD_LENGTH and word.isalpha() and word.lower() not in _STOPWORDS


def _family(word: str) -> str:
    """What `investigation`, `investigations` and `Investigators` share: their first letters."""
    return word.casefold()[:RARE_WORD_LENGTH]


def _is_small_number(word: str) -> bool:
    """A number of one or two digits, or a time: distinctive only with what it counts."""
    return _SMALL_NUMBER.fullmatch(word) is not None


def _is_code(word: str) -> bool:
    """An identifier: letters with digits (L7, CP-407), inner capitals (ClaimPilot), underscores."""
    has_digit = any(char.isdigit() for char in word)
    has_letter = any(char.isalpha() for char in word)
    camel = _CAMEL.search(word) is not None
    return (has_digit and has_letter) or camel or ("_" in word and has_letter)


def _probe(doc: Document, ranked: Sequence[_Candidate], max_facts: int) -> AccessProbe | None:
    """The probe of `doc`: a question around its best fact in prose, and the best facts the
    question does not carry (an answer that repeats the question must not count as a leak).
    The title loses the facts it names; a fact in the question's sentence is left out."""
    for first in sorted(ranked, key=lambda candidate: not candidate.prose):  # stable: by rank
        before, after = _context(doc.body, first)
        sentence = _phrase_key(" ".join([*before, *after]))
        masked = _choose([first, *ranked], sentence, max_facts)
        question = _question(_without(doc.title, [fact.key for fact in masked]), before, after)
        facts = _choose([first, *ranked], _phrase_key(question), max_facts)
        if facts and facts[0] is first:
            texts = tuple(fact.text for fact in facts)
            return AccessProbe(doc.id, doc.groups, question, texts, origin="generated")
    return None


def _choose(ranked: Sequence[_Candidate], asked: str, max_facts: int) -> list[_Candidate]:
    """The first `max_facts` candidates that the words `asked` do not carry (nor, for a rare
    word, a word of its family) and that do not repeat one chosen before."""
    asked = f" {asked} "
    families = {_family(word) for word in asked.split() if _is_rare(word)}
    chosen: list[_Candidate] = []
    for candidate in ranked:
        if len(chosen) >= max_facts:
            break
        carried = f" {candidate.key} " in asked or (
            candidate.kind == RARE and _family(candidate.key) in families
        )
        if not carried and not any(_overlap(candidate, fact) for fact in chosen):
            chosen.append(candidate)
    return chosen


def _overlap(one: _Candidate, other: _Candidate) -> bool:
    """True when one phrase holds the other (a fact counted twice)."""
    return f" {one.key} " in f" {other.key} " or f" {other.key} " in f" {one.key} "


def _context(body: str, fact: _Candidate) -> tuple[list[str], list[str]]:
    """The words of the fact's sentence before and after it; with the line before it when the
    sentence has no words of its own (a table cell)."""
    spans = _sentences(body)
    index = next(i for i, (start, end) in enumerate(spans) if start <= fact.start < end)
    start, end = spans[index]
    before = [m.group() for m in _TOKEN.finditer(body, start, fact.start)][-WORDS_BEFORE:]
    after = [m.group() for m in _TOKEN.finditer(body, fact.end, end)]
    if len(after) > WORDS_AFTER + 3:  # a short tail is kept: the question ends on the sentence's
        after = after[:WORDS_AFTER]
    if len(before) + len(after) < 2 and index > 0:
        earlier = spans[index - 1][0]
        before = [m.group() for m in _TOKEN.finditer(body, earlier, fact.start)][-WORDS_BEFORE:]
    return before, after


def _without(title: str, keys: Sequence[str]) -> str:
    """The title with every phrase of `keys` cut out."""
    tokens = list(_TOKEN.finditer(title))
    words = [_phrase_key(token.group()) for token in tokens]
    cut = [False] * len(tokens)
    for key in keys:
        wanted = key.split()
        for start in range(len(words) - len(wanted) + 1):
            if words[start : start + len(wanted)] == wanted:
                cut[start : start + len(wanted)] = [True] * len(wanted)
    if not any(cut):
        return " ".join(title.split())
    kept, position = [], 0
    for token, dropped in zip(tokens, cut, strict=True):
        if dropped:
            kept.append(title[position : token.start()])
            position = token.end()
    kept.append(title[position:])
    return _LOOSE_PUNCTUATION.sub(r"\1", " ".join("".join(kept).split())).strip(" :;,-")


def _question(title: str, before: list[str], after: list[str]) -> str:
    """The title, then the fact's sentence with the fact replaced by 'what': the document's own
    words, so keyword retrieval finds it, and only an answer can supply the fact."""
    while True:
        cloze = " ".join([*before, "what", *after])
        question = f"{title}: {cloze}?" if title else f"{cloze}?"
        question = question[0].upper() + question[1:]
        if len(question) <= MAX_QUESTION_CHARS:
            return question
        if before and len(before) >= len(after):
            before = before[1:]
        elif after:
            after = after[:-1]
        else:  # a title too long on its own: its first words
            title = title[: MAX_QUESTION_CHARS - len(cloze) - 3].rsplit(" ", 1)[0]
