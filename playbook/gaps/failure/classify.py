"""What the user was shown under a fault: five outcomes, judged on the answer alone.

Correct, safe degraded (labelled and still useful, or an honest "cannot answer now"), wrong but
confident, a raw failure (stack trace, exception text, HTTP error body, nothing at all), or no
answer within the latency budget. The labels and the fault kinds they are counted by live here,
so tables, checks and charts name them the same way.
"""

from __future__ import annotations

import re
from typing import Literal

from playbook.faults import FAULT_KINDS
from playbook.golden import GoldenItem
from playbook.targets.base import Answer

Outcome = Literal[
    "correct", "safe_degraded", "wrong_confident", "raw_failure", "no_answer_in_budget"
]
OUTCOMES: tuple[Outcome, ...] = (
    "correct",
    "safe_degraded",
    "wrong_confident",
    "raw_failure",
    "no_answer_in_budget",
)
OUTCOME_LABELS = {
    "correct": "correct",
    "safe_degraded": "safe degraded",
    "wrong_confident": "wrong but confident",
    "raw_failure": "raw failure shown",
    "no_answer_in_budget": "no answer in budget",
}
GRACEFUL: frozenset[str] = frozenset({"correct", "safe_degraded"})
KINDS: tuple[str, ...] = FAULT_KINDS
KIND_LABELS = {
    "latency": "added latency",
    "hang": "timeout (hang)",
    "exception": "exception",
    "rate_limit": "429 + Retry-After",
    "server_error": "5xx",
    "malformed": "malformed output",
    "nonsense": "nonsense output",
    "empty_retrieval": "empty retrieval",
}
SLOW_KINDS = frozenset({"latency", "hang"})
BAD_OUTPUT_KINDS = frozenset({"malformed", "nonsense"})
# Fault kind -> the failure mode of the decisions (failure-policy) it exercises.
FAILURE_MODE = {
    "hang": "timeout",
    "rate_limit": "rate_limit",
    "server_error": "server_error",
    "malformed": "malformed_output",
    "nonsense": "nonsense_output",
    "empty_retrieval": "empty_retrieval",
}
TRANSIENT_KINDS = ("rate_limit", "server_error")

_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\s*File \"[^\"]+\", line \d+", re.M)
_EXCEPTION = re.compile(r"\b[A-Z]\w*?(?:Error|Exception|Timeout|Rejected)\b: ")
_HTTP_ERROR = re.compile(
    r"\b[45]\d\d (?:Bad Request|Unauthorized|Forbidden|Not Found|Too Many Requests|"
    r"Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout)\b|<html|<!doctype",
    re.I,
)
_JUNK = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]|<\|endoftext\|>")
_HONEST = re.compile(
    r"\bdegraded\b|\btry again\b|\bcannot (?:answer|search|help)\b|\bcould not "
    r"(?:find|compose|answer)\b|\b(?:temporarily )?unavailable\b|\bnot available\b|\bright now\b",
    re.I,
)
_REFUSAL = re.compile(r"\bcould not find\b|\bno (?:relevant )?(?:document|information)\b", re.I)


def is_refusal(answer: Answer) -> bool:
    """Whether the answer declines: a `refused` status, or refusal wording in its text (targets
    that map no status say so only in words)."""
    return answer.status == "refused" or bool(_REFUSAL.search(answer.text))


def raw_failure_reason(text: str) -> str | None:
    """Why `text` is a raw failure when shown to a user (None when it is not one)."""
    if not text.strip():
        return "empty answer"
    if _TRACEBACK.search(text):
        return "stack trace"
    if _JUNK.search(text):
        return "malformed text"
    if _HTTP_ERROR.search(text):
        return "HTTP error body"
    if _EXCEPTION.search(text):
        return "exception text"
    stripped = text.lstrip()
    if stripped[:1] in "{[" and '"' in stripped[:40]:
        return "raw JSON payload"
    return None


def classify(
    answer: Answer, item: GoldenItem, seconds: float, budget_s: float
) -> tuple[Outcome, str]:
    """The outcome of one answer for the user who asked, and a short reason.

    Judged on what the user is shown (`text`, `status`, `sources`) and how long they waited:
    later than the budget is no answer; then anything raw; then a labelled degradation or an
    honest refusal is safe; an unlabelled answer is correct only when it cites a gold document.
    """
    if seconds > budget_s:
        return "no_answer_in_budget", f"answered after {seconds:.2f} s"
    raw = raw_failure_reason(answer.text)
    if raw:
        return "raw_failure", raw
    gold = set(item.gold_docs)
    cites_gold = bool(gold & set(answer.sources)) if gold else bool(answer.sources)
    honest = bool(_HONEST.search(answer.text))
    refusal = answer.status == "refused" or bool(_REFUSAL.search(answer.text))
    if not item.answerable:
        if refusal or honest:
            return "correct", "refused an unanswerable question"
        return "wrong_confident", "answered an unanswerable question"
    if answer.status == "degraded":
        return "safe_degraded", "labelled degraded answer"
    if answer.status == "refused" or (answer.status == "ok" and refusal and not cites_gold):
        return "safe_degraded", "honest refusal"
    if answer.status == "ok":
        if cites_gold:
            return "correct", "cites a gold document"
        if honest:
            return "safe_degraded", "labelled as degraded in its text"
        return "wrong_confident", "unlabelled answer without a gold citation"
    if honest:
        return "safe_degraded", "error status with an honest message"
    return "raw_failure", "error status without an honest message"
