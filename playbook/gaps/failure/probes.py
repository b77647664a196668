"""What users meet without any fault injected: hostile and edge inputs, unanswerable questions.

These need nothing but answers, so they measure every target, a black-box HTTP service included.
A user who pastes a quoted phrase, a query-syntax character, a whole e-mail, nothing at all,
another script, an emoji, a control character or a bit of markup must get a safe answer (no
stack trace, exception text, HTTP error body or empty reply) within the latency budget; a question
the documents cannot answer must be refused or labelled, not answered confidently.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from playbook.gaps.failure.classify import classify, raw_failure_reason
from playbook.gaps.failure.matrix import FaultSettings, ask_timed
from playbook.golden import GoldenItem
from playbook.targets.base import Answer, Target

_CLIENT_ERROR = re.compile(r"^HTTP (?:400|413|422)\b")
# Each probe is a kind of input real users send; the names appear in the evidence.
EDGE_INPUTS: dict[str, str] = {
    "quotes": 'What does the "annual leave" policy say about carry-over, and what\'s "carry-over"?',
    "query syntax": 'leave AND (carry OR "over") NEAR/3 days* -expired ^2 title:policy {}',
    "sql-like": "'; DROP TABLE documents; -- how many leave days?",
    "over-long": "How many days of annual leave do I get? Please explain in detail. " * 60,
    "empty": "",
    "whitespace only": " \t\n  ",
    "non-Latin scripts": "年次有給休暇は何日ですか？ Сколько дней отпуска? كم يوم إجازة؟",
    "emoji": "🏖️ how many vacation days do I get 🤔🤔🤔",
    "control characters": "annual\x00leave\x1b[31m days\x07\x08 per year?",
    "markup": "<script>alert('x')</script><b>How many</b> leave days? [link](javascript:x)",
    "invisible characters": "how\u200b many \ufeffleave\u202e days\u2060?",
}


@dataclass(frozen=True)
class ProbeAnswer:
    """One probe and what the user got."""

    kind: str  # an edge input's name, or "unanswerable"
    question: str  # shown shortened in tables
    status: str
    seconds: float
    problem: str  # why the answer is unsafe or wrong ("" when it is fine)
    note: str = ""  # how a safe answer was safe, when it was not an answer


@dataclass(frozen=True)
class Probes:
    """The answers to every edge input and unanswerable golden question asked."""

    target: str
    budget_s: float
    user: str | None
    edge: tuple[ProbeAnswer, ...] = ()
    unanswerable: tuple[ProbeAnswer, ...] = ()
    error: str = ""  # why nothing could be asked

    def unsafe(self) -> list[ProbeAnswer]:
        return [answer for answer in self.edge if answer.problem]

    def answered_confidently(self) -> list[ProbeAnswer]:
        return [answer for answer in self.unanswerable if answer.problem]


def clear_rejection(answer: Answer) -> str:
    """How an HTTP API refused bad input safely (`HTTP 422`), or '' when it did not: a 400, 413
    or 422 with a JSON error message is what a client application can show as is."""
    found = _CLIENT_ERROR.match(answer.error or "") if answer.status == "error" else None
    if found is None:
        return ""
    try:
        body = json.loads(answer.text)
    except ValueError:
        return ""
    said = isinstance(body, dict) and any(
        isinstance(body.get(key), str) and body[key].strip()
        for key in ("error", "message", "detail")
    )
    return found.group(0) if said else ""


def probe_user(items: Sequence[GoldenItem]) -> str | None:
    """Who asks most golden questions: a real identity that an access-controlled target knows."""
    users = Counter(item.user for item in items if item.user)
    return users.most_common(1)[0][0] if users else None


def run_probes(
    target: Target, items: Sequence[GoldenItem], settings: FaultSettings, max_questions: int
) -> Probes:
    """Ask every edge input and up to `max_questions` unanswerable golden questions."""
    user = probe_user(items)
    base = Probes(target=target.spec, budget_s=settings.budget_s, user=user)
    if not items:
        return Probes(
            target.spec,
            settings.budget_s,
            None,
            error="the engagement has no golden questions (scope.golden_set in notebook 00 "
            "says why): no user to ask as, no unanswerable question to ask",
        )
    deadline = time.monotonic() + settings.max_seconds
    edge = []
    for kind, question in EDGE_INPUTS.items():
        if time.monotonic() > deadline:
            break
        started = time.monotonic()
        answer = target.ask(question, user)
        seconds = time.monotonic() - started
        rejected = clear_rejection(answer)
        problem = "" if rejected else raw_failure_reason(answer.text) or ""
        if not problem and seconds > settings.budget_s:
            problem = f"answered after {seconds:.2f} s"
        note = f"rejected as invalid input ({rejected})" if rejected else ""
        edge.append(ProbeAnswer(kind, _short(question), answer.status, seconds, problem, note))
    unanswerable = []
    for item in [item for item in items if not item.answerable][:max_questions]:
        if time.monotonic() > deadline:
            break
        answer, seconds = ask_timed(target, item)
        outcome, reason = classify(answer, item, seconds, settings.budget_s)
        problem = "" if outcome == "correct" else reason
        unanswerable.append(
            ProbeAnswer("unanswerable", _short(item.question), answer.status, seconds, problem)
        )
    return Probes(
        base.target, base.budget_s, user, edge=tuple(edge), unanswerable=tuple(unanswerable)
    )


def _short(text: str, limit: int = 70) -> str:
    shown = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
