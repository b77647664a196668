"""What the fault experiments amount to, as data frames: outcomes, latency and load per fault."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from playbook.gaps.failure.classify import (
    FAILURE_MODE,
    GRACEFUL,
    KIND_LABELS,
    KINDS,
    OUTCOME_LABELS,
    OUTCOMES,
    TRANSIENT_KINDS,
)
from playbook.gaps.failure.matrix import FaultMatrix, Observation
from playbook.gaps.failure.probes import Probes
from playbook.percentiles import p95

if TYPE_CHECKING:
    from playbook.decisions import Decisions


def by_kind(observations: Iterable[Observation]) -> dict[str, list[Observation]]:
    """Observations grouped by fault kind, in the order of the fault kinds."""
    grouped: dict[str, list[Observation]] = defaultdict(list)
    for observation in observations:
        grouped[observation.kind].append(observation)
    return {kind: grouped[kind] for kind in KINDS if kind in grouped}


def graceful_shares(matrix: FaultMatrix) -> dict[str, float]:
    """Per fault kind, the share of faulted requests that got a correct or safe degraded answer."""
    return {
        kind: sum(o.outcome in GRACEFUL for o in seen) / len(seen)
        for kind, seen in by_kind(matrix.faulted()).items()
    }


def latency_under_fault(matrix: FaultMatrix) -> pd.DataFrame:
    """p95 milliseconds the user waited, per fault kind and stage, over the faulted requests."""
    grouped: dict[tuple[str, str], list[float]] = defaultdict(list)
    for o in matrix.faulted():
        grouped[(o.kind, o.stage)].append(o.seconds)
    rows = [
        {
            "fault": KIND_LABELS[kind],
            "kind": kind,
            "stage": stage,
            "requests": len(values),
            "p95_ms": round(1000 * p95(values), 1),
            "max_ms": round(1000 * max(values), 1),
        }
        for (kind, stage), values in grouped.items()
    ]
    return pd.DataFrame(rows, columns=["fault", "kind", "stage", "requests", "p95_ms", "max_ms"])


def retry_amplification(matrix: FaultMatrix) -> pd.DataFrame:
    """Upstream calls per request in each transient-fault cell (retries multiply this)."""
    rows = [
        {
            "fault": KIND_LABELS[cell.kind],
            "stage": cell.stage,
            "rate": cell.rate,
            "requests": cell.requests,
            "upstream_calls": cell.upstream_calls,
            "calls_per_request": round(cell.upstream_calls / cell.requests, 3),
        }
        for cell in matrix.cells
        if cell.kind in TRANSIENT_KINDS and cell.requests and not cell.skipped
    ]
    columns = ["fault", "stage", "rate", "requests", "upstream_calls", "calls_per_request"]
    return pd.DataFrame(rows, columns=columns)


def outcome_table(matrix: FaultMatrix) -> pd.DataFrame:
    """Per fault kind and stage: faulted requests by outcome, and the graceful share."""
    rows = []
    grouped: dict[tuple[str, str], list[Observation]] = defaultdict(list)
    for o in matrix.faulted():
        grouped[(o.kind, o.stage)].append(o)
    for (kind, stage), seen in grouped.items():
        counts = Counter(o.outcome for o in seen)
        row: dict[str, Any] = {"fault": KIND_LABELS[kind], "stage": stage, "faulted": len(seen)}
        row.update({OUTCOME_LABELS[o]: counts[o] for o in OUTCOMES})
        row["graceful share"] = round(sum(counts[o] for o in GRACEFUL) / len(seen), 3)
        rows.append(row)
    columns = ["fault", "stage", "faulted", *OUTCOME_LABELS.values(), "graceful share"]
    return pd.DataFrame(rows, columns=columns)


def policy_table(matrix: FaultMatrix, decisions: Decisions) -> pd.DataFrame:
    """Per failure mode: the action the decisions chose and what the user actually got."""
    rows = []
    for kind, mode in FAILURE_MODE.items():
        seen = [o for o in matrix.faulted() if o.kind == kind]
        counts = Counter(o.outcome for o in seen)
        calls = [o.upstream_calls for o in seen if o.upstream_calls is not None]
        rows.append(
            {
                "failure mode": mode,
                "decided action": decisions.failure_policy.action_for(mode),
                "faulted requests": len(seen),
                "most common outcome": OUTCOME_LABELS[counts.most_common(1)[0][0]]
                if seen
                else "not injected",
                "called the upstream again": f"{sum(c > 1 for c in calls)} of {len(calls)}"
                if calls
                else "n/a",
            }
        )
    return pd.DataFrame(rows)


def probes_table(probes: Probes) -> pd.DataFrame:
    """One row per edge input and unanswerable question: what the user got, and any problem."""
    rows = [
        {
            "probe": answer.kind,
            "question": answer.question,
            "status": answer.status,
            "ms": round(1000 * answer.seconds, 1),
            "verdict": answer.problem or answer.note or "safe",
        }
        for answer in (*probes.edge, *probes.unanswerable)
    ]
    return pd.DataFrame(rows, columns=["probe", "question", "status", "ms", "verdict"])
