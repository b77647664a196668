"""Scope checks (notebook 00): can the playbook reach the target, its data and its yardstick?"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from playbook.checks import AreaChecks, Check
from playbook.engagement import Engagement
from playbook.errors import PlaybookError
from playbook.evidence import CheckResult
from playbook.gaps.failure.classify import is_refusal
from playbook.golden import GoldenItem, engagement_golden
from playbook.sources import source_files
from playbook.targets.base import Target
from playbook.users import UserDirectory

MIN_GOLDEN_QUESTIONS = 20

DATA_SOURCES = Check(
    "scope.data_sources_readable",
    "Declared data sources exist and hold documents",
    unit="sources with files",
    expected="every source has >= 1 file",
    remedy="declare-data-sources",
    decision="data-location",
)
GOLDEN_SET = Check(
    "scope.golden_set",
    "A golden set large enough to measure quality, with unanswerable questions",
    unit="questions",
    expected=f">= {MIN_GOLDEN_QUESTIONS} questions, some unanswerable",
    remedy="build-golden-set",
    decision="observability",
)
USERS = Check(
    "scope.users_known",
    "Golden questions are asked by users the engagement knows, with their groups",
    unit="golden questions with a known user",
    expected="every asking user and required group in the users file",
    remedy="build-golden-set",
    decision="access-model",
    needs="a golden set whose questions name their users",
)
TARGET_ANSWERS = Check(
    "scope.target_answers",
    "The target answers a smoke test of golden questions",
    unit="answered questions",
    expected="every smoke question answered without error",
    remedy="target-connectivity",
    needs="answerable golden questions to ask",
)
CHECKS = AreaChecks("scope", (DATA_SOURCES, GOLDEN_SET, USERS, TARGET_ANSWERS))
AREA = CHECKS.area


def _files(engagement: Engagement, path: str, fmt: str) -> list[Path]:
    folder = engagement.resolve(path)
    return source_files(folder, fmt) if folder.exists() else []


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
                "files": len(_files(engagement, source.path, source.format)),
            }
        )
    return pd.DataFrame(rows, columns=["source", "format", "path", "exists", "files"])


def check_data_sources(engagement: Engagement) -> CheckResult:
    """Every declared data source exists and holds files of its format."""
    table = data_sources_table(engagement)
    if table.empty:
        return DATA_SOURCES.result("fail", 0, "engagement.yaml declares no data_sources")
    empty = table.loc[table["files"] == 0, "source"].tolist()
    readable = len(table) - len(empty)
    detail = f"{readable} of {len(table)} sources hold files" + (
        f"; empty or missing: {', '.join(empty)}" if empty else ""
    )
    return DATA_SOURCES.verdict(not empty, readable, detail)


def check_golden_set(engagement: Engagement) -> tuple[CheckResult, list[GoldenItem]]:
    """The golden set loads, is large enough to measure with, and holds unanswerable questions."""
    if not engagement.golden_set:
        return GOLDEN_SET.result("fail", None, "engagement.yaml has no golden_set"), []
    items, problem = engagement_golden(engagement)
    if problem:
        return GOLDEN_SET.result("fail", None, problem), []
    unanswerable = sum(not item.answerable for item in items)
    big_enough = len(items) >= MIN_GOLDEN_QUESTIONS
    detail = f"{len(items)} questions, {unanswerable} unanswerable"
    return GOLDEN_SET.verdict(
        big_enough and bool(unanswerable), len(items), detail, otherwise="warn"
    ), items


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
    if not engagement.users:
        return USERS.result("fail", None, "engagement.yaml has no users file")
    try:
        directory = UserDirectory.load(engagement.resolve(engagement.users))
    except PlaybookError as exc:
        return USERS.result("fail", None, str(exc))
    if not items:
        return USERS.could_not_run("no golden set to compare with")
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
    return USERS.verdict(not problems, known, detail)


def check_target_answers(target: Target, items: Sequence[GoldenItem]) -> CheckResult:
    """The target answers a few answerable golden questions: not with an error, an empty reply or
    a refusal (a target that refuses everything serves nothing, whatever its status codes say)."""
    smoke = [item for item in items if item.answerable][:3]
    if not smoke:
        return TARGET_ANSWERS.could_not_run("the golden set has no answerable question")
    answers = [target.ask(item.question, item.user) for item in smoke]
    refused = [a for a in answers if a.status != "error" and is_refusal(a)]
    answered = [
        a for a in answers if a.status in ("ok", "degraded") and a.text.strip() and a not in refused
    ]
    errors = [a.error or a.text for a in answers if a.status == "error"]
    empty = [a for a in answers if a.status != "error" and not a.text.strip()]
    detail = f"{len(answered)} of {len(smoke)} answered"
    if refused:
        detail += f"; {len(refused)} refused"
        if len(refused) == len(smoke):
            detail += (
                " (a target that refuses every question serves no documents: is its index empty?)"
            )
    if empty:
        detail += f"; {len(empty)} empty"
    if errors:
        detail += f"; first error: {errors[0][:200]}"
    return TARGET_ANSWERS.verdict(len(answered) == len(smoke), len(answered), detail)
