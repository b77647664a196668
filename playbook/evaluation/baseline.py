"""The evaluation loop: each run's evaluation kept in its folder, one accepted as the baseline,
and later runs compared with it question by question.

The regression rule, per metric, over the questions both evaluations measured (matched by golden
id): the paired differences (current - baseline) are resampled by question with replacement to
give a percentile bootstrap interval of their mean. A metric has **regressed** when the interval
lies entirely below zero (the drop is not noise: about 5 % two-sided at the default 95 %) **and**
the mean difference is below `-tolerance` (the drop is larger than the decided
`golden_regression_tolerance`, so a real but negligible drop does not count). Requiring the whole
interval below `-tolerance` instead would ask for proof that the drop exceeds the tolerance, which
a golden set of 20 to 60 questions rarely gives: real drops would pass unseen. An improvement is
the mirror image. Fewer than MIN_PAIRED_QUESTIONS paired questions give no verdict.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from playbook.atomic import write_json_atomic
from playbook.errors import PlaybookError
from playbook.evaluation.metrics import (
    CUTOFF_METRICS,
    DEFAULT_SUPPORT,
    METRICS,
    QUESTION_COLUMNS,
    Evaluation,
    metric_label,
)
from playbook.safe_files import MAX_GOLDEN_BYTES, FileProblem, parse_json, read_text

if TYPE_CHECKING:
    from playbook.engagement import Engagement

EVALUATION_FILE = "evaluation.json"
BASELINE_FOLDER = "baseline"
FORMAT_VERSION = 1
MIN_PAIRED_QUESTIONS = 5
CONFIDENCE = 0.95
Verdict = Literal["regression", "improvement", "no clear change", "not compared"]


# --- the files --------------------------------------------------------------------------------


class QuestionRecord(BaseModel):
    """One question's row in evaluation.json (a metric that does not apply is null)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    question: str = ""
    answerable: bool = True
    status: str = ""
    refused: bool = False
    cited: list[str] = []
    gold_docs: list[str] = []
    hit: float | None = None
    recall: float | None = None
    mrr: float | None = None
    ndcg: float | None = None
    answer_f1: float | None = None
    refusal_correct: float | None = None
    citation_valid: float | None = None
    citation_support: float | None = None
    citation_problem: str = ""
    item_hash: str = ""


class EvaluationFile(BaseModel):
    """The content of `<run>/evaluation.json` and `baseline/evaluation.json`."""

    model_config = ConfigDict(extra="ignore")

    format: int = FORMAT_VERSION
    run_id: str = ""
    target: str = ""
    k: int
    golden_hash: str
    created_at: str = ""
    accepted_at: str = ""  # baseline only: when it was accepted
    support_threshold: float = DEFAULT_SUPPORT
    documents_known: bool = False
    aggregates: dict[str, float | None] = {}  # for readers; recomputed from the questions
    counts: dict[str, int] = {}
    questions: list[QuestionRecord]


def _number(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def to_contract(evaluation: Evaluation, accepted_at: str = "") -> dict[str, Any]:
    """The JSON form of an evaluation (NaN written as null)."""
    questions = []
    for doc_id, row in evaluation.questions.iterrows():
        record = {"id": str(doc_id)}
        for column in QUESTION_COLUMNS:
            value = row[column]
            if column in ("cited", "gold_docs"):
                value = list(value)
            elif column in ("answerable", "refused"):
                value = bool(value)
            elif column in (*METRICS, "citation_support"):
                value = _number(float(value))
            record[column] = value
        questions.append(record)
    return {
        "format": FORMAT_VERSION,
        "run_id": evaluation.run_id,
        "target": evaluation.target,
        "k": evaluation.k,
        "golden_hash": evaluation.golden_hash,
        "created_at": evaluation.created_at,
        "accepted_at": accepted_at or evaluation.accepted_at,
        "support_threshold": evaluation.support_threshold,
        "documents_known": evaluation.documents_known,
        "aggregates": evaluation.aggregates,
        "counts": evaluation.counts,
        "questions": questions,
    }


def from_contract(data: EvaluationFile) -> Evaluation:
    """An Evaluation from its validated JSON form."""
    rows = []
    for record in data.questions:
        row = record.model_dump()
        row["cited"], row["gold_docs"] = tuple(row["cited"]), tuple(row["gold_docs"])
        for column in (*METRICS, "citation_support"):
            row[column] = math.nan if row[column] is None else float(row[column])
        rows.append(row)
    table = pd.DataFrame(rows, columns=["id", *QUESTION_COLUMNS]).set_index("id")
    for column in (*METRICS, "citation_support"):
        table[column] = table[column].astype(float)
    return Evaluation(
        questions=table,
        k=data.k,
        golden_hash=data.golden_hash,
        target=data.target,
        run_id=data.run_id,
        created_at=data.created_at,
        support_threshold=data.support_threshold,
        documents_known=data.documents_known,
        accepted_at=data.accepted_at,
    )


def save_evaluation(evaluation: Evaluation, run_dir: Path) -> Path:
    """Write `<run_dir>/evaluation.json` atomically (the run id defaults to the folder's name)."""
    run_dir = Path(run_dir)
    evaluation = replace(evaluation, run_id=evaluation.run_id or run_dir.name)
    return write_json_atomic(run_dir / EVALUATION_FILE, to_contract(evaluation))


def load_evaluation(path: Path) -> Evaluation:
    """Read an evaluation.json; a missing or damaged file is a PlaybookError naming it."""
    path = Path(path)
    try:
        data = EvaluationFile.model_validate(parse_json(read_text(path, MAX_GOLDEN_BYTES)))
    except FileNotFoundError:
        raise PlaybookError(f"{path}: not found (notebook 05 writes it)") from None
    except (OSError, FileProblem) as exc:
        raise PlaybookError(f"{path}: cannot read the evaluation ({exc})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise PlaybookError(f"{path}: field '{field}': {first['msg']}") from None
    return from_contract(data)


def _folder(engagement: Path | Engagement) -> Path:
    return Path(getattr(engagement, "folder", engagement))


def baseline_path(engagement: Path | Engagement) -> Path:
    """Where the engagement's accepted baseline lives: `<engagement>/baseline/evaluation.json`."""
    return _folder(engagement) / BASELINE_FOLDER / EVALUATION_FILE


def accept_baseline(engagement: Path | Engagement, run_dir: Path) -> Evaluation:
    """Make the run's evaluation the engagement's baseline (an atomic copy, with its run id and
    when it was accepted); the accepted evaluation."""
    run_dir = Path(run_dir)
    source = run_dir / EVALUATION_FILE
    if not source.is_file():
        raise PlaybookError(
            f"{run_dir}: no {EVALUATION_FILE} (notebook 05 writes it when it evaluates the "
            "golden set)"
        )
    evaluation = load_evaluation(source)
    evaluation = replace(
        evaluation,
        run_id=evaluation.run_id or run_dir.name,
        accepted_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    write_json_atomic(baseline_path(engagement), to_contract(evaluation))
    return evaluation


def load_baseline(engagement: Path | Engagement) -> Evaluation | None:
    """The engagement's accepted baseline; None when none has been accepted yet."""
    path = baseline_path(engagement)
    return load_evaluation(path) if path.is_file() else None


def find_evaluated_run(location: Path) -> tuple[Path, Path]:
    """The engagement folder and the run folder meant by `location`: a run folder itself, or
    an engagement folder's latest run that has an evaluation.json."""
    location = Path(location)
    if (location / "run.json").is_file() or (location / EVALUATION_FILE).is_file():
        if location.resolve().parent.name != "runs":
            raise PlaybookError(
                f"{location}: a run folder lies in <engagement>/runs/, this one does not "
                "(expected an engagement's run folder)"
            )
        if not (location / EVALUATION_FILE).is_file():
            raise PlaybookError(
                f"{location}: no {EVALUATION_FILE} in this run (notebook 05 writes it when it "
                "evaluates the golden set)"
            )
        return location.resolve().parent.parent, location
    if (location / "engagement.yaml").is_file() or (location / "runs").is_dir():
        runs = location / "runs"
        evaluated = sorted(path for path in runs.glob("*") if (path / EVALUATION_FILE).is_file())
        if not evaluated:
            raise PlaybookError(
                f"{location}: no run has an {EVALUATION_FILE} yet (notebook 05 writes it; "
                f"run `playbook run {location}`)"
            )
        return location, evaluated[-1]
    if not location.exists():
        raise PlaybookError(f"{location}: no such folder (expected a run or engagement folder)")
    raise PlaybookError(
        f"{location}: neither a run folder (run.json) nor an engagement folder (engagement.yaml)"
    )


# --- the comparison ---------------------------------------------------------------------------


def paired_bootstrap(
    differences: Sequence[float],
    n_resamples: int = 2000,
    seed: int = 7,
    confidence: float = CONFIDENCE,
) -> tuple[float, float]:
    """The percentile bootstrap interval of the mean of paired differences.

    Written here rather than taken from scipy.stats.bootstrap: scipy is no dependency of the
    playbook (it comes only with a test tool), and this is a dozen lines of numpy. Resampling
    the differences by index is resampling the question ids with replacement, so each replicate
    keeps every question's before and after together (the pairing).
    """
    values = np.asarray(differences, dtype=float)
    if values.size == 0:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    means = np.empty(n_resamples)
    chunk = max(1, 2_000_000 // values.size)  # bound memory on large golden sets
    for start in range(0, n_resamples, chunk):
        stop = min(n_resamples, start + chunk)
        picks = rng.integers(0, values.size, size=(stop - start, values.size))
        means[start:stop] = values[picks].mean(axis=1)
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return float(low), float(high)


@dataclass(frozen=True)
class QuestionChange:
    """One question whose metric moved: its value in the baseline and now."""

    id: str
    metric: str
    before: float
    after: float


@dataclass(frozen=True)
class MetricComparison:
    """One metric, baseline against current, over the questions both measured."""

    metric: str
    label: str
    questions: int  # paired questions
    baseline: float | None  # mean over the paired questions
    current: float | None
    difference: float | None  # mean of current - baseline
    low: float | None  # bootstrap interval of the difference
    high: float | None
    verdict: Verdict
    worse: tuple[QuestionChange, ...] = ()  # questions whose value dropped
    better: tuple[QuestionChange, ...] = ()
    note: str = ""  # why it was not compared


@dataclass(frozen=True)
class Comparison:
    """A run's evaluation against the baseline: a verdict per metric, and what was not compared."""

    current_run: str
    baseline_run: str
    tolerance: float
    confidence: float
    n_resamples: int
    seed: int
    metrics: tuple[MetricComparison, ...]
    shared: tuple[str, ...]  # golden ids in both evaluations
    only_current: tuple[str, ...]  # listed, not compared
    only_baseline: tuple[str, ...]
    changed: tuple[str, ...]  # same id, the question was edited since the baseline
    same_golden_set: bool
    notes: tuple[str, ...] = ()

    @property
    def regressions(self) -> tuple[MetricComparison, ...]:
        """The metrics that regressed."""
        return tuple(m for m in self.metrics if m.verdict == "regression")

    @property
    def regression(self) -> bool:
        """Whether any metric regressed."""
        return bool(self.regressions)

    def table(self) -> pd.DataFrame:
        """A row per metric: means, difference, its interval, the verdict, questions worse."""
        rows = [
            {
                "metric": m.label,
                "questions": m.questions,
                "baseline": m.baseline,
                "current": m.current,
                "difference": m.difference,
                "ci_low": m.low,
                "ci_high": m.high,
                "verdict": m.verdict,
                "worse": len(m.worse),
            }
            for m in self.metrics
        ]
        return pd.DataFrame(rows).set_index("metric")

    def worse_questions(self) -> pd.DataFrame:
        """The questions that got worse in a regressed metric: id, metric, before, after."""
        rows = [
            {"id": c.id, "metric": m.label, "before": c.before, "after": c.after}
            for m in self.regressions
            for c in m.worse
        ]
        return pd.DataFrame(rows, columns=["id", "metric", "before", "after"])

    def describe(self) -> str:
        """One paragraph: the regressions with the questions behind them, or that there are none."""
        parts = []
        for m in self.regressions:
            shown = ", ".join(f"{c.id} ({c.before:.2f} → {c.after:.2f})" for c in m.worse[:6])
            more = f" and {len(m.worse) - 6} more" if len(m.worse) > 6 else ""
            parts.append(
                f"{m.label} fell by {-m.difference:.3f} ({self.confidence:.0%} interval "
                f"{m.low:.3f} to {m.high:.3f}) on {m.questions} questions; worse: {shown}{more}"
            )
        head = (
            "Regression against baseline " + self.baseline_run + ": " + "; ".join(parts)
            if parts
            else f"No regression against baseline {self.baseline_run} beyond the tolerance "
            f"{self.tolerance:g} on {len(self.shared)} shared questions"
        )
        return ". ".join([head, *self.notes]) + "."


def compare(
    current: Evaluation,
    baseline: Evaluation,
    tolerance: float,
    n_resamples: int = 2000,
    seed: int = 7,
    confidence: float = CONFIDENCE,
) -> Comparison:
    """Compare `current` with `baseline` question by question (see the module's regression
    rule); questions in only one evaluation are listed, not compared."""
    now, then = current.questions, baseline.questions
    shared = sorted(set(now.index) & set(then.index))
    only_current = sorted(set(now.index) - set(then.index))
    only_baseline = sorted(set(then.index) - set(now.index))
    changed = [
        doc_id
        for doc_id in shared
        if now.at[doc_id, "item_hash"]
        and then.at[doc_id, "item_hash"]
        and now.at[doc_id, "item_hash"] != then.at[doc_id, "item_hash"]
    ]
    notes = []
    same_set = current.golden_hash == baseline.golden_hash
    if not same_set:
        notes.append(
            "the golden set differs from the baseline's (its hash changed): compared on the "
            f"{len(shared)} shared question ids"
        )
    if changed:
        notes.append(f"{len(changed)} shared questions were edited since: {', '.join(changed[:6])}")
    if only_current or only_baseline:
        notes.append(
            f"not compared: {len(only_current)} questions only in this run, "
            f"{len(only_baseline)} only in the baseline"
        )
    metrics = tuple(
        _compare_metric(metric, current, baseline, shared, tolerance, n_resamples, seed, confidence)
        for metric in METRICS
    )
    if current.k != baseline.k:
        notes.append(f"evaluated at k={current.k}, the baseline at k={baseline.k}")
    return Comparison(
        current_run=current.run_id,
        baseline_run=baseline.run_id,
        tolerance=tolerance,
        confidence=confidence,
        n_resamples=n_resamples,
        seed=seed,
        metrics=metrics,
        shared=tuple(shared),
        only_current=tuple(only_current),
        only_baseline=tuple(only_baseline),
        changed=tuple(changed),
        same_golden_set=same_set,
        notes=tuple(notes),
    )


def _compare_metric(
    metric: str,
    current: Evaluation,
    baseline: Evaluation,
    shared: list[str],
    tolerance: float,
    n_resamples: int,
    seed: int,
    confidence: float,
) -> MetricComparison:
    label = metric_label(metric, current.k)
    if metric in CUTOFF_METRICS and current.k != baseline.k:
        note = f"k differs (now {current.k}, baseline {baseline.k})"
        return _not_compared(metric, label, 0, note)
    before = baseline.questions.loc[shared, metric].astype(float)
    after = current.questions.loc[shared, metric].astype(float)
    paired = before.notna() & after.notna()
    before, after = before[paired], after[paired]
    count = len(before)
    if count < MIN_PAIRED_QUESTIONS:
        note = f"{count} questions measured in both (at least {MIN_PAIRED_QUESTIONS} needed)"
        return _not_compared(metric, label, count, note)
    differences = after - before
    mean = float(differences.mean())
    low, high = paired_bootstrap(differences.to_numpy(), n_resamples, seed, confidence)
    verdict: Verdict = "no clear change"
    if high < 0 and mean < -tolerance:
        verdict = "regression"
    elif low > 0 and mean > tolerance:
        verdict = "improvement"
    changes = [
        QuestionChange(str(doc_id), metric, float(before[doc_id]), float(after[doc_id]))
        for doc_id in differences.index
    ]
    return MetricComparison(
        metric=metric,
        label=label,
        questions=count,
        baseline=float(before.mean()),
        current=float(after.mean()),
        difference=mean,
        low=low,
        high=high,
        verdict=verdict,
        worse=tuple(c for c in changes if c.after < c.before),
        better=tuple(c for c in changes if c.after > c.before),
    )


def _not_compared(metric: str, label: str, questions: int, note: str) -> MetricComparison:
    return MetricComparison(
        metric, label, questions, None, None, None, None, None, "not compared", note=note
    )
