"""The scripted ingest exercise of notebook 02, run on the target's data pipeline.

`run_exercise` runs one scripted sequence of ingests: baseline, an unchanged re-ingest,
validation probes, a source change, a deletion, the upstream drop, and a rollback; it asks golden
questions before, during and after the drop and records everything it observed in a
`PipelineExercise` (or says why it could not run: `Unavailable`). The checks of
`playbook.gaps.data` are plain functions over that result.

- the reference target is exercised on a *twin* of its system (same switches, same users) over a
  copy of its sources in the notebook's work folder, so neither the target nor the sources change;
- any other target needs an ingest hook (`target.ingest_hook: python:module:callable`), called as
  `hook(sources: list[DataSource])` to re-ingest the target's data from those folders. The hook
  may return a mapping with counts (`read`, `added`, `changed`, `deleted`, `unchanged`,
  `quarantined`); without one, the checks that need per-document outcomes are skipped.

Without an ingest hook, `trace_citations` still traces the sources the target's answers cite.
`quality_table` summarises answer quality per pipeline and drill phase.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import secrets
import shutil
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
import yaml

from playbook.engagement import DataSource, DepthBudget, Engagement
from playbook.errors import PlaybookError
from playbook.gaps.data_contract import (
    CONTRACT_FILE,
    DataContract,
    Drift,
    compare_contract,
    infer_contract,
    load_contract,
    save_contract,
)
from playbook.golden import GoldenItem, load_golden_set
from playbook.targets.base import Answer, Target

if TYPE_CHECKING:
    from playbook.reference.sources import SourceRecord
    from playbook.reference.system import ReferenceSystem

DEFAULT_DROP = "samples:corpus_v2"
PROBE_SOURCE = "playbook-probes"
PHASES = ("before", "during", "after")
PROBE_QUESTION = "What is the freshness probe code?"
ARRIVAL_ATTEMPTS = 20  # asks after an ingest before a change counts as not arrived
_LINE_SUFFIX = re.compile(r":\d+$")

Outcome = Literal["hit", "wrong", "empty"]
# One invalid document per rule of the ingest contract: the rule and how the probe breaks it.
INVALID_PROBES: dict[str, str] = {
    "id": "no id field",
    "title": "an empty title",
    "body": "an empty body",
    "updated_at": "a date in a local format (24/11/2026 09:15)",
    "groups": "an access group nobody has",
}


# ---------------------------------------------------------------------------------------------
# What the exercise records


@dataclass(frozen=True)
class Served:
    """One served document: where it came from and which ingest version brought its content."""

    doc_id: str
    path: str
    content_hash: str
    version: int


@dataclass(frozen=True)
class Quarantined:
    """A document the pipeline refused, as its report named it."""

    path: str
    doc_id: str | None
    check: str
    reason: str
    version: int | None


@dataclass(frozen=True)
class IngestStep:
    """One ingest (or rollback) of the exercise: the pipeline's report and what it got wrong.

    Counts are None when the pipeline does not report them (an ingest hook that returns nothing).
    """

    name: str
    version: int | None
    read: int | None
    added: int | None
    changed: int | None
    deleted: int | None
    unchanged: int | None
    quarantined: int | None
    kept_last_good: int | None = None
    duplicates: int = 0
    errors: tuple[str, ...] = ()  # files that could not be read
    quarantine: tuple[Quarantined, ...] = ()
    changes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    misclassified: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def ingested(self) -> int | None:
        """Documents of this ingest that are served: added, changed or unchanged."""
        parts = (self.added, self.changed, self.unchanged)
        return None if any(part is None for part in parts) else sum(parts)  # type: ignore[misc]

    @property
    def counts_add_up(self) -> bool | None:
        """Whether every read document is accounted for: ingested + quarantined (+ overwritten)."""
        if self.read is None or self.ingested is None or self.quarantined is None:
            return None
        return self.ingested + self.quarantined + self.duplicates == self.read


@dataclass(frozen=True)
class AskedQuestion:
    """One golden question asked in one phase of the drill, and how the answer turned out."""

    phase: str
    item_id: str
    affected: bool  # its gold documents are in files the upstream drop changes
    outcome: Outcome
    cited: tuple[str, ...]


@dataclass(frozen=True)
class ProbeResult:
    """One invalid probe document: was it kept out of the index, and quarantined with a reason?"""

    rule: str
    breaks: str
    path: str
    indexed: bool
    quarantined: bool
    check: str = ""
    reason: str = ""
    version: int | None = None

    @property
    def handled(self) -> bool:
        """Kept out of the index, with the check, the reason and the batch recorded."""
        return (
            not self.indexed
            and self.quarantined
            and bool(self.check)
            and bool(self.reason)
            and self.version is not None
        )


@dataclass(frozen=True)
class ChangeArrival:
    """A change written to a source file, and when (if ever) answers showed it."""

    arrived: bool
    seconds: float | None
    asks: int
    detail: str = ""


@dataclass(frozen=True)
class LineageRecord:
    """One cited source of one answer, and whether it traces to a file and an ingest version."""

    phase: str
    doc_id: str
    path: str | None
    version: int | None
    traced: bool
    reason: str = ""


@dataclass(frozen=True)
class Unavailable:
    """Why the exercise could not run: `skip` (not measurable here) or `error` (it broke)."""

    reason: str
    status: Literal["skip", "error"] = "skip"


@dataclass(frozen=True)
class PipelineExercise:
    """Everything one run of the scripted ingest sequence observed on one pipeline."""

    label: str
    visible: bool  # per-document outcomes (served documents, changes, quarantine) are visible
    steps: tuple[IngestStep, ...]
    asked: tuple[AskedQuestion, ...]
    probes: tuple[ProbeResult, ...]
    valid_probe_served: bool | None
    arrival: ChangeArrival
    deletion_removed: bool
    drift: tuple[Drift, ...]
    drifted_paths: tuple[str, ...]
    reached_index: tuple[str, ...] | None
    reported: tuple[str, ...] | None
    served_invalid: int | None  # served documents failing the contract after the drop
    rollback_exact: bool | None
    lineage: tuple[LineageRecord, ...]
    drop: str | None
    contract_path: str | None = None
    drop_reason: str = ""  # why no upstream drop was ingested, when none was

    def step(self, name: str) -> IngestStep | None:
        """The step with this name, if the exercise ran it."""
        return next((step for step in self.steps if step.name == name), None)

    def quality(self) -> pd.DataFrame:
        """Per phase: questions, hit rate and the shares of wrong and empty answers."""
        return quality_table([self])


Exercise = PipelineExercise | Unavailable


# ---------------------------------------------------------------------------------------------
# The exercise: one scripted sequence of ingests on a pipeline


@dataclass(frozen=True)
class ExerciseLimits:
    """How much the exercise may do: questions and seconds per phase, at most."""

    questions: int
    seconds_per_phase: float
    arrival_seconds: float  # how long a change may take to show in answers after its ingest

    @classmethod
    def from_budget(cls, budget: DepthBudget) -> ExerciseLimits:
        """Limits sized from the run's depth budget."""
        return cls(
            questions=budget.questions,
            seconds_per_phase=max(10.0, budget.seconds * 10),
            arrival_seconds=budget.seconds,
        )


def run_exercise(
    target: Target,
    engagement: Engagement,
    workdir: Path,
    budget: DepthBudget,
    upstream_drop: str = DEFAULT_DROP,
    data_contract: str = "",
    profile: str | None = None,
) -> Exercise:
    """Run the scripted ingest sequence on the target's pipeline, or say why it cannot run.

    `upstream_drop` is a folder with one subfolder per data source (named like the source) whose
    files replace or add to that source's files. `data_contract` is a stored contract (JSON); empty
    means one inferred from the sources before the drop and saved in the work folder. `profile`
    (reference targets only) exercises that preset instead of the target's own switches.
    """
    drop = _drop_folder(engagement, upstream_drop)
    try:
        golden = _golden(engagement)
    except PlaybookError as exc:
        return Unavailable(f"cannot measure answer quality: {exc}", "error")
    contract = load_contract(engagement.resolve(data_contract)) if data_contract else None
    system = _reference_system(target)
    pipeline: _Pipeline
    if system is not None:
        from playbook.reference.switches import Hardening

        hardening = Hardening.preset(profile) if profile else system.hardening
        preset = hardening.profile
        label = f"reference:{preset}" if preset != "custom" else f"{target.spec} (custom switches)"
        folder = Path(workdir) / f"exercise-{'custom' if preset == 'custom' else preset}"
        pipeline = _ReferencePipeline(system, hardening, folder)
        sources = list(system.sources)
    elif engagement.target.ingest_hook:
        from playbook.targets.python_callable import load_callable

        hook = load_callable(engagement.target.ingest_hook, search_path=engagement.folder)
        sources = [
            source.model_copy(update={"path": str(engagement.resolve(source.path))})
            for source in engagement.data_sources
        ]
        pipeline = _HookPipeline(hook, target, Path(workdir) / "exercise-hook", sources)
        label = target.spec
    else:
        return Unavailable(
            f"{target.spec} is not the reference system and engagement.yaml gives no "
            "target.ingest_hook (python:module:callable) to re-ingest its data"
        )
    result: Exercise
    try:
        limits = ExerciseLimits.from_budget(budget)
        exercise = _Exercise(pipeline, label, sources, drop, golden, contract, limits)
        result = exercise.run()
    except Exception as exc:  # a broken pipeline is a finding, not a crash of the notebook
        result = Unavailable(f"the exercise failed: {type(exc).__name__}: {exc}", "error")
    try:
        pipeline.close()
    except Exception as exc:  # the team's pipeline may be left serving the drill's copies
        result = Unavailable(
            f"re-ingesting the declared sources after the drill failed: "
            f"{type(exc).__name__}: {exc}",
            "error",
        )
    return result


def companion_exercise(
    target: Target,
    engagement: Engagement,
    workdir: Path,
    budget: DepthBudget,
    upstream_drop: str = DEFAULT_DROP,
    data_contract: str = "",
) -> Exercise | None:
    """For a reference target, the same exercise on the other preset profile (None otherwise).

    A custom mix of switches is compared with the full production profile.
    """
    system = _reference_system(target)
    if system is None:
        return None
    other = "production" if system.hardening.profile != "production" else "prototype"
    return run_exercise(
        target, engagement, workdir, budget, upstream_drop, data_contract, profile=other
    )


def _drop_folder(engagement: Engagement, upstream_drop: str) -> Path | Unavailable:
    if not upstream_drop:
        return Unavailable("no upstream drop given (notebook setting upstream_drop)")
    folder = engagement.resolve(upstream_drop)
    if not folder.is_dir():
        return Unavailable(
            f"upstream drop {folder} not found (notebook setting upstream_drop: expected a "
            "folder with one subfolder per data source)"
        )
    names = {source.name for source in engagement.data_sources}
    if not any((folder / name).is_dir() for name in names):
        return Unavailable(
            f"upstream drop {folder} has no subfolder named after a data source "
            f"(expected some of: {', '.join(sorted(names)) or 'no sources declared'})"
        )
    return folder


def _golden(engagement: Engagement) -> list[GoldenItem]:
    if not engagement.golden_set:
        raise PlaybookError(f"{engagement.file}: field 'golden_set': missing (no golden set)")
    return load_golden_set(engagement.resolve(engagement.golden_set))


def _reference_system(target: Target) -> ReferenceSystem | None:
    from playbook.targets.reference import ReferenceTarget

    return target.system if isinstance(target, ReferenceTarget) else None


def _file_of(path: str) -> str:
    """The file of a record location (a jsonl record's location ends in `:line`)."""
    return _LINE_SUFFIX.sub("", path)


class _Pipeline:
    """What the exercise needs from a pipeline; the reference and the hook pipelines give it."""

    visible = False  # per-document outcomes (served documents, changes, quarantine) are visible
    synchronous = False  # an ingest is served once it returns (no index refresh to wait for)
    folder: Path

    def ingest(self, name: str, sources: Sequence[DataSource]) -> IngestStep:
        raise NotImplementedError

    def mark(self, sources: Sequence[DataSource]) -> object:
        """Remember the served state, so `restore` can go back to it."""
        raise NotImplementedError

    def restore(self, token: object, sources: Sequence[DataSource]) -> IngestStep:
        raise NotImplementedError

    def ask(self, question: str, user: str | None) -> Answer:
        raise NotImplementedError

    def served(self) -> dict[str, Served] | None:
        return None

    def lineage_of(self, doc_id: str) -> LineageRecord | None:
        return None

    def invalid_served(self) -> int | None:
        return None

    def asker(self, golden: Sequence[GoldenItem]) -> str | None:
        return next((item.user for item in golden if item.user), None)

    def close(self) -> None:
        """Release the pipeline and remove the scratch copies (the findings are in the result)."""
        for scratch in ("sources", "system", "last-good"):
            shutil.rmtree(self.folder / scratch, ignore_errors=True)


class _ReferencePipeline(_Pipeline):
    """A twin of the reference target's system over copied sources, with its own store."""

    visible = True
    synchronous = True

    def __init__(self, system: ReferenceSystem, hardening: Any, folder: Path) -> None:
        from playbook.reference.system import ReferenceSystem

        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.folder = folder
        self.twin = ReferenceSystem(
            hardening,
            folder / "system",
            system.sources,
            system.users,
            budgets=system.budgets,
            llm=system.llm,
            top_k=system.top_k,
        )

    def ingest(self, name: str, sources: Sequence[DataSource]) -> IngestStep:
        report = self.twin.ingest(sources)
        return IngestStep(
            name=name,
            version=report.version,
            read=report.read,
            added=report.added,
            changed=report.changed,
            deleted=report.deleted,
            unchanged=report.unchanged,
            quarantined=len(report.quarantined),
            kept_last_good=report.kept_last_good,
            duplicates=report.duplicates,
            errors=tuple(_file_of(error.path) for error in report.errors),
            quarantine=tuple(
                Quarantined(entry.path, entry.doc_id, entry.check, entry.reason, entry.version)
                for entry in report.quarantined
            ),
            changes=self._changes(report.version),
            seconds=report.seconds,
        )

    def _changes(self, version: int) -> dict[str, tuple[str, ...]]:
        return {kind: tuple(ids) for kind, ids in self.twin.store.changes(version).items()}

    def mark(self, sources: Sequence[DataSource]) -> object:
        return self.twin.served_version

    def restore(self, token: object, sources: Sequence[DataSource]) -> IngestStep:
        started = time.perf_counter()
        self.twin.rollback(int(str(token)))
        info = self.twin.versions()[-1]
        return IngestStep(
            name="rollback",
            version=info.version,
            read=None,
            added=info.added,
            changed=info.changed,
            deleted=info.deleted,
            unchanged=info.unchanged,
            quarantined=None,
            changes=self._changes(info.version),
            seconds=time.perf_counter() - started,
        )

    def ask(self, question: str, user: str | None) -> Answer:
        return self.twin.ask(question, user)

    def served(self) -> dict[str, Served]:
        result = {}
        for doc_id in self.twin.store.document_ids():
            lineage = self.twin.lineage(doc_id)
            if lineage is not None:
                result[doc_id] = Served(doc_id, lineage.path, lineage.content_hash, lineage.version)
        return result

    def lineage_of(self, doc_id: str) -> LineageRecord:
        return _system_lineage(self.twin, doc_id)

    def invalid_served(self) -> int:
        """Served documents that fail the ingest contract's pandera schema, checked afresh."""
        from pandera.errors import SchemaErrors

        from playbook.reference.validation import document_schema

        store = self.twin.store
        rows = [
            {
                "id": doc.id,
                "title": doc.title,
                "body": doc.body,
                "updated_at": doc.updated_at,
                "groups": list(doc.groups),
            }
            for doc in (store.document(doc_id) for doc_id in store.document_ids())
            if doc is not None
        ]
        if not rows:
            return 0
        try:
            document_schema(self.twin.users.known_groups).validate(
                pd.DataFrame(rows, dtype=object), lazy=True
            )
        except SchemaErrors as exc:
            return int(exc.failure_cases["index"].dropna().nunique())
        return 0

    def asker(self, golden: Sequence[GoldenItem]) -> str | None:
        users = self.twin.users.users
        return users[0].id if users else super().asker(golden)

    def close(self) -> None:
        self.twin.close()
        super().close()


class _HookPipeline(_Pipeline):
    """A team's own pipeline, driven through its ingest hook and measured through its answers."""

    def __init__(
        self,
        hook: Callable[..., Any],
        target: Target,
        folder: Path,
        originals: Sequence[DataSource],
    ) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.hook = hook
        self.target = target
        self.folder = folder
        self.originals = list(originals)
        self.touched = False

    def ingest(self, name: str, sources: Sequence[DataSource]) -> IngestStep:
        started = time.perf_counter()
        self.touched = True
        counts = _hook_counts(self.hook(list(sources)))
        return IngestStep(
            name=name,
            version=None,
            read=counts["read"],
            added=counts["added"],
            changed=counts["changed"],
            deleted=counts["deleted"],
            unchanged=counts["unchanged"],
            quarantined=counts["quarantined"],
            seconds=time.perf_counter() - started,
        )

    def mark(self, sources: Sequence[DataSource]) -> object:
        snapshot = self.folder / "last-good"
        shutil.rmtree(snapshot, ignore_errors=True)
        for source in sources:
            shutil.copytree(source.path, snapshot / source.name)
        return snapshot

    def restore(self, token: object, sources: Sequence[DataSource]) -> IngestStep:
        # an ingest hook has no rollback: re-ingest the sources as they were before the drop
        snapshot = Path(str(token))
        for source in sources:
            shutil.rmtree(source.path)
            shutil.copytree(snapshot / source.name, source.path)
        return self.ingest("rollback", sources)

    def ask(self, question: str, user: str | None) -> Answer:
        return self.target.ask(question, user)

    def close(self) -> None:
        # the drill fed the team's pipeline copies: give it its declared sources back
        try:
            if self.touched:
                self.hook(list(self.originals))
        finally:
            super().close()


def _system_lineage(system: ReferenceSystem, doc_id: str, phase: str = "") -> LineageRecord:
    """A served document's file and ingest version, checked to exist."""
    lineage = system.lineage(doc_id)
    if lineage is None:
        return LineageRecord(phase, doc_id, None, None, False, "not a served document")
    problems = []
    if not lineage.path or not Path(_file_of(lineage.path)).is_file():
        problems.append(f"source file {lineage.path or '(none)'} does not exist")
    if lineage.version not in {info.version for info in system.versions()}:
        problems.append(f"ingest version {lineage.version} is not recorded")
    return LineageRecord(
        phase, doc_id, lineage.path, lineage.version, not problems, "; ".join(problems)
    )


def _hook_counts(result: object) -> dict[str, int | None]:
    counts: dict[str, int | None] = {}
    for name in ("read", "added", "changed", "deleted", "unchanged", "quarantined"):
        value = result.get(name) if isinstance(result, Mapping) else getattr(result, name, None)
        if isinstance(value, list | tuple):
            value = len(value)
        counts[name] = value if isinstance(value, int) and not isinstance(value, bool) else None
    return counts


class _Exercise:
    """The scripted sequence: baseline, re-ingest, probes, change, deletion, drop, rollback."""

    def __init__(
        self,
        pipeline: _Pipeline,
        label: str,
        sources: Sequence[DataSource],
        drop: Path | Unavailable,
        golden: Sequence[GoldenItem],
        contract: DataContract | None,
        limits: ExerciseLimits,
    ) -> None:
        self.pipeline = pipeline
        self.label = label
        self.drop = drop if isinstance(drop, Path) else None
        self.drop_reason = drop.reason if isinstance(drop, Unavailable) else ""
        self.golden = golden
        self.contract = contract
        self.limits = limits
        self.folder = pipeline.folder
        self.token = secrets.token_hex(3)
        self.probe_dir = self.folder / "sources" / PROBE_SOURCE
        self.sources = self._copy_sources(sources)
        self.steps: list[IngestStep] = []
        self.asked: list[AskedQuestion] = []
        self.lineage: list[LineageRecord] = []
        self.last_good_served: dict[str, str] | None = None
        self.declared: dict[str, str] | None = None

    def _copy_sources(self, sources: Sequence[DataSource]) -> list[DataSource]:
        copies = []
        for source in sources:
            origin = Path(source.path)
            copy = self.folder / "sources" / source.name
            if origin.is_file():
                copy.mkdir(parents=True)
                shutil.copy2(origin, copy / origin.name)
            elif origin.is_dir():
                shutil.copytree(origin, copy)
            else:
                copy.mkdir(parents=True)
            copies.append(source.model_copy(update={"path": str(copy)}))
        self.probe_dir.mkdir(parents=True)
        copies.append(DataSource(name=PROBE_SOURCE, path=str(self.probe_dir), format="markdown"))
        return copies

    def run(self) -> PipelineExercise:
        from playbook.reference.sources import read_sources

        before_records, _ = read_sources(self.sources)
        ids_by_file: dict[str, set[str]] = defaultdict(set)
        for record in before_records:
            ids_by_file[_file_of(record.path)].add(_declared_id(record))
        contract_path = None
        if self.contract is None:
            self.contract = infer_contract(before_records)
            contract_path = str(save_contract(self.folder / CONTRACT_FILE, self.contract))
        drop_files = self._drop_files()
        affected = {doc for path in drop_files.values() for doc in ids_by_file.get(path, ())}
        questions = self._questions(affected)
        user = self.pipeline.asker(self.golden)

        self._ingest("baseline", None)
        self._ask_phase("before", questions)
        self._ingest("re-ingest, nothing changed", {})
        if self.pipeline.visible:
            self.last_good_served = _hashes(self.pipeline.served())
        last_good = self.pipeline.mark(self.sources)
        probes, valid_served = self._probe_step(user)
        arrival = self._change_step(user)
        deletion_removed = self._deletion_step(user)
        drift: list[Drift] = []
        drifted: set[str] = set()
        reached = reported = None
        if self.drop is not None:
            drift, drifted, reached, reported = self._drop_step(drop_files)
            self._ask_phase("during", questions)
        invalid = self.pipeline.invalid_served()
        self.steps.append(self.pipeline.restore(last_good, self.sources))
        rollback_exact = None
        if self.last_good_served is not None:
            rollback_exact = _hashes(self.pipeline.served()) == self.last_good_served
        self._ask_phase("after", questions)
        return PipelineExercise(
            label=self.label,
            visible=self.pipeline.visible,
            steps=tuple(self.steps),
            asked=tuple(self.asked),
            probes=tuple(probes),
            valid_probe_served=valid_served,
            arrival=arrival,
            deletion_removed=deletion_removed,
            drift=tuple(drift),
            drifted_paths=tuple(sorted(drifted)),
            reached_index=None if reached is None else tuple(sorted(reached)),
            reported=None if reported is None else tuple(sorted(reported)),
            served_invalid=invalid,
            rollback_exact=rollback_exact,
            lineage=tuple(self.lineage),
            drop=str(self.drop) if self.drop else None,
            contract_path=contract_path,
            drop_reason=self.drop_reason,
        )

    def _ingest(self, name: str, touched: Mapping[str, str] | None) -> IngestStep:
        """Ingest, and judge the classification against what the playbook did to the files.

        `touched` maps file paths to `modified` (content changed), `rewritten` (file replaced,
        content may be equal), `removed` or `added`; None means no expectation (the baseline).
        """
        before = self.pipeline.served()
        step = self.pipeline.ingest(name, self.sources)
        if touched is not None:
            if before is not None:
                problems = _misclassified(before, self.pipeline.served() or {}, step, touched)
            else:
                problems = _count_problems(step, touched)
            step = replace(step, misclassified=tuple(problems))
        self.steps.append(step)
        return step

    def _questions(self, affected: set[str]) -> list[tuple[GoldenItem, bool]]:
        answerable = [item for item in self.golden if item.answerable and item.gold_docs]
        touched = [item for item in answerable if affected & set(item.gold_docs)]
        others = [item for item in answerable if not affected & set(item.gold_docs)]
        rng = random.Random(20261120)
        size = max(1, self.limits.questions)
        take = min(len(touched), max(1, (3 * size) // 4))
        chosen = [(item, True) for item in rng.sample(touched, take)]
        chosen += [(item, False) for item in rng.sample(others, min(len(others), size - take))]
        return sorted(chosen, key=lambda pair: pair[0].id)

    def _ask_phase(self, phase: str, questions: Sequence[tuple[GoldenItem, bool]]) -> None:
        deadline = time.monotonic() + self.limits.seconds_per_phase
        for item, affected in questions:
            if time.monotonic() > deadline:
                break
            answer = self.pipeline.ask(item.question, item.user)
            self.asked.append(
                AskedQuestion(phase, item.id, affected, _outcome(answer, item), answer.sources)
            )
            if phase != "after":
                self._trace(phase, answer)

    def _trace(self, phase: str, answer: Answer) -> None:
        for doc_id in answer.sources:
            record = self.pipeline.lineage_of(doc_id) or self._trace_in_files(doc_id)
            self.lineage.append(replace(record, phase=phase))

    def _trace_in_files(self, doc_id: str) -> LineageRecord:
        if self.declared is None:
            from playbook.reference.sources import read_sources

            records, _ = read_sources(self.sources)
            self.declared = {_declared_id(record): record.location for record in records}
        path = self.declared.get(doc_id)
        if path is None:
            return LineageRecord("", doc_id, None, None, False, "no source file declares it")
        return LineageRecord("", doc_id, path, None, True, "ingest version not visible")

    def _probe_step(self, user: str | None) -> tuple[list[ProbeResult], bool]:
        paths = {rule: self._write_invalid_probe(rule) for rule in INVALID_PROBES}
        self._write_fresh_probe(f"A{self.token}")
        step = self._ingest("validation probes", None)
        served = self.pipeline.served()
        served_files = {_file_of(item.path) for item in (served or {}).values()}
        results = []
        for rule, path in paths.items():
            entry = next((q for q in step.quarantine if _file_of(q.path) == str(path)), None)
            if served is not None:
                indexed = str(path) in served_files
            else:  # seen through answers only: a probe with no text to quote may go unseen
                question = f"Which rule does validation probe {self.token} {rule} break?"
                answer = self.pipeline.ask(question, user)
                probe_id = f"PROBE-{self.token}-{rule.upper().replace('_', '-')}"
                indexed = f"breaks the {rule} rule" in answer.text or probe_id in answer.sources
            results.append(
                ProbeResult(
                    rule=rule,
                    breaks=INVALID_PROBES[rule],
                    path=str(path),
                    indexed=indexed,
                    quarantined=entry is not None,
                    check=entry.check if entry else "",
                    reason=entry.reason if entry else "",
                    version=entry.version if entry else None,
                )
            )
        answer = self.pipeline.ask(PROBE_QUESTION, user)
        return results, f"A{self.token}" in answer.text

    def _write_invalid_probe(self, rule: str) -> Path:
        meta: dict[str, Any] = {
            "id": f"PROBE-{self.token}-{rule.upper().replace('_', '-')}",
            "title": f"Validation probe {self.token} {rule}",
            "source": PROBE_SOURCE,
            "owner": "playbook",
            "updated_at": _utc_text(),
            "groups": ["all-staff"],
        }
        body = f"Validation probe {self.token} breaks the {rule} rule and must never be indexed."
        if rule == "id":
            del meta["id"]
        elif rule == "title":
            meta["title"] = ""
        elif rule == "body":
            body = ""
        elif rule == "updated_at":
            meta["updated_at"] = "24/11/2026 09:15"
        elif rule == "groups":
            meta["groups"] = [f"playbook-nobody-{self.token}"]
        return _write_markdown(self.probe_dir / f"probe-{self.token}-{rule}.md", meta, body)

    def _write_fresh_probe(self, code: str) -> Path:
        meta = {
            "id": f"PROBE-{self.token}-FRESH",
            "title": f"Freshness probe {self.token}",
            "source": PROBE_SOURCE,
            "owner": "playbook",
            "updated_at": _utc_text(),
            "groups": ["all-staff"],
        }
        body = (
            f"The freshness probe code is {code}. The playbook writes this page to measure how "
            "long a change takes to reach answers."
        )
        return _write_markdown(self.probe_dir / f"probe-{self.token}-fresh.md", meta, body)

    def _change_step(self, user: str | None) -> ChangeArrival:
        code = f"B{self.token}"
        started = time.perf_counter()
        path = self._write_fresh_probe(code)
        self._ingest("source change", {str(path): "modified"})
        attempts = 2 if self.pipeline.synchronous else ARRIVAL_ATTEMPTS
        deadline = time.monotonic() + self.limits.arrival_seconds
        asks, text = 0, ""
        while asks < attempts and (asks == 0 or time.monotonic() < deadline):
            asks += 1
            answer = self.pipeline.ask(PROBE_QUESTION, user)
            if code in answer.text:
                return ChangeArrival(True, time.perf_counter() - started, asks)
            text = answer.text
            if not self.pipeline.synchronous:  # an index refreshed in the background
                time.sleep(min(0.05 * asks, 0.5))
        shown = text[:120].replace("\n", " ")
        return ChangeArrival(False, None, asks, f"after {asks} asks the answer reads {shown!r}")

    def _deletion_step(self, user: str | None) -> bool:
        removed = {}
        for path in sorted(self.probe_dir.glob("*.md")):
            path.unlink()
            removed[str(path)] = "removed"
        self._ingest("deletion", removed)
        answer = self.pipeline.ask(PROBE_QUESTION, user)
        return f"PROBE-{self.token}-FRESH" not in answer.sources and self.token not in answer.text

    def _drop_files(self) -> dict[str, str]:
        """Each file of the drop and the workspace file it replaces (or adds)."""
        files: dict[str, str] = {}
        if self.drop is None:
            return files
        for source in self.sources[:-1]:
            folder = self.drop / source.name
            if not folder.is_dir():
                continue
            for path in sorted(folder.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    files[str(path)] = str(Path(source.path) / path.relative_to(folder))
        return files

    def _drop_step(
        self, drop_files: Mapping[str, str]
    ) -> tuple[list[Drift], set[str], set[str] | None, set[str] | None]:
        from playbook.reference.sources import read_sources

        assert self.drop is not None
        contract = self.contract or DataContract(sources={})
        drop_sources = [
            source.model_copy(update={"path": str(self.drop / source.name)})
            for source in self.sources[:-1]
            if (self.drop / source.name).is_dir()
        ]
        records, errors = read_sources(drop_sources)
        unreadable = [
            (error.origin, drop_files.get(_file_of(error.path), error.path)) for error in errors
        ]
        drift = compare_contract(contract, records, unreadable)
        drifted = {path for _, path in unreadable} | {
            drop_files.get(_file_of(record.path), record.path)
            for record in records
            if compare_contract(contract, [record], [])
        }
        touched = {}
        for dropped, workspace in drop_files.items():
            target = Path(workspace)
            if not target.exists():
                touched[workspace] = "added"
            elif target.read_bytes() != Path(dropped).read_bytes():
                touched[workspace] = "rewritten"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(dropped, target)
        step = self._ingest("upstream drop", touched)
        served = self.pipeline.served()
        reached = reported = None
        if served is not None:
            reached = {
                _file_of(item.path)
                for item in served.values()
                if item.version == step.version and _file_of(item.path) in drifted
            }
            flagged = {_file_of(entry.path) for entry in step.quarantine} | set(step.errors)
            reported = drifted & flagged
        return drift, drifted, reached, reported


def _hashes(served: Mapping[str, Served] | None) -> dict[str, str]:
    return {doc_id: item.content_hash for doc_id, item in (served or {}).items()}


def _utc_text() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _declared_id(record: SourceRecord) -> str:
    from playbook.reference.documents import scalar_text

    return scalar_text(record.fields.get("id")) or record.fallback_id


def _write_markdown(path: Path, meta: Mapping[str, Any], body: str) -> Path:
    text = "---\n" + yaml.safe_dump(dict(meta), sort_keys=False) + "---\n\n" + body + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def _outcome(answer: Answer, item: GoldenItem) -> Outcome:
    if answer.status in ("refused", "error") or not answer.text.strip():
        return "empty"
    return "hit" if set(answer.sources) & set(item.gold_docs) else "wrong"


def _misclassified(
    before: Mapping[str, Served],
    after: Mapping[str, Served],
    step: IngestStep,
    touched: Mapping[str, str],
) -> list[str]:
    """Documents whose reported change contradicts what the playbook did to their files."""
    changes = {kind: set(ids) for kind, ids in step.changes.items()}
    added, changed = changes.get("added", set()), changes.get("changed", set())
    deleted, kept = changes.get("deleted", set()), changes.get("kept_last_good", set())
    refused = {_file_of(entry.path) for entry in step.quarantine} | set(step.errors)
    problems = []
    for doc_id, served in sorted(before.items()):
        file = _file_of(served.path)
        what = touched.get(file)
        if what is None:
            if doc_id in added | changed | deleted:
                problems.append(f"{doc_id}: its file did not change, yet it was reported changed")
        elif what == "removed":
            if doc_id not in deleted:
                problems.append(f"{doc_id}: its file was removed, yet it was not reported deleted")
        elif doc_id in deleted and file not in refused:
            problems.append(f"{doc_id}: reported deleted though its file still holds it")
        elif what == "modified" and doc_id not in changed | kept | deleted:
            problems.append(f"{doc_id}: its content changed, yet it was reported unchanged")
    for doc_id in sorted(added):
        item = after.get(doc_id)
        if item is None or touched.get(_file_of(item.path)) != "added":
            problems.append(f"{doc_id}: reported added, but no new document was written")
    return problems


def _count_problems(step: IngestStep, touched: Mapping[str, str]) -> list[str]:
    """Without per-document changes: reported counts that what was done cannot explain."""
    if step.added is None or step.deleted is None or step.changed is None:
        return []
    kinds = Counter(touched.values())
    problems = []
    if step.added > kinds["added"]:
        problems.append(f"{step.added} reported added, {kinds['added']} new files written")
    if step.deleted > kinds["removed"] + (step.quarantined or 0):
        problems.append(f"{step.deleted} reported deleted, {kinds['removed']} files removed")
    if step.changed > kinds["modified"] + kinds["rewritten"]:
        problems.append(
            f"{step.changed} reported changed, {kinds['modified'] + kinds['rewritten']} "
            "files changed"
        )
    if kinds["modified"] and step.changed == 0:
        problems.append("a document's content changed, yet nothing was reported changed")
    return problems


# ---------------------------------------------------------------------------------------------
# Lineage of a target that is not the reference system and has no ingest hook


def trace_citations(target: Target, engagement: Engagement, budget: DepthBudget) -> Exercise:
    """Ask golden questions and trace each cited source: through the reference system's own
    lineage, or else to a file of the engagement's declared sources."""
    from playbook.golden import sample_golden
    from playbook.reference.sources import read_sources

    try:
        golden = _golden(engagement)
    except PlaybookError as exc:
        return Unavailable(f"cannot ask golden questions: {exc}", "error")
    sources = [
        source.model_copy(update={"path": str(engagement.resolve(source.path))})
        for source in engagement.data_sources
    ]
    system = _reference_system(target)
    records, _ = read_sources(sources) if system is None else ([], [])
    declared = {_declared_id(record): record.location for record in records}
    answerable = [item for item in golden if item.answerable]
    deadline = time.monotonic() + max(10.0, budget.seconds * 10)
    traced: list[LineageRecord] = []
    for item in sample_golden(answerable, budget.questions):
        if time.monotonic() > deadline:
            break
        for doc_id in target.ask(item.question, item.user).sources:
            if system is not None:
                traced.append(_system_lineage(system, doc_id, "before"))
                continue
            path = declared.get(doc_id)
            traced.append(
                LineageRecord(
                    "before",
                    doc_id,
                    path,
                    None,
                    path is not None,
                    "ingest version not visible" if path else "no declared source file holds it",
                )
            )
    return _citations_only(target.spec, traced)


def _citations_only(label: str, records: Sequence[LineageRecord]) -> PipelineExercise:
    return PipelineExercise(
        label=label,
        visible=False,
        steps=(),
        asked=(),
        probes=(),
        valid_probe_served=None,
        arrival=ChangeArrival(False, None, 0, "no ingest hook"),
        deletion_removed=False,
        drift=(),
        drifted_paths=(),
        reached_index=None,
        reported=None,
        served_invalid=None,
        rollback_exact=None,
        lineage=tuple(records),
        drop=None,
    )


# ---------------------------------------------------------------------------------------------
# Answer quality per drill phase


def quality_table(exercises: Iterable[Exercise | None]) -> pd.DataFrame:
    """Per pipeline and phase: questions, hit rate, and the shares of wrong and empty answers."""
    rows = []
    for exercise in exercises:
        if not isinstance(exercise, PipelineExercise):
            continue
        for phase in PHASES:
            answers = [q for q in exercise.asked if q.phase == phase]
            if not answers:
                continue
            count = Counter(q.outcome for q in answers)
            affected = [q for q in answers if q.affected]
            rows.append(
                {
                    "pipeline": exercise.label,
                    "phase": phase,
                    "questions": len(answers),
                    "hit rate": round(count["hit"] / len(answers), 3),
                    "wrong": round(count["wrong"] / len(answers), 3),
                    "empty": round(count["empty"] / len(answers), 3),
                    "hit rate on dropped documents": round(
                        sum(q.outcome == "hit" for q in affected) / len(affected), 3
                    )
                    if affected
                    else None,
                }
            )
    columns = ["pipeline", "phase", "questions", "hit rate", "wrong", "empty"]
    return pd.DataFrame(rows, columns=[*columns, "hit rate on dropped documents"])
