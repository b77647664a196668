"""The scripted ingest exercise of notebook 02, run on the target's data pipeline.

`run_exercise` runs one scripted sequence of ingests: baseline, an unchanged re-ingest,
validation probes, a source change, a deletion, the upstream drop, and a rollback; it asks golden
questions before, during and after the drop and records everything it observed in a
`PipelineExercise` (or says why it could not run: `Unavailable`). The checks of
`playbook.gaps.data.checks` are plain functions over that result.

The pipeline is the target's `DataPipeline` capability, run over copies of its sources in the
notebook's work folder: the reference system exercises a twin of itself, a team's system its
ingest hook. A pipeline whose run shows its per-document history (`PipelineRun.history()`) is
judged document by document; one seen only through its answers is judged on counts and answers.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import secrets
import shutil
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from playbook.engagement import DepthBudget, Engagement
from playbook.gaps.data.contract import (
    CONTRACT_FILE,
    DataContract,
    Drift,
    compare_contract,
    infer_contract,
    load_contract,
    save_contract,
)
from playbook.gaps.data.lineage import CitationTrace, LineageRecord, trace_citations, trace_lineage
from playbook.golden import GoldenItem, engagement_golden
from playbook.sources import DataSource, location_file
from playbook.sources.parsed_files import read_sources_through
from playbook.targets.base import Answer, Target
from playbook.targets.capabilities import (
    Contrast,
    DataPipeline,
    DocumentLineage,
    IngestStep,
    PipelineRun,
    capability,
    why_missing,
)

DEFAULT_DROP = "samples:corpus_v2"
COMPANION_SHARE = 0.25  # of the asking time, for the same exercise on the other profile
PROBE_SOURCE = "playbook-probes"
PHASES = ("before", "during", "after")
# the probe's own token in the question: on a large corpus a retriever without idf (a
# prototype's scan) ranks long pages full of "code" above a short probe asked for in common words
PROBE_QUESTION = "What is the code of freshness probe {token}?"
ARRIVAL_ATTEMPTS = 20  # asks after an ingest before a change counts as not arrived

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

    def serves_nothing(self) -> str | None:
        """Why there was nothing to measure after the baseline ingest (None when there was)."""
        baseline = self.step("baseline")
        if baseline is not None and baseline.ingested == 0:
            return (
                f"the baseline ingest served no document (read {baseline.read}, quarantined "
                f"{baseline.quarantined}): notebook 00 and the quarantine say why"
            )
        before = [question for question in self.asked if question.phase == "before"]
        if before and all(question.outcome == "empty" for question in before):
            return (
                f"all {len(before)} golden questions asked before the drill got an empty answer, "
                "a refusal or an error: the pipeline serves nothing to measure"
            )
        return None


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
    def from_budget(cls, budget: DepthBudget, share: float = 1.0) -> ExerciseLimits:
        """Limits sized from the run's depth budget; `share` of the asking time."""
        return cls(
            questions=budget.questions,
            seconds_per_phase=budget.probe_seconds * share,
            arrival_seconds=budget.seconds,
        )


def run_exercise(
    target: Target,
    engagement: Engagement,
    workdir: Path,
    budget: DepthBudget,
    upstream_drop: str = DEFAULT_DROP,
    data_contract: str = "",
    share: float = 1.0,
    parse_cache: Path | None = None,
) -> Exercise:
    """Run the scripted ingest sequence on the target's pipeline, or say why it cannot run;
    its question phases take at most `share` of the depth's time. `parse_cache`: the run's, so
    reading the copies of the sources parses nothing the run has parsed before.

    `upstream_drop` is a folder with one subfolder per data source (named like the source) whose
    files replace or add to that source's files. `data_contract` is a stored contract (JSON); empty
    means one inferred from the sources before the drop and saved in the work folder.
    """
    pipeline = capability(target, DataPipeline)
    if pipeline is None:
        return Unavailable(why_missing(target, DataPipeline))
    drop = _drop_folder(engagement, upstream_drop)
    golden, problem = engagement_golden(engagement)
    if problem:
        return Unavailable(f"cannot measure answer quality: {problem}", "error")
    contract = load_contract(engagement.resolve(data_contract)) if data_contract else None
    folder = Path(workdir) / f"exercise-{_slug(pipeline.label)}"
    run = pipeline.start(folder)
    result: Exercise
    try:
        limits = ExerciseLimits.from_budget(budget, share)
        sources = pipeline.sources()
        result = _Exercise(
            run, pipeline.label, sources, drop, golden, contract, limits, parse_cache
        ).run()
    except Exception as exc:  # a broken pipeline is a finding, not a crash of the notebook
        result = Unavailable(f"the exercise failed: {type(exc).__name__}: {exc}", "error")
    try:
        run.close()
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
    parse_cache: Path | None = None,
) -> Exercise | None:
    """The same exercise on the target's other profile, where it has one (None otherwise), with
    a quarter of the time to ask: it is shown for comparison, and a prototype re-reading a large
    corpus for every question spent most of a quick run on it."""
    contrast = capability(target, Contrast)
    if contrast is None:
        return None
    other = contrast.open(Path(workdir) / "contrast")
    try:
        return run_exercise(
            other,
            engagement,
            workdir,
            budget,
            upstream_drop,
            data_contract,
            COMPANION_SHARE,
            parse_cache,
        )
    finally:
        other.close()


def _slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", label).strip("-").lower() or "pipeline"


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


def served_documents(run: PipelineRun) -> dict[str, DocumentLineage] | None:
    """Every served document of a run and where it came from; None for a black box."""
    history = run.history()
    if history is None:
        return None
    found = {doc_id: history.lineage(doc_id) for doc_id in history.document_ids()}
    return {doc_id: lineage for doc_id, lineage in found.items() if lineage is not None}


class _Exercise:
    """The scripted sequence: baseline, re-ingest, probes, change, deletion, drop, rollback."""

    def __init__(
        self,
        pipeline: PipelineRun,
        label: str,
        sources: Sequence[DataSource],
        drop: Path | Unavailable,
        golden: Sequence[GoldenItem],
        contract: DataContract | None,
        limits: ExerciseLimits,
        parse_cache: Path | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.label = label
        self.drop = drop if isinstance(drop, Path) else None
        self.drop_reason = drop.reason if isinstance(drop, Unavailable) else ""
        self.golden = golden
        self.contract = contract
        self.limits = limits
        self.parse_cache = parse_cache
        self.folder = pipeline.folder
        self.visible = pipeline.history() is not None
        self.token = secrets.token_hex(3)
        self.probe_dir = self.folder / "sources" / PROBE_SOURCE
        self.sources = self._copy_sources(sources)
        self.steps: list[IngestStep] = []
        self.asked: list[AskedQuestion] = []
        self.lineage: list[LineageRecord] = []
        self.last_good_served: dict[str, str] | None = None
        self.declared: dict[str, str] = {}
        self.files_changed = True

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
        before_records, _ = read_sources_through(self.sources, self.parse_cache)
        ids_by_file: dict[str, set[str]] = defaultdict(set)
        for record in before_records:
            ids_by_file[location_file(record.path)].add(record.declared_id)
        contract_path = None
        if self.contract is None:
            self.contract = infer_contract(before_records)
            contract_path = str(save_contract(self.folder / CONTRACT_FILE, self.contract))
        drop_files = self._drop_files()
        affected = {doc for path in drop_files.values() for doc in ids_by_file.get(path, ())}
        questions = self._questions(affected)
        user = self.pipeline.probe_user or next(
            (item.user for item in self.golden if item.user), None
        )

        self._ingest("baseline", None)
        self._ask_phase("before", questions)
        self._ingest("re-ingest, nothing changed", {})
        if self.visible:
            self.last_good_served = _hashes(served_documents(self.pipeline))
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
            rollback_exact = _hashes(served_documents(self.pipeline)) == self.last_good_served
        self._ask_phase("after", questions)
        return PipelineExercise(
            label=self.label,
            visible=self.visible,
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
        before = served_documents(self.pipeline)
        step = self.pipeline.ingest(name, self.sources)
        self.files_changed = True  # citations may now trace to what the files hold
        if touched is not None:
            if before is not None:
                after = served_documents(self.pipeline) or {}
                problems = _misclassified(before, after, step, touched)
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
            history = self.pipeline.history()
            if history is not None:
                record = trace_lineage(history, doc_id)
            else:
                record = self._trace_in_files(doc_id)
            self.lineage.append(replace(record, phase=phase))

    def _trace_in_files(self, doc_id: str) -> LineageRecord:
        # Ids any file of the exercise has declared: a pipeline that serves a last good version
        # cites an id its file held before the drop.
        if self.files_changed:
            records, _ = read_sources_through(self.sources, self.parse_cache)
            self.declared.update({record.declared_id: record.location for record in records})
            self.files_changed = False
        path = self.declared.get(doc_id)
        if path is None:
            return LineageRecord("", doc_id, None, None, False, "no source file declares it")
        return LineageRecord("", doc_id, path, None, True, "ingest version not visible")

    def _probe_step(self, user: str | None) -> tuple[list[ProbeResult], bool]:
        paths = {rule: self._write_invalid_probe(rule) for rule in INVALID_PROBES}
        self._write_fresh_probe(f"A{self.token}")
        step = self._ingest("validation probes", None)
        served = served_documents(self.pipeline)
        served_files = {location_file(item.path) for item in (served or {}).values()}
        results = []
        for rule, path in paths.items():
            entry = next((q for q in step.quarantine if location_file(q.path) == str(path)), None)
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
        answer = self.pipeline.ask(PROBE_QUESTION.format(token=self.token), user)
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
            answer = self.pipeline.ask(PROBE_QUESTION.format(token=self.token), user)
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
        answer = self.pipeline.ask(PROBE_QUESTION.format(token=self.token), user)
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
        assert self.drop is not None
        contract = self.contract or DataContract(sources={})
        drop_sources = [
            source.model_copy(update={"path": str(self.drop / source.name)})
            for source in self.sources[:-1]
            if (self.drop / source.name).is_dir()
        ]
        records, errors = read_sources_through(drop_sources, self.parse_cache)
        unreadable = [
            (error.origin, drop_files.get(location_file(error.path), error.path))
            for error in errors
        ]
        drift = compare_contract(contract, records, unreadable)
        drifted = {path for _, path in unreadable} | {
            drop_files.get(location_file(record.path), record.path)
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
        served = served_documents(self.pipeline)
        reached = reported = None
        if served is not None:
            reached = {
                location_file(item.path)
                for item in served.values()
                if item.version == step.version and location_file(item.path) in drifted
            }
            flagged = {location_file(entry.path) for entry in step.quarantine} | set(step.errors)
            reported = drifted & flagged
        return drift, drifted, reached, reported


def _hashes(served: Mapping[str, DocumentLineage] | None) -> dict[str, str]:
    return {doc_id: item.content_hash for doc_id, item in (served or {}).items()}


def _utc_text() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_markdown(path: Path, meta: Mapping[str, Any], body: str) -> Path:
    text = "---\n" + yaml.safe_dump(dict(meta), sort_keys=False) + "---\n\n" + body + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def _outcome(answer: Answer, item: GoldenItem) -> Outcome:
    if answer.status in ("refused", "error") or not answer.text.strip():
        return "empty"
    return "hit" if set(answer.sources) & set(item.gold_docs) else "wrong"


def _misclassified(
    before: Mapping[str, DocumentLineage],
    after: Mapping[str, DocumentLineage],
    step: IngestStep,
    touched: Mapping[str, str],
) -> list[str]:
    """Documents whose reported change contradicts what the playbook did to their files."""
    changes = {kind: set(ids) for kind, ids in step.changes.items()}
    added, changed = changes.get("added", set()), changes.get("changed", set())
    deleted, kept = changes.get("deleted", set()), changes.get("kept_last_good", set())
    refused = {location_file(entry.path) for entry in step.quarantine} | set(step.errors)
    problems = []
    for doc_id, served in sorted(before.items()):
        file = location_file(served.path)
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
        if item is None or touched.get(location_file(item.path)) != "added":
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


def lineage_source(
    exercise: Exercise,
    target: Target,
    engagement: Engagement,
    budget: DepthBudget,
    parse_cache: Path | None = None,
) -> CitationTrace | Unavailable:
    """The citations the exercise traced when it ran, else those of the target's own answers
    (`parse_cache`: the run's, for tracing them to the declared files)."""
    if isinstance(exercise, PipelineExercise) and exercise.lineage:
        return CitationTrace(exercise.label, exercise.lineage)
    traced = trace_citations(target, engagement, budget, parse_cache)
    return traced if isinstance(traced, CitationTrace) else Unavailable(traced, "error")
