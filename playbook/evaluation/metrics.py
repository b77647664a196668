"""Golden-set metrics of one run: retrieval (from the cited ids), answer F1, refusals, citations.

Per question, from the answer a target gave:

- Retrieval, on answerable questions with at least one gold document: the ranking is the order of
  the answer's cited ids (a repeated id counts at its first place only). hit@k (a gold id among
  the first k), recall@k (share of the gold ids among the first k), reciprocal rank (1 / the place
  of the first gold id, no cut-off; 0 when none is cited; its mean is the MRR) and nDCG@k (binary
  relevance, gain 1 / log2(place + 1), ideal DCG from min(k, number of gold ids)). These are
  trec_eval's `success`, `recall`, `recip_rank` and `ndcg_cut` (the tests check them against
  ir-measures).
- Answer token F1 against `reference_answer`, on answerable questions that have one.
- Refusal correctness, on every question: an unanswerable question is handled correctly when it
  is refused or labelled as not answerable; an answerable one when it is not refused.
- Citation validity, on answers that cite something and are not refusals, when the served
  documents are known: every cited id is a served document and the cited text supports the answer.

A metric that does not apply to a question is NaN there and left out of its mean.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import string
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from playbook.gaps.failure.classify import classify, is_refusal
from playbook.golden import GoldenItem, sample_golden
from playbook.targets.base import Answer, Target

RETRIEVAL_METRICS: tuple[str, ...] = ("hit", "recall", "mrr", "ndcg")
CUTOFF_METRICS: frozenset[str] = frozenset({"hit", "recall", "ndcg"})  # depend on k
METRICS: tuple[str, ...] = (*RETRIEVAL_METRICS, "answer_f1", "refusal_correct", "citation_valid")
DEFAULT_K = 5
DEFAULT_SUPPORT = 0.5  # share of the answer's content words the cited text must hold
QUESTION_COLUMNS: tuple[str, ...] = (
    "question",
    "answerable",
    "status",
    "refused",
    "cited",
    "gold_docs",
    *METRICS,
    "citation_support",
    "citation_problem",
    "item_hash",
)


def metric_label(metric: str, k: int) -> str:
    """How a metric is shown: `hit@5`, `MRR`, `answer F1`, ..."""
    labels = {
        "hit": f"hit@{k}",
        "recall": f"recall@{k}",
        "mrr": "MRR",
        "ndcg": f"nDCG@{k}",
        "answer_f1": "answer F1",
        "refusal_correct": "refusal correctness",
        "citation_valid": "citation validity",
    }
    return labels.get(metric, metric)


# --- retrieval --------------------------------------------------------------------------------


def ranking(cited: Sequence[str]) -> list[str]:
    """The cited ids in order, each at its first place only (a repeat is not a second hit)."""
    return list(dict.fromkeys(cited))


def hit_at_k(cited: Sequence[str], gold: Sequence[str], k: int) -> float:
    """1.0 when a gold id is among the first `k` cited ids, else 0.0."""
    return float(bool(set(ranking(cited)[:k]) & set(gold)))


def recall_at_k(cited: Sequence[str], gold: Sequence[str], k: int) -> float:
    """The share of the gold ids among the first `k` cited ids."""
    wanted = set(gold)
    return len(set(ranking(cited)[:k]) & wanted) / len(wanted)


def reciprocal_rank(cited: Sequence[str], gold: Sequence[str]) -> float:
    """1 / the place of the first gold id among the cited ids (no cut-off); 0.0 when none is."""
    wanted = set(gold)
    for place, doc_id in enumerate(ranking(cited), start=1):
        if doc_id in wanted:
            return 1.0 / place
    return 0.0


def ndcg_at_k(cited: Sequence[str], gold: Sequence[str], k: int) -> float:
    """nDCG@k with binary relevance and a log2 discount; the ideal ranking puts every gold id
    first, so the ideal DCG counts min(k, number of gold ids) places."""
    wanted = set(gold)
    dcg = sum(
        1.0 / math.log2(place + 1)
        for place, doc_id in enumerate(ranking(cited)[:k], start=1)
        if doc_id in wanted
    )
    ideal = sum(1.0 / math.log2(place + 1) for place in range(1, min(k, len(wanted)) + 1))
    return dcg / ideal


# --- answers ----------------------------------------------------------------------------------

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    """SQuAD's normalisation: lower case, ASCII punctuation removed, the articles a/an/the
    removed, runs of whitespace made one space."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def token_f1(prediction: str, reference: str) -> float:
    """Token F1 of `prediction` against `reference` after `normalize_answer` (SQuAD's metric):
    the harmonic mean of the shared tokens' precision and recall, counting repeats; when either
    side has no tokens, 1.0 if both have none, else 0.0."""
    predicted = normalize_answer(prediction).split()
    wanted = normalize_answer(reference).split()
    if not predicted or not wanted:
        return float(predicted == wanted)
    shared = sum((Counter(predicted) & Counter(wanted)).values())
    if shared == 0:
        return 0.0
    precision, recall = shared / len(predicted), shared / len(wanted)
    return 2 * precision * recall / (precision + recall)


def refusal_correct(answer: Answer, item: GoldenItem) -> float:
    """1.0 when the answer refuses exactly when it should: an unanswerable question refused
    (`is_refusal`) or labelled as not answerable (what notebook 03 counts as correct), an
    answerable one not refused. An error on an answerable question is not a refusal."""
    if item.answerable:
        return float(not is_refusal(answer))
    labelled = classify(answer, item, 0.0, math.inf)[0] == "correct"
    return float(is_refusal(answer) or labelled)


# --- citations --------------------------------------------------------------------------------

# Content words for citation support. Evaluation code must not import `playbook.reference` (the
# system under test shares no code with what measures it), so this small tokenizer is its own:
# lower-case letter and digit runs, a short stop-word list, a trailing plural `s` folded.
_WORD = re.compile(r"[a-z0-9]+")
_STOPWORD_TEXT = """
    a about after all also an and any are as at be been but by can could did do does for from had
    has have how i if in into is it its may more must no not of on or our per so such than that
    the their them then there these they this those to up us was we were what when where which
    who will with within would you your"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def content_words(text: str) -> set[str]:
    """The distinct content words of `text` (see the comment above)."""
    found = set()
    for word in _WORD.findall(text.lower()):
        if word in _STOPWORDS or len(word) < 2:
            continue
        found.add(word[:-1] if len(word) > 3 and word.endswith("s") else word)
    return found


def citation_support(answer_text: str, cited_texts: Sequence[str]) -> float | None:
    """The share of the answer's content words found in the cited documents' text; None when
    the answer has no content words to check."""
    said = content_words(answer_text)
    if not said:
        return None
    held = set().union(*(content_words(text) for text in cited_texts)) if cited_texts else set()
    return len(said & held) / len(said)


def check_citations(
    answer: Answer, documents: Mapping[str, str], threshold: float = DEFAULT_SUPPORT
) -> tuple[bool, float | None, str]:
    """Whether the answer's citations are valid, the support share, and what is wrong ('' when
    nothing): every cited id must be a served document, and the cited text must hold at least
    `threshold` of the answer's content words (an answer without content words is judged on
    its ids alone)."""
    cited = ranking(answer.sources)
    unknown = [doc_id for doc_id in cited if doc_id not in documents]
    support = citation_support(answer.text, [documents[d] for d in cited if d in documents])
    problems = []
    if unknown:
        problems.append("cites documents the engagement does not serve: " + ", ".join(unknown))
    if support is not None and support < threshold:
        problems.append(
            f"the cited text holds {support:.0%} of the answer's content words "
            f"(at least {threshold:.0%} expected)"
        )
    return not problems, support, "; ".join(problems)


# --- the evaluation ---------------------------------------------------------------------------


def item_hash(item: GoldenItem) -> str:
    """A short digest of one golden question as written (a changed question changes it)."""
    text = json.dumps(item.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def golden_hash(items: Sequence[GoldenItem]) -> str:
    """A digest of the whole golden set (order does not matter): `sha256:<hex>`."""
    digest = hashlib.sha256()
    for item in sorted(items, key=lambda item: item.id):
        digest.update(f"{item.id}\0{item_hash(item)}\n".encode())
    return f"sha256:{digest.hexdigest()}"


@dataclass(frozen=True, eq=False)
class Evaluation:
    """One run's golden-set evaluation: a row per question (indexed by golden id, columns
    QUESTION_COLUMNS) and what it was measured with."""

    questions: pd.DataFrame
    k: int
    golden_hash: str
    target: str = ""
    run_id: str = ""
    created_at: str = ""
    support_threshold: float = DEFAULT_SUPPORT
    documents_known: bool = False  # False: citation validity was not measured
    accepted_at: str = ""  # when it was accepted as the baseline ('' for a run's own)

    @property
    def aggregates(self) -> dict[str, float | None]:
        """The mean of each metric over the questions it applies to; None when none."""
        result: dict[str, float | None] = {}
        for metric in METRICS:
            values = self.questions[metric].dropna()
            result[metric] = float(values.mean()) if len(values) else None
        return result

    @property
    def counts(self) -> dict[str, int]:
        """How many questions each metric was measured on."""
        return {metric: int(self.questions[metric].notna().sum()) for metric in METRICS}

    def summary(self) -> pd.DataFrame:
        """The aggregates as a table: a row per metric with its mean and question count."""
        aggregates, counts = self.aggregates, self.counts
        return pd.DataFrame(
            {
                "mean": [aggregates[m] for m in METRICS],
                "questions": [counts[m] for m in METRICS],
            },
            index=pd.Index([metric_label(m, self.k) for m in METRICS], name="metric"),
        )


def evaluate(
    items: Sequence[GoldenItem],
    answers: Mapping[str, Answer],
    documents: Mapping[str, str] | None = None,
    k: int = DEFAULT_K,
    *,
    target: str = "",
    run_id: str = "",
    support_threshold: float = DEFAULT_SUPPORT,
) -> Evaluation:
    """Score every golden question that has an answer (`answers` by golden id).

    Pass the whole golden set as `items` even when only a sample was asked: its hash then tells
    an edited golden set from a different sample. `documents` (served id -> text) enables
    citation validity; without it that metric is not measured.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    known = {item.id for item in items}
    strangers = sorted(set(answers) - known)
    if strangers:
        raise ValueError(f"answers for ids not in the golden set: {', '.join(strangers[:5])}")
    rows = [
        _question_row(item, answers[item.id], documents, k, support_threshold)
        for item in sorted(items, key=lambda item: item.id)
        if item.id in answers
    ]
    table = pd.DataFrame(rows, columns=["id", *QUESTION_COLUMNS]).set_index("id")
    return Evaluation(
        questions=table,
        k=k,
        golden_hash=golden_hash(items),
        target=target,
        run_id=run_id,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        support_threshold=support_threshold,
        documents_known=documents is not None,
    )


def _question_row(
    item: GoldenItem,
    answer: Answer,
    documents: Mapping[str, str] | None,
    k: int,
    threshold: float,
) -> dict[str, Any]:
    nan = math.nan
    cited, gold = ranking(answer.sources), item.gold_docs
    refused = is_refusal(answer)
    retrieval = item.answerable and bool(gold)
    row: dict[str, Any] = {
        "id": item.id,
        "question": item.question,
        "answerable": item.answerable,
        "status": answer.status,
        "refused": refused,
        "cited": tuple(cited),
        "gold_docs": tuple(gold),
        "hit": hit_at_k(cited, gold, k) if retrieval else nan,
        "recall": recall_at_k(cited, gold, k) if retrieval else nan,
        "mrr": reciprocal_rank(cited, gold) if retrieval else nan,
        "ndcg": ndcg_at_k(cited, gold, k) if retrieval else nan,
        "answer_f1": (
            token_f1(answer.text, item.reference_answer)
            if item.answerable and item.reference_answer.strip()
            else nan
        ),
        "refusal_correct": refusal_correct(answer, item),
        "citation_valid": nan,
        "citation_support": nan,
        "citation_problem": "",
        "item_hash": item_hash(item),
    }
    if documents is not None and cited and not refused:
        valid, support, problem = check_citations(answer, documents, threshold)
        row["citation_valid"] = float(valid)
        row["citation_support"] = nan if support is None else support
        row["citation_problem"] = problem
    return row


def ask_golden(
    target: Target, items: Sequence[GoldenItem], limit: int, seed: int = 0
) -> dict[str, Answer]:
    """Ask a reproducible sample of `limit` golden questions (answerable and unanswerable in
    proportion, `sample_golden`), each as its user; the answers by golden id."""
    return {
        item.id: target.ask(item.question, item.user) for item in sample_golden(items, limit, seed)
    }
