"""The golden set: questions with known good sources and answers, the yardstick of every area."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from playbook.errors import PlaybookError
from playbook.safe_files import model_lines

if TYPE_CHECKING:
    from playbook.engagement import Engagement


class GoldenItem(BaseModel):
    """One golden question, asked by a given user, with the documents that answer it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, description="unique within the golden set")
    question: str = Field(min_length=1, description="asked exactly as written")
    user: str | None = Field(
        default=None, description="the user (id in users.yaml) who asks; null: anonymous"
    )
    gold_docs: tuple[str, ...] = Field(
        default=(), description="ids of the documents that answer it (what citations must name)"
    )
    reference_answer: str = Field(default="", description="a correct answer, for answer scoring")
    answerable: bool = Field(
        default=True, description="false: the documents cannot answer it and it must be refused"
    )
    groups_required: tuple[str, ...] = Field(
        default=(),
        description="access groups whose documents hold the answer: the asking user must be in "
        "all of them (scope.users_known), and a user outside them must not get it",
    )
    tags: tuple[str, ...] = Field(default=(), description="free labels for slicing results")


def load_golden_set(path: Path) -> list[GoldenItem]:
    """Read a JSON-lines golden set; a bad line is a PlaybookError naming file, line and field."""
    path = Path(path)
    items: list[GoldenItem] = []
    seen: set[str] = set()
    for number, item in model_lines(path, GoldenItem, "golden set", "golden_set"):
        if item.id in seen:
            raise PlaybookError(f"{path}:{number}: field 'id': duplicate id {item.id!r}")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise PlaybookError(f"{path}: the golden set is empty (expected one JSON object per line)")
    return items


def engagement_golden(engagement: Engagement) -> tuple[list[GoldenItem], str]:
    """The engagement's golden set, and why it gives none when it does not ('' when it does).

    The one loader of every notebook: a missing or broken golden set is a finding a check
    reports (scope.golden_set says why), never a crash of the notebook that wanted questions.
    """
    if not engagement.golden_set:
        return [], f"{engagement.file}: field 'golden_set': missing (no golden set declared)"
    try:
        return load_golden_set(engagement.resolve(engagement.golden_set)), ""
    except PlaybookError as exc:
        return [], str(exc)


def sample_golden(items: Sequence[GoldenItem], size: int, seed: int = 0) -> list[GoldenItem]:
    """A reproducible sample of `size` items, answerable and unanswerable in proportion."""
    if size >= len(items):
        return list(items)
    rng = random.Random(seed)
    answerable = [item for item in items if item.answerable]
    unanswerable = [item for item in items if not item.answerable]
    share = len(unanswerable) / len(items)
    take_unanswerable = min(len(unanswerable), round(size * share))
    chosen = rng.sample(unanswerable, take_unanswerable)
    chosen += rng.sample(answerable, min(len(answerable), size - take_unanswerable))
    return sorted(chosen, key=lambda item: item.id)


def golden_summary(items: Sequence[GoldenItem]) -> pd.DataFrame:
    """Counts a reader checks first: answerable, unanswerable, and restricted to a group."""
    rows = {
        "questions": len(items),
        "answerable": sum(item.answerable for item in items),
        "unanswerable": sum(not item.answerable for item in items),
        "answerable only within a group": sum(bool(item.groups_required) for item in items),
        "asking users": len({item.user for item in items}),
    }
    return pd.DataFrame({"count": rows})
