"""Data pipeline checks (notebook 02): is the data fresh, validated, versioned and recoverable?

A prototype runs against a static snapshot; production needs data that is current, validated and
recoverable when an upstream source changes. Every check here measures the target's data path:

- the reference target is exercised on a *twin* of its system (same switches, same users) over a
  copy of its sources in the notebook's work folder, so neither the target nor the sources change;
- any other target is measured through the engagement's declared sources and the sources its
  answers cite; the drill needs an ingest hook (`target.ingest_hook: python:module:callable`),
  called as `hook(sources: list[DataSource])` to re-ingest the target's data from those folders.
  The hook may return a mapping with counts (`read`, `added`, `changed`, `deleted`, `unchanged`,
  `quarantined`); without one, the checks that need per-document outcomes are skipped.

The exercise (`run_exercise`) is one scripted sequence of ingests: baseline, an unchanged re-ingest,
validation probes, a source change, a deletion, the upstream drop, and a rollback. Each check is a
plain function over its result.
"""

from __future__ import annotations

import datetime as dt
import math
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
import plotly.graph_objects as go
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from playbook.charts import STATUS_COLOURS
from playbook.engagement import DataSource, DepthBudget, Engagement
from playbook.errors import PlaybookError, describe_validation_error
from playbook.evidence import CheckResult, write_json_atomic
from playbook.golden import GoldenItem, load_golden_set
from playbook.targets.base import Answer, Target

if TYPE_CHECKING:
    from playbook.decisions import UpdateCadence
    from playbook.reference.sources import SourceRecord
    from playbook.reference.system import ReferenceSystem

AREA = "data"
DEFAULT_DROP = "samples:corpus_v2"
CONTRACT_FILE = "data_contract.json"
PROBE_SOURCE = "playbook-probes"
PHASES = ("before", "during", "after")
PROBE_QUESTION = "What is the freshness probe code?"
ARRIVAL_ATTEMPTS = 20  # asks after an ingest before a change counts as not arrived
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
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
class Drift:
    """One way the upstream drop differs from the stored contract of its source."""

    source: str
    field: str
    change: Literal["missing", "new", "kind", "unreadable"]
    expected: str
    observed: str
    documents: int
    example: str


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
# The stored contract of each source's fields, and drift against it


class FieldContract(BaseModel):
    """The kinds of value one field held, and whether every document had it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kinds: tuple[str, ...]
    required: bool


class SourceContract(BaseModel):
    """The fields of one source's documents as the contract records them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    documents: int
    fields: dict[str, FieldContract]


class DataContract(BaseModel):
    """Per source, the fields and value kinds an ingest may expect (stored as JSON)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sources: dict[str, SourceContract]


def value_kind(value: object) -> str:
    """The kind of a raw field value, fine enough to see a date or list turned into text."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dt.datetime | dt.date):
        return "datetime"
    if isinstance(value, str):
        if not value.strip():
            return "empty text"
        return "iso-datetime" if ISO_UTC.match(value.strip()) else "text"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def infer_contract(records: Iterable[SourceRecord]) -> DataContract:
    """Per source, each field's value kinds and whether every record sets it."""
    kinds: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    present: dict[str, Counter[str]] = defaultdict(Counter)
    totals: Counter[str] = Counter()
    for record in records:
        totals[record.origin] += 1
        for name, value in record.fields.items():
            kinds[record.origin][name].add(value_kind(value))
            present[record.origin][name] += 1
    return DataContract(
        sources={
            source: SourceContract(
                documents=total,
                fields={
                    name: FieldContract(
                        kinds=tuple(sorted(kinds[source][name])),
                        required=present[source][name] == total,
                    )
                    for name in sorted(kinds[source])
                },
            )
            for source, total in sorted(totals.items())
        }
    )


def save_contract(path: Path, contract: DataContract) -> Path:
    """Write the contract as JSON, atomically."""
    return write_json_atomic(Path(path), contract.model_dump(mode="json"))


def load_contract(path: Path) -> DataContract:
    """Read a stored contract; a missing or malformed file is a PlaybookError naming it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlaybookError(f"{path}: cannot read the data contract ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)  # JSON is YAML: one reader, clear line numbers
    except yaml.YAMLError as exc:
        raise PlaybookError(f"{path}: not valid JSON ({exc})") from None
    try:
        return DataContract.model_validate(data)
    except ValidationError as exc:
        raise describe_validation_error(path, exc) from None


def compare_contract(
    contract: DataContract, records: Iterable[SourceRecord], unreadable: Iterable[tuple[str, str]]
) -> list[Drift]:
    """Every field a record lacks, adds or holds in a new kind; unreadable files too."""
    found: dict[tuple[str, str, str], dict[str, Any]] = {}

    def note(source: str, name: str, change: str, expected: str, observed: str, where: str):
        key = (source, name, change)
        entry = found.setdefault(
            key, {"expected": expected, "observed": Counter(), "paths": [], "example": where}
        )
        entry["observed"][observed] += 1
        entry["paths"].append(where)

    for record in records:
        expected = contract.sources.get(record.origin)
        if expected is None:
            continue
        for name, spec in expected.fields.items():
            if name not in record.fields:
                if spec.required:
                    note(record.origin, name, "missing", "always present", "absent", record.path)
                continue
            kind = value_kind(record.fields[name])
            if kind not in spec.kinds:
                note(record.origin, name, "kind", " or ".join(spec.kinds), kind, record.path)
        for name, value in record.fields.items():
            if name not in expected.fields:
                note(
                    record.origin,
                    name,
                    "new",
                    "not in the contract",
                    value_kind(value),
                    record.path,
                )
    for source, path in unreadable:
        note(source, "(file)", "unreadable", "a readable file", "unreadable", path)
    return [
        Drift(
            source=source,
            field=name,
            change=change,  # type: ignore[arg-type]
            expected=entry["expected"],
            observed=", ".join(kind for kind, _ in entry["observed"].most_common()),
            documents=len(set(entry["paths"])),
            example=entry["example"],
        )
        for (source, name, change), entry in sorted(found.items())
    ]


# ---------------------------------------------------------------------------------------------
# Freshness


def freshness_table(
    target: Target,
    engagement: Engagement,
    window: UpdateCadence,
    now: dt.datetime | None = None,
) -> pd.DataFrame:
    """Per source: age (hours) of the newest and oldest data served, judged against the window.

    For the reference target the ages come from its ingest versions (a document kept from an
    earlier version is as old as that version) and the oldest age is judged. Other targets show
    only their declared source files: the newest file bounds how fresh the target can be.
    """
    now = now or dt.datetime.now(dt.UTC)
    system = _reference_system(target)
    if system is not None:
        rows, judged = _reference_freshness(system, now), "oldest_age_h"
    else:
        rows, judged = _file_freshness(engagement, now), "newest_age_h"
    columns = ["source", "newest_age_h", "oldest_age_h", "held_back", "basis"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["age_h"] = frame[judged]
    frame["status"] = [_age_status(age, window) for age in frame["age_h"]]
    return frame


def _age_status(age: float | None, window: UpdateCadence) -> str:
    if age is None or (isinstance(age, float) and math.isnan(age)):
        return "fail"
    if age > window.error_after_hours:
        return "fail"
    return "warn" if age > window.warn_after_hours else "pass"


def _parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _hours(now: dt.datetime, then: dt.datetime) -> float:
    return max(0.0, (now - then).total_seconds() / 3600)


def _reference_freshness(system: ReferenceSystem, now: dt.datetime) -> list[dict[str, Any]]:
    versions = system.versions()
    by_number = {info.version: info for info in versions}
    served = versions[-1] if versions else None
    # A rollback serves an earlier version's documents: the data is as old as that version.
    while served is not None and served.kind == "rollback" and served.rolled_back_to:
        served = by_number.get(served.rolled_back_to)
    rows = []
    for source in system.sources:
        ingests = [
            info
            for info in versions
            if info.kind == "ingest"
            and source.name in info.origins
            and (served is None or info.version <= served.version)
        ]
        if not ingests:
            rows.append(
                {
                    "source": source.name,
                    "newest_age_h": None,
                    "oldest_age_h": None,
                    "basis": "never ingested",
                    "held_back": 0,
                }
            )
            continue
        newest = ingests[-1]
        newest_age = _hours(now, _parse_time(newest.finished_at))
        oldest_age = newest_age
        kept = {
            doc_id
            for doc_id in system.store.changes(newest.version).get("kept_last_good", [])
            if (lineage := system.lineage(doc_id)) is not None and lineage.origin == source.name
        }
        held_back = len(kept)
        for earlier in reversed(ingests[:-1]):
            if not kept:
                break
            oldest_age = _hours(now, _parse_time(earlier.finished_at))
            kept &= set(system.store.changes(earlier.version).get("kept_last_good", []))
        rows.append(
            {
                "source": source.name,
                "newest_age_h": newest_age,
                "oldest_age_h": oldest_age,
                "basis": "the target's ingest versions",
                "held_back": held_back,
            }
        )
    return rows


def _file_freshness(engagement: Engagement, now: dt.datetime) -> list[dict[str, Any]]:
    from playbook.reference.sources import source_files

    rows = []
    for source in engagement.data_sources:
        folder = engagement.resolve(source.path)
        files = source_files(folder, source.format) if folder.exists() else []
        if not files:
            rows.append(
                {
                    "source": source.name,
                    "newest_age_h": None,
                    "oldest_age_h": None,
                    "basis": "no source files",
                    "held_back": 0,
                }
            )
            continue
        times = [dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC) for path in files]
        rows.append(
            {
                "source": source.name,
                "newest_age_h": _hours(now, max(times)),
                "oldest_age_h": _hours(now, min(times)),
                "basis": "source file times (what the target can have at best)",
                "held_back": 0,
            }
        )
    return rows


def check_freshness(
    table: pd.DataFrame, window: UpdateCadence, exercise: Exercise | None = None
) -> CheckResult:
    """The served data is younger than the decided window, and a source change reaches answers."""
    base = {
        "area": AREA,
        "id": "data.freshness",
        "title": "Served data is within the freshness window and a change reaches answers",
        "expected": f"<= {window.warn_after_hours:g} h (warn after), <= "
        f"{window.error_after_hours:g} h (error after); cadence + change lag <= "
        f"{window.error_after_hours:g} h",
        "unit": "hours (age of the served data, worst source)",
        "remedy": "freshness-slo",
        "decision": "update-cadence",
    }
    if table.empty:
        return CheckResult(**base, status="error", detail="no data source to measure")
    statuses = set(table["status"])
    status = "fail" if "fail" in statuses else "warn" if "warn" in statuses else "pass"
    ages = [age for age in table["age_h"] if age is not None and not pd.isna(age)]
    observed = round(max(ages), 4) if len(ages) == len(table) else None
    details = [
        f"{row.source}: newest {_fmt_age(row.newest_age_h)}, oldest {_fmt_age(row.oldest_age_h)}"
        + (f", {row.held_back} documents held back" if row.held_back else "")
        + f" [{row.status}]"
        for row in table.itertuples()
    ]
    detail = "; ".join(details) + f" (from {table['basis'].iloc[0]})"
    if isinstance(exercise, PipelineExercise):
        arrival = exercise.arrival
        if not arrival.arrived:
            status = "fail"
            detail += f". A source change never reached answers: {arrival.detail}"
        else:
            worst_lag = window.cadence_hours + (arrival.seconds or 0.0) / 3600
            detail += (
                f". A source change reached answers {arrival.seconds:.2f} s after it was "
                f"written; with a {window.cadence_hours:g} h cadence the worst-case lag is "
                f"{worst_lag:.2f} h"
            )
            if worst_lag > window.error_after_hours:
                status = "fail"
    else:
        why = exercise.reason if isinstance(exercise, Unavailable) else "no exercise was run"
        detail += f". Change lag not measured: {why}"
    return CheckResult(**base, status=status, observed=observed, detail=detail)


def _fmt_age(age: float | None) -> str:
    if age is None or pd.isna(age):
        return "unknown"
    return f"{age * 3600:.1f} s" if age < 1 / 60 else f"{age:.2f} h"


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
# Checks over the exercise


def _unmeasured(base: Mapping[str, Any], exercise: Exercise) -> CheckResult | None:
    """The result for an exercise that did not run, or None when it ran."""
    if isinstance(exercise, Unavailable):
        return CheckResult(**base, status=exercise.status, detail=exercise.reason)
    if not exercise.steps:
        reason = "the target is measured through its answers only: no ingest hook"
        return CheckResult(**base, status="skip", detail=reason)
    return None


def check_validation(exercise: Exercise) -> CheckResult:
    """Invalid documents are quarantined with check, reason and batch, never indexed, never lost."""
    base = {
        "area": AREA,
        "id": "data.validation",
        "title": "Invalid documents are quarantined with a reason and never indexed",
        "expected": "1.0 (every invalid probe quarantined, none indexed; 0 served documents "
        "failing the schema; ingested + quarantined = read)",
        "unit": "share of invalid probe documents kept out",
        "remedy": "validate-on-ingest-quarantine",
        "decision": "data-location",
    }
    unmeasured = _unmeasured(base, exercise)
    if unmeasured is not None:
        return unmeasured
    assert isinstance(exercise, PipelineExercise)
    probes = exercise.probes
    kept_out = [probe for probe in probes if not probe.indexed]
    handled = [probe for probe in probes if probe.handled]
    indexed = [probe.rule for probe in probes if probe.indexed]
    lost = [step.name for step in exercise.steps if step.counts_add_up is False]
    problems = []
    if indexed:
        problems.append(f"indexed the probes breaking: {', '.join(indexed)}")
    if exercise.visible and len(handled) < len(kept_out):
        silent = [p.rule for p in kept_out if not p.handled]
        problems.append(f"kept out without a quarantine entry: {', '.join(silent)}")
    if exercise.served_invalid:
        when = "the upstream drop" if exercise.drop else "the last ingest"
        problems.append(f"{exercise.served_invalid} served documents fail the schema after {when}")
    if exercise.valid_probe_served is False:
        problems.append("the valid probe document was not served either")
    if lost:
        problems.append(f"counts do not add up (a document lost) in: {', '.join(lost)}")
    share = len(handled if exercise.visible else kept_out) / len(probes) if probes else 0.0
    status = "fail" if problems else "pass"
    probe_step = exercise.step("validation probes")
    counted = probe_step.quarantined if probe_step else None
    if not problems and not exercise.visible and (counted or 0) < len(probes):
        status = "warn"  # kept out of the answers, but nothing says they were quarantined
        problems.append(
            f"kept out of the answers, but the ingest hook reports {counted} quarantined"
        )
    reasons = "; ".join(f"{p.rule}: {p.reason}" for p in handled[:5])
    detail = "; ".join(problems) or f"every invalid probe quarantined ({reasons})"
    return CheckResult(**base, status=status, observed=round(share, 3), detail=detail)


def check_change_detection(exercise: Exercise) -> CheckResult:
    """Ingests classify added, changed, deleted and unchanged documents as they really changed."""
    base = {
        "area": AREA,
        "id": "data.change_detection",
        "title": "Ingests classify added, changed, deleted and unchanged documents correctly",
        "expected": "0 (an unchanged re-ingest changes nothing; no phantom adds or deletes)",
        "unit": "misclassified documents",
        "remedy": "content-hash-change-detection",
        "decision": "update-cadence",
    }
    unmeasured = _unmeasured(base, exercise)
    if unmeasured is not None:
        return unmeasured
    assert isinstance(exercise, PipelineExercise)
    judged = [step for step in exercise.steps if step.name not in ("baseline", "rollback")]
    if not exercise.visible and all(step.added is None for step in judged):
        return CheckResult(
            **base, status="skip", detail="the ingest hook reports no added/changed/deleted counts"
        )
    wrong = [(step.name, problem) for step in judged for problem in step.misclassified]
    reingest = exercise.step("re-ingest, nothing changed")
    summary = ", ".join(
        f"{step.name}: +{step.added} ~{step.changed} -{step.deleted}" for step in judged
    )
    if wrong:
        shown = "; ".join(f"[{name}] {problem}" for name, problem in wrong[:4])
        more = f" (and {len(wrong) - 4} more)" if len(wrong) > 4 else ""
        detail = f"{len(wrong)} misclassified: {shown}{more}. Reported {summary}"
    else:
        unchanged = reingest.unchanged if reingest else None
        detail = f"every change classified as made ({unchanged} unchanged on re-ingest). {summary}"
    return CheckResult(
        **base, status="fail" if wrong else "pass", observed=len(wrong), detail=detail
    )


def check_schema_drift(exercise: Exercise) -> CheckResult:
    """Documents that drift from the stored contract are reported and stopped before the index."""
    base = {
        "area": AREA,
        "id": "data.schema_drift",
        "title": "Drift from the stored contract is reported before it reaches the index",
        "expected": "1.0 (every drifted document reported and kept out of the index)",
        "unit": "share of drifted documents caught",
        "remedy": "schema-contract",
        "decision": "data-location",
    }
    unmeasured = _unmeasured(base, exercise)
    if unmeasured is not None:
        return unmeasured
    assert isinstance(exercise, PipelineExercise)
    if exercise.drop is None:
        return CheckResult(**base, status="skip", detail=exercise.drop_reason)
    if not exercise.drifted_paths:
        return CheckResult(
            **base,
            status="skip",
            observed=0,
            detail="the upstream drop matches the stored contract: no drift to catch",
        )
    if exercise.reached_index is None or exercise.reported is None:
        return CheckResult(
            **base,
            status="skip",
            detail=f"{len(exercise.drifted_paths)} drifted files found, but what reached the "
            "index is not visible through the ingest hook",
        )
    drifted = set(exercise.drifted_paths)
    caught = (drifted - set(exercise.reached_index)) & set(exercise.reported)
    fields = sorted({f"{item.source}.{item.field} ({item.change})" for item in exercise.drift})
    detail = (
        f"{len(drifted)} drifted files ({', '.join(fields[:6])}"
        f"{', ...' if len(fields) > 6 else ''}); {len(exercise.reached_index)} reached the "
        f"index, {len(exercise.reported)} were reported by the pipeline"
    )
    share = len(caught) / len(drifted)
    return CheckResult(
        **base, status="pass" if share == 1 else "fail", observed=round(share, 3), detail=detail
    )


def check_format_drill(exercise: Exercise, tolerance: float) -> CheckResult:
    """Answer quality holds while a broken upstream drop is ingested (the upstream drill)."""
    base = {
        "area": AREA,
        "id": "data.upstream_drill",
        "title": "Answer quality holds through an upstream format change",
        "unit": "golden hit rate during the drill",
        "remedy": "serve-last-good-version",
        "decision": "failure-policy",
    }
    unmeasured = _unmeasured({**base, "expected": f"drop <= {tolerance:g}"}, exercise)
    if unmeasured is not None:
        return unmeasured
    assert isinstance(exercise, PipelineExercise)
    if exercise.drop is None:
        return CheckResult(**base, expected="", status="skip", detail=exercise.drop_reason)
    before, during = _phase_rates(exercise, "before", "during")
    if before is None or during is None:
        return CheckResult(
            **base, expected="", status="error", detail="no golden question was answered"
        )
    expected = f">= {max(0.0, before.hit - tolerance):.3f} (before {before.hit:.3f}, tolerance "
    expected += f"{tolerance:g})"
    drop = exercise.step("upstream drop")
    alerted = bool(drop and ((drop.quarantined or 0) > 0 or drop.errors))
    detail = (
        f"{before.questions} golden questions ({before.affected} on dropped documents): hit "
        f"rate {before.hit:.3f} before, {during.hit:.3f} during; empty or wrong answers "
        f"{before.empty_or_wrong:.3f} before, {during.empty_or_wrong:.3f} during"
    )
    if drop is not None and drop.quarantined is not None:
        detail += (
            f". The drop read {drop.read} documents, quarantined {drop.quarantined}, kept "
            f"{drop.kept_last_good or 0} last good versions"
        )
    holds = during.hit >= before.hit - tolerance - 1e-9
    status = "pass" if holds else "fail"
    if holds and exercise.drifted_paths and exercise.visible and not alerted:
        status = "warn"
        detail += "; quality held but nothing alerted on the drifted documents"
    elif not holds:
        detail += f"; on the dropped documents the hit rate went {before.affected_hit:.3f} -> "
        detail += f"{during.affected_hit:.3f}"
    return CheckResult(
        **base, expected=expected, status=status, observed=round(during.hit, 3), detail=detail
    )


def check_recovery(exercise: Exercise, tolerance: float) -> CheckResult:
    """A rollback restores answer quality, and a deleted source document leaves the answers."""
    base = {
        "area": AREA,
        "id": "data.recovery",
        "title": "Rollback restores answers; a deleted document leaves the answers",
        "unit": "golden hit rate after rollback",
        "remedy": "versioned-rollback",
        "decision": "data-location",
    }
    unmeasured = _unmeasured({**base, "expected": f"drop <= {tolerance:g}"}, exercise)
    if unmeasured is not None:
        return unmeasured
    assert isinstance(exercise, PipelineExercise)
    before, after = _phase_rates(exercise, "before", "after")
    if before is None or after is None:
        return CheckResult(
            **base, expected="", status="error", detail="no golden question was answered"
        )
    expected = f">= {max(0.0, before.hit - tolerance):.3f} (before {before.hit:.3f}); deleted "
    expected += "document gone from answers"
    problems = []
    if after.hit < before.hit - tolerance - 1e-9:
        problems.append(f"hit rate {after.hit:.3f} after rollback, {before.hit:.3f} before")
    if exercise.rollback_exact is False:
        problems.append("the rollback does not serve exactly the earlier documents")
    if not exercise.deletion_removed:
        problems.append("a deleted source document still shows in answers")
    detail = "; ".join(problems) or (
        f"rollback restored hit rate {after.hit:.3f} (before {before.hit:.3f})"
        + (", exactly the earlier documents" if exercise.rollback_exact else "")
        + "; a deleted source document left the answers"
    )
    return CheckResult(
        **base,
        expected=expected,
        status="fail" if problems else "pass",
        observed=round(after.hit, 3),
        detail=detail,
    )


def check_lineage(exercise: Exercise) -> CheckResult:
    """Every source an answer cites traces to a source file and an ingest version."""
    base = {
        "area": AREA,
        "id": "data.lineage",
        "title": "Every cited source traces to a source file and an ingest version",
        "expected": "1.0 (every cited source -> file + ingest version)",
        "unit": "share of cited sources traced",
        "remedy": "lineage-ids",
        "decision": "data-location",
    }
    if isinstance(exercise, Unavailable):
        return CheckResult(**base, status=exercise.status, detail=exercise.reason)
    records = {(record.phase, record.doc_id): record for record in exercise.lineage}
    if not records:
        return CheckResult(
            **base, status="fail", observed=0.0, detail="no answer cited a source: nothing traces"
        )
    traced = [record for record in records.values() if record.traced]
    broken = [record for record in records.values() if not record.traced]
    share = len(traced) / len(records)
    versions = all(record.version is not None for record in traced)
    if broken:
        shown = "; ".join(f"{r.doc_id} ({r.phase}): {r.reason}" for r in broken[:4])
        status, detail = "fail", f"{len(broken)} of {len(records)} citations do not trace: {shown}"
    elif not versions:
        status = "warn"
        detail = (
            f"all {len(records)} citations trace to a declared source file; the ingest version "
            "is not visible from outside (return it with each citation)"
        )
    else:
        status = "pass"
        detail = f"all {len(records)} citations trace to a source file and an ingest version"
    return CheckResult(**base, status=status, observed=round(share, 3), detail=detail)


@dataclass(frozen=True)
class _Rates:
    questions: int
    hit: float
    empty_or_wrong: float
    affected: int
    affected_hit: float


def _phase_rates(exercise: PipelineExercise, *phases: str) -> tuple[_Rates | None, ...]:
    """Rates of each phase over the questions every one of those phases answered."""
    by_phase = {
        phase: {q.item_id: q for q in exercise.asked if q.phase == phase} for phase in phases
    }
    common = set.intersection(*(set(answers) for answers in by_phase.values()))
    rates: list[_Rates | None] = []
    for phase in phases:
        answers = [by_phase[phase][item] for item in sorted(common)]
        if not answers:
            rates.append(None)
            continue
        affected = [answer for answer in answers if answer.affected]
        hits = sum(answer.outcome == "hit" for answer in answers)
        rates.append(
            _Rates(
                questions=len(answers),
                hit=hits / len(answers),
                empty_or_wrong=1 - hits / len(answers),
                affected=len(affected),
                affected_hit=(
                    sum(answer.outcome == "hit" for answer in affected) / len(affected)
                    if affected
                    else float("nan")
                ),
            )
        )
    return tuple(rates)


def data_checks(
    freshness: pd.DataFrame,
    window: UpdateCadence,
    exercise: Exercise,
    lineage: Exercise,
    tolerance: float,
) -> list[CheckResult]:
    """Every check of notebook 02, in the order the notebook shows them."""
    return [
        check_freshness(freshness, window, exercise),
        check_validation(exercise),
        check_change_detection(exercise),
        check_schema_drift(exercise),
        check_format_drill(exercise, tolerance),
        check_recovery(exercise, tolerance),
        check_lineage(lineage),
    ]


def lineage_source(
    exercise: Exercise, target: Target, engagement: Engagement, budget: DepthBudget
) -> Exercise:
    """The exercise's citations when it ran, else citations traced through the target's answers."""
    if isinstance(exercise, PipelineExercise) and exercise.lineage:
        return exercise
    return trace_citations(target, engagement, budget)


# ---------------------------------------------------------------------------------------------
# Tables and figures for the notebook and the report


def _not_measured(exercise: Exercise) -> pd.DataFrame | None:
    if isinstance(exercise, Unavailable):
        return pd.DataFrame({"not measured": [exercise.reason]})
    if not exercise.steps:
        return pd.DataFrame({"not measured": ["no ingest hook: measured through answers only"]})
    return None


def steps_table(exercise: Exercise) -> pd.DataFrame:
    """One row per ingest of the exercise: what it reported and how much it got wrong."""
    missing = _not_measured(exercise)
    if missing is not None:
        return missing
    assert isinstance(exercise, PipelineExercise)
    rows = [
        {
            "step": step.name,
            "version": step.version,
            "read": step.read,
            "added": step.added,
            "changed": step.changed,
            "deleted": step.deleted,
            "unchanged": step.unchanged,
            "quarantined": step.quarantined,
            "kept last good": step.kept_last_good,
            "counts add up": step.counts_add_up,
            "misclassified": len(step.misclassified),
        }
        for step in exercise.steps
    ]
    frame = pd.DataFrame(rows).set_index("step")
    counts = [column for column in frame.columns if column != "counts add up"]
    return frame.astype({column: "Int64" for column in counts})


def probes_table(exercise: Exercise) -> pd.DataFrame:
    """One row per invalid probe document: indexed or quarantined, with check, reason and batch."""
    missing = _not_measured(exercise)
    if missing is not None:
        return missing
    assert isinstance(exercise, PipelineExercise)
    rows = [
        {
            "rule": probe.rule,
            "the probe has": probe.breaks,
            "indexed": probe.indexed,
            "quarantined": probe.quarantined,
            "check": probe.check,
            "reason": probe.reason,
            "batch": probe.version,
        }
        for probe in exercise.probes
    ]
    return pd.DataFrame(rows).set_index("rule").astype({"batch": "Int64"})


def drift_table(exercise: Exercise) -> pd.DataFrame:
    """The drop's drift from the contract: source, field, change, expected, observed, documents."""
    missing = _not_measured(exercise)
    if missing is not None:
        return missing
    assert isinstance(exercise, PipelineExercise)
    columns = ["source", "field", "change", "expected", "observed", "documents"]
    rows = [{column: getattr(item, column) for column in columns} for item in exercise.drift]
    return pd.DataFrame(rows, columns=columns)


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


def lineage_table(exercise: Exercise) -> pd.DataFrame:
    """Each cited source of the measured answers, with its file, ingest version and verdict."""
    if isinstance(exercise, Unavailable):
        return pd.DataFrame({"not measured": [exercise.reason]})
    rows = {
        (record.phase, record.doc_id): {
            "phase": record.phase,
            "cited": record.doc_id,
            "file": Path(record.path).name if record.path else None,
            "ingest version": record.version,
            "traced": record.traced,
            "problem": record.reason,
        }
        for record in exercise.lineage
    }
    return pd.DataFrame(list(rows.values()))


def freshness_figure(table: pd.DataFrame, window: UpdateCadence) -> go.Figure:
    """Newest and oldest served data per source (hours, log scale) against the window."""
    floor = 1e-4  # a just-ingested source is seconds old: keep it visible on a log axis
    figure = go.Figure()
    for column, name, colour in (
        ("newest_age_h", "newest", "#1565c0"),
        ("oldest_age_h", "oldest", "#90caf9"),
    ):
        values = [floor if v is None or pd.isna(v) else max(float(v), floor) for v in table[column]]
        figure.add_bar(x=list(table["source"]), y=values, name=name, marker_color=colour)
    sources = list(table["source"])
    for hours, label, status in (
        (window.warn_after_hours, "warn after", "warn"),
        (window.error_after_hours, "error after", "fail"),
    ):
        # drawn as traces: shapes and annotations want log10 values on a log axis
        figure.add_scatter(
            x=sources,
            y=[hours] * len(sources),
            mode="lines",
            line={"dash": "dash", "color": STATUS_COLOURS[status]},
            name=f"{label} {hours:g} h",
        )
    figure.update_layout(
        title="Age of the served data per source against the freshness window",
        yaxis={"type": "log", "title": "age (hours, log scale)"},
        xaxis={"title": "data source"},
        barmode="group",
        height=360,
        margin={"t": 60, "b": 40},
    )
    return figure


def changes_figure(exercise: Exercise) -> go.Figure:
    """The change summary of each ingest of the exercise, misclassified documents in red."""
    figure = go.Figure()
    if not isinstance(exercise, PipelineExercise) or not exercise.steps:
        figure.update_layout(title="No ingest was exercised", height=200)
        return figure
    steps = list(exercise.steps)
    names = [step.name for step in steps]
    for kind, colour in (
        ("added", "#2e7d32"),
        ("changed", "#1565c0"),
        ("deleted", "#6d4c41"),
        ("quarantined", "#f9a825"),
        ("kept_last_good", "#8e24aa"),
    ):
        values = [getattr(step, kind) or 0 for step in steps]
        figure.add_bar(x=names, y=values, name=kind.replace("_", " "), marker_color=colour)
    figure.add_scatter(
        x=names,
        y=[len(step.misclassified) for step in steps],
        mode="markers",
        marker={"color": STATUS_COLOURS["fail"], "size": 12, "symbol": "x"},
        name="misclassified",
    )
    figure.update_layout(
        title="What each ingest changed (unchanged documents not drawn)",
        barmode="stack",
        yaxis={"title": "documents"},
        height=380,
        margin={"t": 60, "b": 80},
    )
    return figure


def quality_figure(exercises: Iterable[Exercise | None]) -> go.Figure:
    """Golden hit rate (solid) and empty-or-wrong share (dashed) before, during, after the drill."""
    table = quality_table(exercises)
    figure = go.Figure()
    palette = ["#c62828", "#2e7d32", "#1565c0", "#6a1b9a"]
    for index, (label, rows) in enumerate(table.groupby("pipeline", sort=False)):
        colour = palette[index % len(palette)]
        figure.add_scatter(
            x=list(rows["phase"]),
            y=list(rows["hit rate"]),
            name=f"{label}: hit rate",
            mode="lines+markers",
            line={"color": colour},
        )
        figure.add_scatter(
            x=list(rows["phase"]),
            y=list(rows["wrong"] + rows["empty"]),
            name=f"{label}: empty or wrong",
            mode="lines+markers",
            line={"color": colour, "dash": "dash"},
        )
    figure.update_layout(
        title="Answer quality before, during and after the upstream format change",
        yaxis={"range": [0, 1.05], "title": "share of golden questions"},
        xaxis={"title": "drill phase (during: v2 drop ingested; after: rolled back)"},
        height=380,
        margin={"t": 60, "b": 40},
    )
    return figure
