"""Scope checks (notebook 00): can the playbook reach the target, its data and its yardstick?"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from playbook.engagement import DataSource, Engagement
from playbook.errors import PlaybookError
from playbook.evidence import CheckResult
from playbook.golden import GoldenItem, load_golden_set
from playbook.reference.users import UserDirectory
from playbook.targets.base import Target

AREA = "scope"
SOURCE_PATTERNS = {
    "markdown": ("*.md",),
    "html": ("*.html", "*.htm"),
    "json": ("*.json", "*.jsonl"),
    "auto": ("*.md", "*.html", "*.htm", "*.json", "*.jsonl"),
}
MIN_GOLDEN_QUESTIONS = 20


def source_files(engagement: Engagement, source: DataSource) -> list[Path]:
    """The files of a data source that its format reads."""
    folder = engagement.resolve(source.path)
    if folder.is_file():
        return [folder]
    if not folder.is_dir():
        return []
    found = {path for pattern in SOURCE_PATTERNS[source.format] for path in folder.rglob(pattern)}
    return sorted(found)


def data_sources_table(engagement: Engagement) -> pd.DataFrame:
    """One row per declared source: where it is, its format and how many files it holds."""
    rows = []
    for source in engagement.data_sources:
        folder = engagement.resolve(source.path)
        rows.append(
            {
                "source": source.name,
                "format": source.format,
                "path": source.path,
                "exists": folder.exists(),
                "files": len(source_files(engagement, source)),
            }
        )
    return pd.DataFrame(rows, columns=["source", "format", "path", "exists", "files"])


def check_data_sources(engagement: Engagement) -> CheckResult:
    """Every declared data source exists and holds files of its format."""
    table = data_sources_table(engagement)
    base = {
        "area": AREA,
        "id": "scope.data_sources_readable",
        "title": "Declared data sources exist and hold documents",
        "expected": "every source has >= 1 file",
        "unit": "sources with files",
        "remedy": "declare-data-sources",
        "decision": "data-location",
    }
    if table.empty:
        return CheckResult(
            **base, status="fail", observed=0, detail="engagement.yaml declares no data_sources"
        )
    empty = table.loc[table["files"] == 0, "source"].tolist()
    readable = len(table) - len(empty)
    status = "pass" if not empty else "fail"
    detail = f"{readable} of {len(table)} sources hold files" + (
        f"; empty or missing: {', '.join(empty)}" if empty else ""
    )
    return CheckResult(**base, status=status, observed=readable, detail=detail)


def check_golden_set(engagement: Engagement) -> tuple[CheckResult, list[GoldenItem]]:
    """The golden set loads, is large enough to measure with, and holds unanswerable questions."""
    base = {
        "area": AREA,
        "id": "scope.golden_set",
        "title": "A golden set large enough to measure quality, with unanswerable questions",
        "expected": f">= {MIN_GOLDEN_QUESTIONS} questions, some unanswerable",
        "unit": "questions",
        "remedy": "build-golden-set",
        "decision": "observability",
    }
    if not engagement.golden_set:
        return CheckResult(**base, status="fail", detail="engagement.yaml has no golden_set"), []
    try:
        items = load_golden_set(engagement.resolve(engagement.golden_set))
    except PlaybookError as exc:
        return CheckResult(**base, status="fail", detail=str(exc)), []
    unanswerable = sum(not item.answerable for item in items)
    big_enough = len(items) >= MIN_GOLDEN_QUESTIONS
    status = "pass" if big_enough and unanswerable else "warn"
    detail = f"{len(items)} questions, {unanswerable} unanswerable"
    return CheckResult(**base, status=status, observed=len(items), detail=detail), items


def users_table(engagement: Engagement) -> pd.DataFrame:
    """One row per user: id, name, role and groups (never the token)."""
    columns = ["user", "name", "role", "groups"]
    if not engagement.users:
        return pd.DataFrame(columns=columns)
    try:
        directory = UserDirectory.load(engagement.resolve(engagement.users))
    except PlaybookError:
        return pd.DataFrame(columns=columns)  # check_users reports why
    rows = [
        {"user": u.id, "name": u.name, "role": u.role, "groups": ", ".join(u.groups) or "-"}
        for u in directory.users
    ]
    return pd.DataFrame(rows, columns=columns).set_index("user")


def check_users(engagement: Engagement, items: Sequence[GoldenItem]) -> CheckResult:
    """The users file loads, and every golden question is asked by a user it names."""
    base = {
        "area": AREA,
        "id": "scope.users_known",
        "title": "Golden questions are asked by users the engagement knows, with their groups",
        "expected": "every asking user and required group in the users file",
        "unit": "golden questions with a known user",
        "remedy": "build-golden-set",
        "decision": "access-model",
    }
    if not engagement.users:
        return CheckResult(**base, status="fail", detail="engagement.yaml has no users file")
    try:
        directory = UserDirectory.load(engagement.resolve(engagement.users))
    except PlaybookError as exc:
        return CheckResult(**base, status="fail", detail=str(exc))
    if not items:
        return CheckResult(**base, status="error", detail="no golden set to compare with")
    problems = []
    for item in items:
        person = directory.get(item.user)
        if person is None:
            problems.append(f"{item.id}: unknown user {item.user!r}")
        elif not set(item.groups_required) <= person.access_groups:
            problems.append(f"{item.id}: {item.user} is not in {', '.join(item.groups_required)}")
    known = len(items) - len(problems)
    detail = (
        f"{len(directory.users)} users; {known} of {len(items)} golden questions asked by a "
        "known user who has the groups the answer needs"
    )
    if problems:
        detail += "; first problems: " + "; ".join(problems[:3])
    status = "pass" if not problems else "fail"
    return CheckResult(**base, status=status, observed=known, detail=detail)


def check_target_answers(target: Target, items: Sequence[GoldenItem]) -> CheckResult:
    """The target gives a non-error answer to a few answerable golden questions."""
    base = {
        "area": AREA,
        "id": "scope.target_answers",
        "title": "The target answers a smoke test of golden questions",
        "expected": "every smoke question answered without error",
        "unit": "answered questions",
        "remedy": "target-connectivity",
    }
    smoke = [item for item in items if item.answerable][:3]
    if not smoke:
        return CheckResult(**base, status="error", detail="no answerable golden question to ask")
    answers = [target.ask(item.question, item.user) for item in smoke]
    answered = sum(a.status != "error" and bool(a.text.strip()) for a in answers)
    problems = [a.error or a.text for a in answers if a.status == "error"]
    status = "pass" if answered == len(smoke) else "fail"
    detail = f"{answered} of {len(smoke)} answered" + (
        f"; first error: {problems[0][:200]}" if problems else ""
    )
    return CheckResult(**base, status=status, observed=answered, detail=detail)
