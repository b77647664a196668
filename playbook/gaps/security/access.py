"""Document access: every user asks about the restricted documents outside their groups, built as
probes from the engagement's own documents (`probes`).

A leak is the document among the answer's citations, among the documents its trace says were
retrieved (where the target exports spans), or one of the document's distinctive facts in the
answer text: an answer built from a document the citations no longer show is still a leak. Users
inside the groups ask the same questions, to show the filter does not simply block everything.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from playbook.gaps.security.probes import AccessProbe, leaked_facts
from playbook.otlp import wait_for_spans
from playbook.targets.base import Answer, Target
from playbook.targets.capabilities import SpanRecord, Spans, capability
from playbook.users import EVERYONE, User

RETRIEVED_ATTRIBUTES = ("gen_ai.retrieval.documents", "retrieval.documents")
SPAN_WAIT_S = 10.0


@dataclass(frozen=True)
class AccessAsk:
    """One probe asked by one user, and what the answer showed of the document."""

    probe: AccessProbe
    user: str
    allowed: bool  # the user's groups include one of the document's
    answer: Answer
    cited: bool
    retrieved: bool | None  # None: the target's spans do not say what was retrieved
    facts: tuple[str, ...]  # the document's facts found in the answer text

    @property
    def shown(self) -> bool:
        """The document reached the user: cited, retrieved, or quoted."""
        return self.cited or bool(self.retrieved) or bool(self.facts)

    @property
    def determined(self) -> bool:
        return self.answer.status != "error"

    @property
    def how(self) -> str:
        ways = [
            "cited" if self.cited else "",
            "retrieved" if self.retrieved else "",
            f"facts in the text ({', '.join(self.facts)})" if self.facts else "",
        ]
        return "; ".join(way for way in ways if way) or "-"


@dataclass
class AccessRun:
    asks: list[AccessAsk] = field(default_factory=list)
    probes: int = 0
    retrieval_visible: bool = False  # the target's spans name the retrieved documents
    planned: int = 0  # questions planned; fewer were asked when the time limit came first
    max_seconds: float = math.inf

    @property
    def outsiders(self) -> list[AccessAsk]:
        return [ask for ask in self.asks if not ask.allowed]

    @property
    def insiders(self) -> list[AccessAsk]:
        return [ask for ask in self.asks if ask.allowed]

    @property
    def leaks(self) -> list[AccessAsk]:
        return [ask for ask in self.outsiders if ask.shown]


def outsiders_of(probe: AccessProbe, users: Sequence[User]) -> list[User]:
    return [user for user in users if not (user.access_groups & probe.groups)]


def insiders_of(probe: AccessProbe, users: Sequence[User]) -> list[User]:
    return [user for user in users if user.access_groups & probe.groups]


def plan_asks(
    probes: Sequence[AccessProbe], users: Sequence[User], max_outsider_asks: int
) -> list[tuple[AccessProbe, User, bool]]:
    """Who asks what: each probe by its outsiders in turn (rotating, so every user and every
    document is covered before any pair repeats), up to `max_outsider_asks`; then, interleaved
    (one insider after every two outsiders, so a time limit keeps both), probes by one of their
    insiders, half as many."""
    outside = {probe.doc_id: outsiders_of(probe, users) for probe in probes}
    planned: list[tuple[AccessProbe, User, bool]] = []
    round_ = 0
    while len(planned) < max_outsider_asks:
        added = False
        for index, probe in enumerate(probes):
            candidates = outside[probe.doc_id]
            if round_ < len(candidates) and len(planned) < max_outsider_asks:
                planned.append((probe, candidates[(index + round_) % len(candidates)], False))
                added = True
        if not added:
            break
        round_ += 1
    insiders = []
    for index, probe in enumerate(probes):
        inside = [user for user in insiders_of(probe, users) if EVERYONE not in probe.groups]
        if inside and len(insiders) < max(1, max_outsider_asks // 2):
            insiders.append((probe, inside[index % len(inside)], True))
    mixed: list[tuple[AccessProbe, User, bool]] = []
    for index, ask in enumerate(planned):
        mixed.append(ask)
        if index % 2 == 1 and insiders:
            mixed.append(insiders.pop(0))
    return mixed + insiders


def run_access(
    target: Target,
    probes: Sequence[AccessProbe],
    users: Sequence[User],
    max_outsider_asks: int,
    max_seconds: float = math.inf,
) -> AccessRun:
    """Ask the planned probes (stopping after `max_seconds`) and judge each answer."""
    spans = capability(target, Spans)
    if spans is not None:
        spans.clear()
    planned = plan_asks(probes, users, max_outsider_asks)
    deadline = time.monotonic() + max_seconds
    answers = []
    for probe, user, allowed in planned:
        if time.monotonic() > deadline:
            break
        answers.append((probe, user, allowed, target.ask(probe.question, user.id)))
    retrieved = retrieved_documents(spans, [answer for *_, answer in answers])
    run = AccessRun(
        probes=len(probes),
        retrieval_visible=bool(retrieved),
        planned=len(planned),
        max_seconds=max_seconds,
    )
    for probe, user, allowed, answer in answers:
        seen = retrieved.get((answer.trace_id or "").lower()) if retrieved else None
        run.asks.append(
            AccessAsk(
                probe=probe,
                user=user.id,
                allowed=allowed,
                answer=answer,
                cited=probe.doc_id in answer.sources,
                retrieved=None if seen is None else probe.doc_id in seen,
                facts=leaked_facts(answer.text, probe),
            )
        )
    return run


def retrieved_documents(spans: Spans | None, answers: Sequence[Answer]) -> dict[str, set[str]]:
    """Trace id -> the documents its retrieval span names (empty when spans say nothing)."""
    if spans is None:
        return {}
    wanted = {(a.trace_id or "").lower() for a in answers if a.trace_id}
    found = wait_for_spans(
        spans, lambda seen: wanted <= {s.trace_id.lower() for s in seen}, SPAN_WAIT_S * bool(wanted)
    )
    by_trace: dict[str, set[str]] = defaultdict(set)
    for span in found:
        names = _documents_of(span)
        if names is not None:
            by_trace[span.trace_id.lower()].update(names)
    return dict(by_trace)


def _documents_of(span: SpanRecord) -> set[str] | None:
    for attribute in RETRIEVED_ATTRIBUTES:
        value = span.attributes.get(attribute)
        if isinstance(value, str):
            return {value}
        if isinstance(value, (tuple, list)):
            return {str(item) for item in value}
    return None


def leak_matrix(run: AccessRun, groups_of: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Leaks per user (rows) and restricted group (columns), over the asks made."""
    cells: dict[tuple[str, str], int] = defaultdict(int)
    for ask in run.outsiders:
        for group in sorted(ask.probe.groups):
            cells[(ask.user, group)] += int(ask.shown)
    users = sorted({ask.user for ask in run.outsiders})
    groups = sorted({group for ask in run.outsiders for group in ask.probe.groups})
    frame = pd.DataFrame(
        [[cells.get((user, group), 0) for group in groups] for user in users],
        index=pd.Index(users, name="user"),
        columns=groups,
    )
    if groups_of:
        frame.index = [
            f"{user} ({', '.join(groups_of.get(user, ())) or 'all-staff'})" for user in users
        ]
    return frame


def leaks_table(run: AccessRun, limit: int = 20) -> pd.DataFrame:
    rows = [
        {
            "user": ask.user,
            "document": ask.probe.doc_id,
            "groups": ", ".join(sorted(ask.probe.groups)),
            "how": ask.how,
            "question": ask.probe.question[:80],
        }
        for ask in run.leaks[:limit]
    ]
    return pd.DataFrame(rows, columns=["user", "document", "groups", "how", "question"])


def probes_table(probes: Sequence[AccessProbe]) -> pd.DataFrame:
    """The probes built: the document, who may read it, the question and the facts."""
    rows = [
        {
            "document": probe.doc_id,
            "groups": ", ".join(sorted(probe.groups)),
            "question": probe.question,
            "facts": "; ".join(probe.facts),
            "from": probe.origin,
        }
        for probe in probes
    ]
    return pd.DataFrame(rows, columns=["document", "groups", "question", "facts", "from"])
