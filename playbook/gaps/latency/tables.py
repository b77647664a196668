"""What the latency experiments amount to, as tables a notebook shows and charts draw."""

from __future__ import annotations

import pandas as pd

from playbook.gaps.latency.experiment import RepeatMix, Scaling, Sweep, WaitingCost
from playbook.load import SUMMARY_COLUMNS, LoadRun


def load_table(runs: list[LoadRun]) -> pd.DataFrame:
    """One row per load phase: rate, requests, errors, percentiles, throughput, validity."""
    rows = [run.summary() for run in runs]
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS)).round(1)


def sweep_table(sweep: Sweep) -> pd.DataFrame:
    return load_table(list(sweep.runs))


def stage_table(run: LoadRun, budgets: dict[str, int]) -> pd.DataFrame:
    """Each stage's p50 and p95 under load beside its budget (stages the target reports)."""
    rows = []
    for stage in run.stages:
        rows.append(
            {
                "stage": stage,
                "p50_ms": run.stage_ms(stage, 50),
                "p95_ms": run.stage_ms(stage, 95),
                "budget_ms": budgets.get(stage),
            }
        )
    total = run.latency_ms(95)
    rows.append(
        {"stage": "end to end", "p50_ms": run.latency_ms(50), "p95_ms": total, "budget_ms": None}
    )
    return pd.DataFrame(rows, columns=["stage", "p50_ms", "p95_ms", "budget_ms"]).round(1)


def scaling_table(scaling: Scaling) -> pd.DataFrame:
    rows = [
        {
            "target": point.spec,
            "documents": point.documents,
            "p50_ms": point.ms(50),
            "p95_ms": point.ms(95),
            "ingest_s": round(point.ingest_s, 2),
        }
        for point in sorted(scaling.points, key=lambda p: (p.spec, p.documents))
    ]
    return pd.DataFrame(
        rows, columns=["target", "documents", "p50_ms", "p95_ms", "ingest_s"]
    ).round(1)


def repeat_table(repeats: RepeatMix) -> pd.DataFrame:
    rows = [
        {
            "question": ask.question[:80],
            "user": ask.user,
            "first_ms": ask.first_s * 1000.0,
            "repeat_ms": ask.repeat_s * 1000.0,
            "cache hit": ask.hit,
        }
        for ask in repeats.asks
    ]
    return pd.DataFrame(
        rows, columns=["question", "user", "first_ms", "repeat_ms", "cache hit"]
    ).round(1)


def cost_table(cost: WaitingCost | None) -> pd.DataFrame:
    """Hours a month the team spends waiting, at the measured mean and at the budget's p95."""
    columns = ["questions a month", "mean wait (s)", "hours a month waiting", "at the p95 budget"]
    if cost is None:
        return pd.DataFrame(columns=columns)
    at_budget = cost.questions_a_month * cost.budget_wait_s / 3600.0
    row = {
        "questions a month": round(cost.questions_a_month),
        "mean wait (s)": round(cost.mean_wait_s, 3),
        "hours a month waiting": round(cost.hours_a_month, 1),
        "at the p95 budget": round(at_budget, 1),
    }
    return pd.DataFrame([row], columns=columns)
