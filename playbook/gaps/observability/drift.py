"""Drift: are users asking about what the golden set measures?

Each logged question is placed on the golden set's topics (its tags): directly when the log names
the golden question it matches (`question_id`), else by the golden question sharing most of its
words (`question`). The share of asks per topic is compared with the golden set's own share; the
Jensen-Shannon distance between the two says how far the evaluation has drifted from use.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from playbook.errors import PlaybookError
from playbook.golden import GoldenItem
from playbook.safe_files import read_text

MAX_LOG_BYTES = 64 * 1024 * 1024
_WORD = re.compile(r"[a-z0-9]{3,}")
MIN_WORD_OVERLAP = 0.5  # a free-text question placed on a golden question sharing half its words


@dataclass(frozen=True)
class Drift:
    asked: Counter[str]  # topic -> logged questions
    golden: Counter[str]  # topic -> golden questions
    unplaced: int  # logged questions no golden question matches
    logged: int

    @property
    def distance(self) -> float | None:
        """Jensen-Shannon distance (base 2, 0 same mix .. 1 disjoint) between the two mixes;
        four lines here rather than scipy's `jensenshannon`: scipy is no playbook dependency."""
        if not self.asked or not self.golden:
            return None
        topics = set(self.asked) | set(self.golden)
        p = _shares(self.asked, topics)
        q = _shares(self.golden, topics)
        middle = {t: (p[t] + q[t]) / 2 for t in topics}
        divergence = (_kl(p, middle) + _kl(q, middle)) / 2
        return math.sqrt(max(0.0, divergence))

    def table(self) -> pd.DataFrame:
        topics = sorted(set(self.asked) | set(self.golden))
        asked = _shares(self.asked, topics) if self.asked else dict.fromkeys(topics, 0.0)
        golden = _shares(self.golden, topics) if self.golden else dict.fromkeys(topics, 0.0)
        rows = [
            {
                "topic": topic,
                "asked share": round(asked[topic], 3),
                "golden share": round(golden[topic], 3),
                "gap": round(asked[topic] - golden[topic], 3),
            }
            for topic in topics
        ]
        frame = pd.DataFrame(rows, columns=["topic", "asked share", "golden share", "gap"])
        return frame.sort_values("gap", ascending=False, key=abs).reset_index(drop=True)


def _shares(counts: Counter[str], topics: set[str] | Sequence[str]) -> dict[str, float]:
    whole = sum(counts.values())
    return {topic: counts.get(topic, 0) / whole for topic in topics}


def _kl(p: dict[str, float], q: dict[str, float]) -> float:
    return sum(p[t] * math.log2(p[t] / q[t]) for t in p if p[t] > 0)


def topics_of(item: GoldenItem) -> list[str]:
    return [tag for tag in item.tags if tag != "unanswerable"] or ["untagged"]


def drift(log: Path, items: Sequence[GoldenItem]) -> Drift:
    """The query log at `log` placed on the topics of `items`."""
    try:
        rows = list(csv.DictReader(read_text(log, MAX_LOG_BYTES).splitlines()))
    except (OSError, ValueError) as exc:
        raise PlaybookError(f"{log}: cannot read the query log ({exc})") from None
    if rows and not ({"question_id", "question"} & set(rows[0])):
        raise PlaybookError(
            f"{log}: expected a column 'question_id' (golden ids) or 'question' (the text asked), "
            f"found {', '.join(rows[0])}"
        )
    by_id = {item.id: item for item in items}
    words = [(item, set(_WORD.findall(item.question.lower()))) for item in items]
    asked: Counter[str] = Counter()
    unplaced = 0
    for row in rows:
        item = by_id.get(row.get("question_id") or "")
        if item is None and row.get("question"):
            item = _nearest(row["question"], words)
        if item is None:
            unplaced += 1
            continue
        asked.update(topics_of(item))
    golden = Counter(topic for item in items for topic in topics_of(item))
    return Drift(asked, golden, unplaced, len(rows))


def _nearest(question: str, words: Sequence[tuple[GoldenItem, set[str]]]) -> GoldenItem | None:
    own = set(_WORD.findall(question.lower()))
    if not own:
        return None
    best, score = None, 0.0
    for item, theirs in words:
        overlap = len(own & theirs) / len(own)
        if overlap > score:
            best, score = item, overlap
    return best if score >= MIN_WORD_OVERLAP else None
