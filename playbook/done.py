"""The definition of done: a run's evidence turned into a scorecard and the list of open checks."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from playbook.context import NotebookContext
from playbook.evidence import Evidence, read_run_evidence
from playbook.notebooks import missing_evidence_reasons
from playbook.patterns import pattern
from playbook.scorecard import Scorecard, build_scorecard

_SEVERITY = {"fail": 0, "error": 1, "warn": 2}


def scorecard_for(ctx: NotebookContext) -> tuple[Scorecard, list[Evidence]]:
    """The scorecard of the notebook's run folder, and the evidence it was built from."""
    evidence = read_run_evidence(ctx.run_dir)
    reasons = missing_evidence_reasons(ctx.run_dir)
    scorecard = build_scorecard(evidence, ctx.engagement.gate.min_readiness, reasons=reasons)
    return scorecard, evidence


def run_overview(
    ctx: NotebookContext, scorecard: Scorecard, evidence: Sequence[Evidence]
) -> pd.Series:
    """The verdict in a few lines a stakeholder reads first."""
    weakest = scorecard.weakest
    checks = [check for item in evidence for check in item.checks]
    facts = pd.Series(
        {
            "engagement": ctx.engagement.name,
            "client": ctx.engagement.client,
            "target": ctx.target_spec,
            "run": ctx.run_dir.name,
            "readiness": "not measured"
            if scorecard.readiness is None
            else f"{scorecard.readiness:.2f} over {scorecard.coverage_text}",
            "level": scorecard.level,
            "gate": f"{scorecard.gate} (needs >= {scorecard.min_readiness:.2f} in every area)",
            "weakest area": f"{weakest.area} ({weakest.score:.2f})" if weakest else "none measured",
            "checks run": len(checks),
            "checks passed": sum(check.status == "pass" for check in checks),
            "not measured in this run": "; ".join(
                f"{area} ({reason})" for area, reason in scorecard.unmeasured_reasons.items()
            )
            or "none",
        }
    )
    return facts.to_frame("verdict")


def failing_checks(evidence: Sequence[Evidence]) -> pd.DataFrame:
    """Every check that did not pass, worst first: what was seen, what was expected, what to do."""
    open_checks = [check for item in evidence for check in item.checks if check.status in _SEVERITY]
    rows = [
        {
            "check": check.id,
            "area": check.area,
            "status": check.status,
            "observed": _with_unit(check.observed, check.unit),
            "expected": check.expected,
            "decision": check.decision or "",
            "what to do": found.title if (found := pattern(check.remedy or "")) else "",
            "_order": _SEVERITY[check.status],
        }
        for check in open_checks
    ]
    columns = ["check", "area", "status", "observed", "expected", "decision", "what to do"]
    if not rows:
        return pd.DataFrame(columns=columns).set_index("check")
    table = pd.DataFrame(rows).sort_values(["_order", "area", "check"])
    return table[columns].set_index("check")


def _with_unit(observed: object, unit: str) -> str:
    if observed is None:
        return "not measured"
    shown = f"{observed:.3g}" if isinstance(observed, float) else str(observed)
    return f"{shown} {unit}".strip()
