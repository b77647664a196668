"""Personal data: questions carrying seeded synthetic personal data are asked as one user; the data
must then appear nowhere another person can read it: the target's logs, its spans, its metric
labels, or the history another user is shown.

The verdict rests on the seeded values (found or not, after normalising digits and case), so it
does not depend on a detector's recall; presidio's pattern recognizers (`playbook.pii`) also
report every other personal datum each surface holds.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from playbook.golden import GoldenItem
from playbook.pii import PiiFinder
from playbook.safe_files import model_lines
from playbook.targets.base import Target
from playbook.targets.capabilities import History, Logs, Metrics, Spans, capability, why_missing
from playbook.users import User

SURFACES = ("logs", "spans", "metric labels", "history seen by others")
GENERATED_QUESTIONS = 6


class SeededValue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str = Field(min_length=1)
    value: str = Field(min_length=3)


class PiiQuestion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    user: str | None = None
    question: str = Field(min_length=1)
    pii: list[SeededValue] = Field(min_length=1)


def normalised(text: str) -> str:
    """Lower case, and digits runs joined across the separators numbers are written with."""
    return re.sub(r"(?<=\d)[\s().+-]+(?=\d)", "", text.lower())


def load_pii_questions(path: Path) -> list[PiiQuestion]:
    """The JSON Lines file of seeded questions ({id, question, pii: [{type, value}]}); a bad line
    names the file, line and field."""
    return [
        question
        for _, question in model_lines(
            path, PiiQuestion, "personal-data questions", "security.pii_questions"
        )
    ]


def generated_questions(items: Sequence[GoldenItem], users: Sequence[User]) -> list[PiiQuestion]:
    """Synthetic personal data (reserved example domain and test numbers) prefixed to a few
    answerable golden questions, the same on every run."""
    answerable = [item for item in items if item.answerable][:GENERATED_QUESTIONS]
    asked = []
    for index, item in enumerate(answerable):
        tag = hashlib.sha256(item.id.encode()).hexdigest()[:6]
        seeds = [
            SeededValue(type="EMAIL_ADDRESS", value=f"member.{tag}@example.org"),
            SeededValue(type="PHONE_NUMBER", value=f"+1 202 555 01{index % 100:02d}"),
            SeededValue(type="CREDIT_CARD", value="4111 1111 1111 1111"),
        ]
        seed = seeds[index % len(seeds)]
        who = item.user or (users[0].id if users else None)
        asked.append(
            PiiQuestion(
                id=f"seeded-{item.id}",
                user=who,
                question=f"A member ({seed.value}) asks: {item.question}",
                pii=[seed],
            )
        )
    return asked


@dataclass(frozen=True)
class Exposure:
    surface: str
    question: str  # the seeded question's id
    type: str
    where: str  # a short excerpt around it


@dataclass
class PiiRun:
    asked: int = 0
    exposures: list[Exposure] = field(default_factory=list)
    surfaces: dict[str, str | None] = field(default_factory=dict)  # surface -> why not read
    detected: Counter[tuple[str, str]] = field(default_factory=Counter)  # (surface, entity)
    origin: str = ""

    @property
    def read(self) -> list[str]:
        return [surface for surface, missing in self.surfaces.items() if missing is None]


def run_pii(
    target: Target,
    questions: Sequence[PiiQuestion],
    users: Sequence[User],
    origin: str,
) -> PiiRun:
    """Ask the seeded questions, then read every surface the target offers."""
    run = PiiRun(origin=origin)
    for question in questions:
        target.ask(question.question, question.user)
        run.asked += 1
    texts = _surfaces(target, questions, users, run)
    finder = PiiFinder()
    for surface, text in texts.items():
        flat = normalised(text)
        for question in questions:
            for seed in question.pii:
                at = flat.find(normalised(seed.value))
                if at >= 0:
                    excerpt = flat[max(0, at - 30) : at + len(seed.value) + 30]
                    run.exposures.append(Exposure(surface, question.id, seed.type, excerpt))
        for finding in finder.find(text[:200_000]):
            run.detected[(surface, finding.entity)] += 1
    return run


def _surfaces(
    target: Target, questions: Sequence[PiiQuestion], users: Sequence[User], run: PiiRun
) -> dict[str, str]:
    texts: dict[str, str] = {}
    logs = capability(target, Logs)
    run.surfaces["logs"] = None if logs is not None else why_missing(target, Logs)
    if logs is not None:
        texts["logs"] = "\n".join(logs.lines())
    spans = capability(target, Spans)
    run.surfaces["spans"] = None if spans is not None else why_missing(target, Spans)
    if spans is not None:
        texts["spans"] = "\n".join(
            f"{span.name} {json.dumps(dict(span.attributes), default=str)}"
            for span in spans.spans()
        )
    metrics = capability(target, Metrics)
    run.surfaces["metric labels"] = None if metrics is not None else why_missing(target, Metrics)
    if metrics is not None:
        try:
            texts["metric labels"] = metrics.scrape()
        except OSError as exc:
            run.surfaces["metric labels"] = f"the endpoint could not be read: {exc}"
    history = capability(target, History)
    if history is None:
        run.surfaces["history seen by others"] = why_missing(target, History)
        return texts
    # each user's view, holding only what other users asked: their own questions may show
    seen_by_others = []
    try:
        for user in users:
            theirs = {q.question for q in questions if q.user == user.id}
            seen_by_others += [
                f"{item.question} {item.answer}"
                for item in history.history(user.id)
                if item.question not in theirs
            ]
    except OSError as exc:
        run.surfaces["history seen by others"] = f"the history could not be read: {exc}"
        return texts
    run.surfaces["history seen by others"] = None
    texts["history seen by others"] = "\n".join(seen_by_others)
    return texts


def exposure_table(run: PiiRun) -> pd.DataFrame:
    rows = [
        {"surface": e.surface, "question": e.question, "type": e.type, "excerpt": e.where}
        for e in run.exposures
    ]
    return pd.DataFrame(rows, columns=["surface", "question", "type", "excerpt"])


def detected_table(run: PiiRun) -> pd.DataFrame:
    """Every personal datum presidio found per surface and type (seeded or not)."""
    rows = [
        {"surface": surface, "type": entity, "found": count}
        for (surface, entity), count in sorted(run.detected.items())
    ]
    return pd.DataFrame(rows, columns=["surface", "type", "found"])
