"""Words that carry meaning: the tokenizer, stop words and light stemmer shared by the scan,
the relevance gate, the extractive answerer and output validation."""

from __future__ import annotations

import functools
import re

WORD = re.compile(r"[a-z0-9]+")
_STOPWORD_TEXT = """
    a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours ourselves out over
    own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself yourselves please tell know need want get got
    may might must shall also us let s t"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_SUFFIXES = (
    "ations",
    "ation",
    "ments",
    "ment",
    "ings",
    "ing",
    "ies",
    "ied",
    "ers",
    "er",
    "es",
    "ed",
    "ly",
    "s",
)


@functools.lru_cache(maxsize=1 << 17)
def stem(word: str) -> str:
    """A light suffix-stripping stem: `policies` meets `policy`, `filed` meets `file`.

    Cached: a corpus repeats its words, and tokenising was mostly this function (the prototype's
    scan of the Python docs called it 23 million times for 23 questions)."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
            break
    # a trailing e comes and goes with suffixes (file, filed; expense, expenses)
    return word[:-1] if word.endswith("e") and len(word) >= 4 else word


def words(text: str) -> list[str]:
    """Lower-case content words of `text`, stop words removed, in order."""
    return [word for word in WORD.findall(text.lower()) if word not in STOPWORDS and len(word) > 1]


def terms(text: str) -> list[str]:
    """Stemmed content words of `text`, in order (repeats kept, for term frequency)."""
    return [stem(word) for word in words(text)]


def term_set(text: str) -> frozenset[str]:
    """The distinct stemmed content words of `text`."""
    return frozenset(terms(text))
