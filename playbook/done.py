"""The definition of done: a run's evidence turned into a scorecard and the list of open checks."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any

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


# ---- the report's parts ------------------------------------------------------------------------

_CONFIRMATION = {"pass": "confirmed", "warn": "partly confirmed", "fail": "contradicted"}


def executive_summary(
    ctx: NotebookContext,
    scorecard: Scorecard,
    next_steps: Sequence[str],
    done: str | None = None,
) -> str:
    """The first page of the report, as HTML: readiness with its coverage, level, gate, the
    definition-of-done verdict and the three things to do next."""
    readiness = (
        "not measured"
        if scorecard.readiness is None
        else f"{scorecard.readiness:.2f} over {scorecard.coverage_text}"
    )
    colour = {"pass": "#2e7d32", "fail": "#c62828"}.get(scorecard.gate, "#9e9e9e")
    steps = "".join(f"<li>{html.escape(step)}</li>" for step in next_steps) or (
        "<li>Nothing open: keep the evaluation loop running on the decided cadence.</li>"
    )
    rows = [
        ("Engagement", f"{ctx.engagement.name} ({ctx.engagement.client or 'no client named'})"),
        ("System measured", ctx.target_spec),
        ("Readiness", readiness),
        ("Level", scorecard.level),
        ("Gate", f"{scorecard.gate} (every area at least {scorecard.min_readiness:.2f})"),
    ]
    if done is not None:
        rows.append(("Definition of done", done))
    table = "".join(
        f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(name)}</th>"
        f"<td style='text-align:left'>{html.escape(value)}</td></tr>"
        for name, value in rows
    )
    return (
        f"<div id='executive-summary' style='border-left:6px solid {colour};padding:0.5em 1em'>"
        f"<h2 style='margin-top:0'>Executive summary</h2><table>{table}</table>"
        f"<h3>The three things to do next</h3><ol>{steps}</ol></div>"
    )


def area_verdicts(scorecard: Scorecard, evidence: Sequence[Evidence]) -> list[tuple[str, Any]]:
    """Per area, in playbook order: a heading with its verdict, then its charts as figures
    rebuilt from the evidence (so the report needs no gap notebook's output)."""
    import plotly.io as pio

    by_area: dict[str, list[Evidence]] = {}
    for item in evidence:
        by_area.setdefault(item.area, []).append(item)
    parts: list[tuple[str, Any]] = []
    for area in scorecard.areas:
        if area.score is None:
            verdict = f"not measured: {area.reason}"
        else:
            counts = ", ".join(f"{n} {s}" for s, n in area.statuses.items() if n)
            verdict = f"{area.score:.2f} ({counts})"
        parts.append(("markdown", f"### {area.area}: {verdict}"))
        for item in by_area.get(area.area, []):
            for chart in item.charts:
                parts.append(("figure", pio.from_json(json.dumps(chart.figure))))
    return parts


def decision_log(ctx: NotebookContext, evidence: Sequence[Evidence]) -> pd.DataFrame:
    """Each decision, its choice, and whether this run's checks confirm it."""
    from playbook.decisions import load_decisions
    from playbook.decisions.records import latest_statuses

    statuses = latest_statuses(evidence)
    rows = []
    for decision in load_decisions(ctx.engagement.decisions_path).decisions.all_decisions():
        confirming = list(decision.confirmed_by)
        found = [statuses[c] for c in confirming if c in statuses and statuses[c] != "skip"]
        if not confirming:
            status = "no check named"
        elif len(found) < len(confirming):
            status = "not fully measured"
        elif "error" in found or "fail" in found:
            status = "contradicted"
        else:
            status = _CONFIRMATION["warn" if "warn" in found else "pass"]
        rows.append(
            {
                "decision": decision.id,
                "status": decision.status,
                "choice": decision.choice,
                "confirmation": status,
                "checks": ", ".join(f"{c} ({statuses.get(c, 'not run')})" for c in confirming),
            }
        )
    columns = ["decision", "status", "choice", "confirmation", "checks"]
    return pd.DataFrame(rows, columns=columns).set_index("decision")


def provenance(ctx: NotebookContext) -> pd.Series:
    """What was measured, when, and with which versions (from the run's run.json)."""
    record_path = ctx.run_dir / "run.json"
    record: dict[str, Any] = {}
    if record_path.is_file():
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record = {}
    versions = record.get("versions", {})
    facts = {
        "run": ctx.run_dir.name,
        "engagement": ctx.engagement.name,
        "target": ctx.target_spec,
        "depth": record.get("depth", ctx.engagement.depth),
        "started": record.get("started_at", "-"),
        **{f"version of {name}": version for name, version in versions.items()},
    }
    return pd.Series(facts, name="provenance")
