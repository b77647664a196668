"""Scope checks (notebook 00): can the playbook reach the target, its data and its yardstick?"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from playbook.checks import AreaChecks, Check
from playbook.engagement import Engagement
from playbook.errors import PlaybookError, one_line
from playbook.evidence import CheckResult
from playbook.gaps.failure.classify import is_refusal
from playbook.golden import GoldenItem, engagement_golden
from playbook.sources import (
    Compilation,
    DataSource,
    ReadError,
    SourceRecord,
    compilation_pages,
    nested_records,
    read_sources,
    source_files,
)
from playbook.targets.base import Target
from playbook.users import EVERYONE, UserDirectory

MIN_GOLDEN_QUESTIONS = 20
NAMED_PROBLEMS = 25  # files named in the evidence; unreadable_table lists every one
MOSTLY_REFUSED = 0.5  # a source whose documents the production contract mostly refuses
NAMED_REASONS = 3
ERROR_CHARS = 400  # of the first error shown

DATA_SOURCES = Check(
    "scope.data_sources_readable",
    "Declared data sources exist and read to documents",
    unit="sources with files",
    expected="every source reads to >= 1 document, every file to its documents",
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


@dataclass(frozen=True)
class SourceReading:
    """What reading one declared source gave: files, documents, what could not be read."""

    source: DataSource
    files: int
    records: int
    shapes: Counter[str]  # detected shape -> documents
    unreadable: tuple[ReadError, ...]
    nested: tuple[tuple[str, str, int], ...]  # (file, key, objects) read as one document
    collisions: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (id, files declaring it)
    refused: int = 0  # documents the production ingest contract would quarantine
    refusal_reasons: Counter[str] = field(default_factory=Counter)  # reason -> documents
    compilations: tuple[tuple[str, Compilation], ...] = ()  # (file as shown, what it repeats)

    @property
    def accepted(self) -> int:
        """Documents the production ingest contract would index."""
        return self.records - self.refused

    @property
    def mostly_refused(self) -> bool:
        return self.records > 0 and self.refused > self.records * MOSTLY_REFUSED

    @property
    def refusal_summary(self) -> str:
        """The contract's top reasons for refusing this source's documents, with counts."""
        top = self.refusal_reasons.most_common(NAMED_REASONS)
        return ", ".join(f"{reason} ({n})" for reason, n in top)

    @property
    def unread(self) -> list[tuple[str, str]]:
        """(file, why) of every file that gives the later notebooks less than it holds, each
        file as the source knows it (two `index.json` in different folders are two files)."""
        root = _root(self.source)
        found = [(_shown(Path(error.path), root), error.reason) for error in self.unreadable]
        found += [
            (
                _shown(Path(file), root),
                f"reads as one document but holds {count} objects under '{key}' "
                f"(set records: {key} on this source)",
            )
            for file, key, count in self.nested
        ]
        return found

    @property
    def problems(self) -> list[str]:
        """The same, as sentences."""
        return [f"{file}: {why}" for file, why in self.unread]


def read_declared_sources(
    engagement: Engagement, parse_cache: Path | None = None
) -> list[SourceReading]:
    """Read every declared source the way the reference system ingests it, and judge its
    documents by the production ingest contract (what a hardened ingest would refuse).
    `parse_cache`: the run's record of parsed files, which the target's ingest then reuses."""
    from playbook.contract import contract_failures  # pandera loads in ~1 s
    from playbook.sources.parsed_files import opened

    known_groups = _known_groups(engagement)
    readings = []
    declared: dict[str, set[str]] = defaultdict(set)
    read: list[tuple[DataSource, list[SourceRecord], list[ReadError], int]] = []
    with opened(parse_cache) as parsed:
        for source in engagement.resolved_sources():
            folder = Path(source.path)
            files = source_files(folder, source.format, source.exclude) if folder.exists() else []
            records, errors = read_sources([source], parsed=parsed) if folder.exists() else ([], [])
            root = _root(source)
            for record in records:
                declared[record.declared_id].add(_shown(Path(record.path), root))
            read.append((source, records, errors, len(files)))
    for source, records, errors, files in read:
        nested = tuple(
            (record.path, *found) for record in records if (found := nested_records(record))
        )
        collisions = {
            record.declared_id: tuple(sorted(declared[record.declared_id]))
            for record in records
            if len(declared[record.declared_id]) > 1
        }
        root = _root(source)
        compilations = tuple(
            (_shown(Path(page.path), root), page) for page in compilation_pages(records)
        )
        # each source alone: an id shared with another source is a collision, reported above
        _, failures = contract_failures(records, known_groups) if records else (None, {})
        reasons = Counter(reason for problems in failures.values() for _, reason in problems)
        readings.append(
            SourceReading(
                source=source,
                files=files,
                records=len(records),
                shapes=Counter(record.shape for record in records),
                unreadable=tuple(errors),
                nested=nested,
                collisions=tuple(sorted(collisions.items())),
                refused=len(failures),
                refusal_reasons=reasons,
                compilations=compilations,
            )
        )
    return readings


def _root(source: DataSource) -> Path:
    """The folder a source's files are named from: its own, or a single file's."""
    folder = Path(source.path)
    return folder if folder.is_dir() else folder.parent


def _shown(path: Path, root: Path) -> str:
    """A file as its source knows it: relative to the source folder (two `argparse.html`)."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def _known_groups(engagement: Engagement) -> frozenset[str]:
    if engagement.users:
        try:
            return UserDirectory.load(engagement.resolve(engagement.users)).known_groups
        except PlaybookError:
            pass  # check_users reports why
    return frozenset({EVERYONE})


def data_sources_table(readings: Sequence[SourceReading]) -> pd.DataFrame:
    """One row per declared source: its files, the documents read and how they were held."""
    rows = [
        {
            "source": reading.source.name,
            "format": reading.source.format,
            "files": reading.files,
            "documents": reading.records,
            "read as": ", ".join(f"{shape} {n}" for shape, n in reading.shapes.most_common())
            or "-",
            "unreadable": len(reading.unreadable),
            "production accepts": reading.accepted,
            "shared ids": len(reading.collisions),
            "problems": "; ".join(reading.problems[:3]),
        }
        for reading in readings
    ]
    columns = [
        "source",
        "format",
        "files",
        "documents",
        "read as",
        "unreadable",
        "production accepts",
        "shared ids",
        "problems",
    ]
    return pd.DataFrame(rows, columns=columns).set_index("source")


def unreadable_table(readings: Sequence[SourceReading]) -> pd.DataFrame:
    """Every file that reads to less than it holds, with the reason: what to fix at the source."""
    rows = [
        {"source": reading.source.name, "file": file, "why": why}
        for reading in readings
        for file, why in reading.unread
    ]
    return pd.DataFrame(rows, columns=["source", "file", "why"])


def check_data_sources(readings: Sequence[SourceReading]) -> CheckResult:
    """Every declared data source reads to documents; files that read to nothing are named."""
    if not readings:
        return DATA_SOURCES.result("fail", 0, "engagement.yaml declares no data_sources")
    empty = [
        r.source.name
        if Path(r.source.path).exists()
        else f"{r.source.name} ({r.source.path} does not exist)"
        for r in readings
        if r.records == 0
    ]
    readable = len(readings) - len(empty)
    detail = (
        f"{readable} of {len(readings)} sources hold documents ("
        + ", ".join(f"{r.source.name}: {r.records} from {r.files} files" for r in readings)
        + ")"
    )
    if empty:
        detail += f"; empty, missing or unreadable: {', '.join(empty)}"
    problems = [f"{r.source.name}/{problem}" for r in readings for problem in r.problems]
    if problems:
        shown = "; ".join(problems[:NAMED_PROBLEMS])
        more = (
            f"; and {len(problems) - NAMED_PROBLEMS} more" if len(problems) > NAMED_PROBLEMS else ""
        )
        detail += f"; {len(problems)} files read to less than they hold: {shown}{more}"
    refused = [r for r in readings if r.mostly_refused]
    for reading in refused:
        detail += (
            f"; the production ingest contract refuses {reading.refused} of {reading.records} "
            f"documents of {reading.source.name} ({reading.refusal_summary}): declare what they "
            "lack under the source's defaults (id: path, groups, updated_at: file-modified)"
        )
    collisions = [(r.source.name, found) for r in readings for found in r.collisions]
    if collisions:
        shown = "; ".join(
            f"{name}: {doc_id!r} in {', '.join(files[:3])}"
            for name, (doc_id, files) in collisions[:NAMED_REASONS]
        )
        detail += (
            f"; {len(collisions)} ids are declared by more than one file, so one hides the "
            f"others ({shown}): set defaults: {{id: path}} or give each its own id"
        )
    for reading in readings:
        if not reading.compilations:
            continue
        shown = "; ".join(
            f"{file}: {page.repeated_share:.0%} of its text is in {page.documents_copied} "
            "other documents"
            for file, page in reading.compilations[:NAMED_REASONS]
        )
        files = ", ".join(repr(file) for file, _ in reading.compilations)
        detail += (
            f"; {len(reading.compilations)} documents of {reading.source.name} repeat others "
            f"({shown}), so they compete with the pages they copy in every answer: leave them "
            f"out with the source's exclude: [{files}]"
        )
    compiled = any(reading.compilations for reading in readings)
    if empty:
        return DATA_SOURCES.result("fail", readable, detail)
    return DATA_SOURCES.verdict(
        not (problems or refused or collisions or compiled), readable, detail, otherwise="warn"
    )


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
        # our own errors say what to fix in about 300 characters; a server's body may be long
        detail += f"; first error: {one_line(errors[0], ERROR_CHARS)}"
    return TARGET_ANSWERS.verdict(len(answered) == len(smoke), len(answered), detail)
