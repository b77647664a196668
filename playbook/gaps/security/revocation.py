"""Revocation: a user removed from a group, or a document deleted, must stop being served on the
very next question, not after a cache expires or an index is rebuilt overnight.

Each trial first shows the document IS served (an insider's answer cites it or quotes its facts),
then revokes, asks the same question again, and undoes the change. A trial whose first answer
did not serve the document proves nothing and is not counted.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from playbook.gaps.security.probes import AccessProbe, leaked_facts
from playbook.sources import DataSource
from playbook.targets.base import Answer, Target
from playbook.targets.capabilities import (
    AccessAdmin,
    DataPipeline,
    capability,
    why_missing,
)
from playbook.users import EVERYONE, User

TRIALS = 2


@dataclass(frozen=True)
class Trial:
    kind: str  # "group removed" or "document deleted"
    doc_id: str
    user: str
    served_before: bool
    served_after: bool | None  # None: the second answer failed

    @property
    def counted(self) -> bool:
        return self.served_before and self.served_after is not None


@dataclass
class RevocationRun:
    trials: list[Trial] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)  # kind -> why it was not tried
    missing: dict[str, str] = field(default_factory=dict)  # kind -> what to declare for it

    @property
    def counted(self) -> list[Trial]:
        return [trial for trial in self.trials if trial.counted]

    @property
    def late(self) -> list[Trial]:
        return [trial for trial in self.counted if trial.served_after]


def served(answer: Answer, probe: AccessProbe) -> bool | None:
    if answer.status == "error":
        return None
    return probe.doc_id in answer.sources or bool(leaked_facts(answer.text, probe))


def run_revocation(
    target: Target,
    probes: Sequence[AccessProbe],
    users: Sequence[User],
    paths: dict[str, Path],
    workdir: Path,
) -> RevocationRun:
    """`paths`: the file each document id was read from (to delete it from a copy)."""
    run = RevocationRun()
    _group_removal(run, target, probes, users)
    _deletion(run, target, probes, users, paths, workdir)
    return run


def _insider(probe: AccessProbe, users: Sequence[User]) -> User | None:
    return next((user for user in users if set(user.groups) & probe.groups), None)


def _group_removal(
    run: RevocationRun, target: Target, probes: Sequence[AccessProbe], users: Sequence[User]
) -> None:
    admin = capability(target, AccessAdmin)
    if admin is None:
        run.missing["group removed"] = why_missing(target, AccessAdmin)
        return
    tried = 0
    try:
        for probe in probes:
            user = _insider(probe, users)
            if user is None:
                continue
            before = served(target.ask(probe.question, user.id), probe)
            if not before:
                continue
            admin.set_groups(user.id, frozenset(user.groups) - probe.groups - {EVERYONE})
            after = served(target.ask(probe.question, user.id), probe)
            admin.restore()
            run.trials.append(Trial("group removed", probe.doc_id, user.id, True, after))
            tried += 1
            if tried >= TRIALS:
                break
    finally:
        admin.restore()
    if not tried:
        run.notes["group removed"] = "no restricted document was served to its insider first"


def _deletion(
    run: RevocationRun,
    target: Target,
    probes: Sequence[AccessProbe],
    users: Sequence[User],
    paths: dict[str, Path],
    workdir: Path,
) -> None:
    pipeline = capability(target, DataPipeline)
    if pipeline is None:
        run.missing["document deleted"] = why_missing(target, DataPipeline)
        return
    chosen = [
        (probe, user)
        for probe in probes
        if probe.doc_id in paths and (user := _insider(probe, users)) is not None
    ][: TRIALS * 3]
    if not chosen:
        run.notes["document deleted"] = "no restricted document with a known file to delete"
        return
    exercise = pipeline.start(workdir / "revocation-run")
    try:
        sources = list(pipeline.sources())
        exercise.ingest("as served", sources)
        tried = 0
        for probe, user in chosen:
            before = served(exercise.ask(probe.question, user.id), probe)
            if not before:
                continue
            copies = _without(sources, paths[probe.doc_id], exercise.folder / f"without-{tried}")
            exercise.ingest(f"{probe.doc_id} deleted", copies)
            after = served(exercise.ask(probe.question, user.id), probe)
            run.trials.append(Trial("document deleted", probe.doc_id, user.id, True, after))
            exercise.ingest("restored", sources)
            tried += 1
            if tried >= TRIALS:
                break
        if not tried:
            run.notes["document deleted"] = "no restricted document was served to its insider first"
    finally:
        exercise.close()


def _without(sources: Sequence[DataSource], gone: Path, folder: Path) -> list[DataSource]:
    """Copies of the sources without the file `gone` (the originals are never touched)."""
    copies = []
    for index, source in enumerate(sources):
        original = Path(source.path)
        copy = folder / f"{index}-{source.name}"
        if original.is_dir():
            shutil.copytree(original, copy, ignore=_ignoring(gone))
        else:
            copy.mkdir(parents=True)
            if original.resolve() != gone.resolve():
                shutil.copy(original, copy / original.name)
        copies.append(source.model_copy(update={"path": str(copy)}))
    return copies


def _ignoring(gone: Path):  # noqa: ANN202 - shutil's ignore callable
    gone = gone.resolve()

    def ignore(directory: str, names: list[str]) -> list[str]:
        return [name for name in names if (Path(directory) / name).resolve() == gone]

    return ignore


def trials_table(run: RevocationRun) -> pd.DataFrame:
    rows = [
        {
            "revocation": trial.kind,
            "document": trial.doc_id,
            "user": trial.user,
            "served before": trial.served_before,
            "served after": "undetermined" if trial.served_after is None else trial.served_after,
        }
        for trial in run.trials
    ]
    columns = ["revocation", "document", "user", "served before", "served after"]
    return pd.DataFrame(rows, columns=columns)
