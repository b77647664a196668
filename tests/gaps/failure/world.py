"""The small world of the failure tests (helpers only): an engagement over the reference test
world, a golden set its documents answer, decisions with a tight budget, and a runner."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from playbook.decisions import Decisions
from playbook.engagement import DepthBudget, Engagement, load_engagement
from playbook.evidence import CheckResult
from playbook.gaps import failure
from playbook.golden import GoldenItem, load_golden_set
from playbook.reference.resilience import BreakerSettings, StageBudgets
from playbook.targets.reference import ReferenceTarget
from tests.reference.world import build_world, sources_of

GOLDEN = [
    ("f01", "How many days of annual leave does an employee receive per year?", "HB-001"),
    ("f02", "How many unused leave days carry over into the next year?", "HB-001"),
    ("f03", "Within how many days must expense claims be submitted?", "HB-002"),
    ("f04", "How much are meals on business travel reimbursed per day?", "HB-002"),
    ("f05", "When is the Lisbon office open?", "REC-002"),
    ("f06", "When are parking permits for the staff car park renewed?", "REC-003"),
]
UNANSWERABLE = ("f07", "What colour is the moon on Tuesdays?")
# A tight world: stage budgets and a breaker that resets fast keep every test short.
DECISIONS = Decisions.model_validate(
    {
        "latency-budget": {"p95_ms": 600, "retrieval_ms": 250, "generation_ms": 300},
        "failure-policy": {"target_graceful_share": 0.99, "max_retry_amplification": 2.0},
    }
)
BUDGETS = StageBudgets(retrieval=0.25, generation=0.3)
BREAKER = BreakerSettings(fail_max=3, reset_timeout=0.3)
DEPTH = DepthBudget(questions=20, requests=60, seconds=1.0, corpus_sizes=(10,))


def build_engagement(root: Path) -> Engagement:
    """An engagement folder over the reference test world, with a golden set of its own."""
    world = build_world(root / "world")
    lines = [
        {"id": gid, "question": question, "user": "u-sam", "gold_docs": [doc]}
        for gid, question, doc in GOLDEN
    ]
    lines.append(
        {"id": UNANSWERABLE[0], "question": UNANSWERABLE[1], "user": "u-sam", "answerable": False}
    )
    (root / "golden.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    data = {
        "name": "failure-test",
        "depth": "quick",
        "target": {"spec": "reference:prototype"},
        "data_sources": [source.model_dump() for source in sources_of(world)],
        "users": str(world / "users.yaml"),
        "golden_set": "golden.jsonl",
    }
    (root / "engagement.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return load_engagement(root)


def golden(engagement: Engagement) -> list[GoldenItem]:
    """The engagement's golden set."""
    return load_golden_set(engagement.resolve(engagement.golden_set))


def settings(decisions: Decisions = DECISIONS, seed: int = 0) -> failure.FaultSettings:
    """Fault settings for the small world."""
    return failure.fault_settings(DEPTH, decisions, seed=seed)


@dataclass(frozen=True)
class Run:
    """One target's fault matrix, breaker episode and checks."""

    matrix: failure.FaultMatrix
    episode: failure.BreakerEpisode
    checks: dict[str, CheckResult]

    @property
    def score(self) -> float:
        """The area's share of points, as the scorecard counts it."""
        counted = [c.points for c in self.checks.values() if c.points is not None]
        return sum(counted) / len(counted)

    def status(self, check: str) -> str:
        """The status of `failure.<check>`."""
        return self.checks[f"failure.{check}"].status


def reference_target(
    engagement: Engagement, profile: str, workdir: Path, switches: dict | None = None, **options
) -> ReferenceTarget:
    """A reference target over the small world with the tight budgets and breaker."""
    options = {"budgets": BUDGETS, "breaker": BREAKER, **options}
    return ReferenceTarget(engagement, profile, workdir, switches or {}, **options)


def run(
    target: Any,
    engagement: Engagement,
    decisions: Decisions = DECISIONS,
    episode: bool = True,
    config: failure.FaultSettings | None = None,
) -> Run:
    """Run the matrix (and the breaker episode) on `target` and evaluate every check."""
    items = golden(engagement)
    config = config or settings(decisions)
    matrix = failure.run_fault_matrix(target, items, config)
    control = [item for item in items if item.id in matrix.control]
    if episode:
        breaker = failure.run_breaker_episode(target, control, config)
    else:
        breaker = failure.BreakerEpisode(target=target.spec, route="", skipped="not run")
    probes = failure.run_probes(target, items, config, max_questions=DEPTH.requests)
    checks = failure.failure_checks(probes, matrix, breaker, decisions)
    return Run(matrix, breaker, {check.id: check for check in checks})
