"""Alert rules as data: one per decided failure mode and one for the latency budget, written
against the series the target exposes, evaluated over the run's metrics (which would have
fired), and exported as a Prometheus alerting-rules file a team loads as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import yaml

from playbook.gaps.observability.metrics import Exposed, Window

FAILURE_MODES = (
    "timeout",
    "rate_limit",
    "server_error",
    "malformed_output",
    "nonsense_output",
    "empty_retrieval",
)
MODE_SHARE = 0.05  # a failure mode behind more than 1 answer in 20 over the window pages someone
EMPTY_SHARE = 0.2  # retrieval finding nothing for 1 question in 5: the index or the data is off
WINDOW = "5m"


@dataclass(frozen=True)
class AlertRule:
    """One alert: what it watches, the condition, the window, and the decision behind it."""

    name: str
    watches: str  # a failure mode, "errors" or "latency"
    measure: str  # "error_share", "mode_share", "empty_share" or "p95_seconds"
    threshold: float
    expr: str  # the PromQL a team's Prometheus evaluates
    series: str | None  # the exposed series it reads; None: the target exposes nothing to read
    decision: str
    window: str = WINDOW

    @property
    def can_fire(self) -> bool:
        return self.series is not None


def default_rules(exposed: Exposed, budget: object, policy: object) -> list[AlertRule]:
    """Rules for the latency budget, the error limit and every decided failure mode, on the
    series `exposed` names (a rule whose series is missing is kept, and says it cannot fire)."""
    p95_s = budget.p95_ms / 1000.0  # type: ignore[attr-defined]
    requests = exposed.requests
    errors = exposed.errors or requests
    status = exposed.status_label
    rate = f"[{WINDOW}]"
    quantile = (
        f"histogram_quantile(0.95, sum by (le) (rate({exposed.latency}_bucket{rate}))) > {p95_s:g}"
        if exposed.latency
        else ""
    )
    rules = [
        AlertRule(
            "AnswerLatencyOverBudget",
            "latency",
            "p95_seconds",
            p95_s,
            quantile,
            exposed.latency,
            "latency-budget",
        ),
        AlertRule(
            "AnswerErrorsOverLimit",
            "errors",
            "error_share",
            budget.max_error_rate,  # type: ignore[attr-defined]
            _share(errors, requests, status, None, budget.max_error_rate),  # type: ignore[attr-defined]
            errors if requests else None,
            "latency-budget",
        ),
    ]
    decided = set(policy.policies.model_dump()) if policy is not None else set(FAILURE_MODES)  # type: ignore[attr-defined]
    for mode in FAILURE_MODES:
        if mode not in decided:
            continue
        if mode == "empty_retrieval":
            series = exposed.empty_retrievals
            expr = (
                f"sum(rate({series}{rate})) / sum(rate({requests}{rate})) > {EMPTY_SHARE:g}"
                if series and requests
                else ""
            )
            rules.append(
                AlertRule(
                    "EmptyRetrievals",
                    mode,
                    "empty_share",
                    EMPTY_SHARE,
                    expr,
                    series if requests else None,
                    "failure-policy",
                )
            )
            continue
        typed = exposed.errors
        rules.append(
            AlertRule(
                "".join(part.title() for part in mode.split("_")) + "Failures",
                mode,
                "mode_share",
                MODE_SHARE,
                _share(typed, requests, None, mode, MODE_SHARE) if typed else "",
                typed if requests else None,
                "failure-policy",
            )
        )
    return rules


def _share(
    errors: str | None, requests: str | None, status: str | None, mode: str | None, limit: float
) -> str:
    if not errors or not requests:
        return ""
    if mode is not None:
        selector = f'{{type="{mode}"}}'
    elif status and errors == requests:
        selector = f'{{{status}="error"}}'
    else:
        selector = ""
    return f"sum(rate({errors}{selector}[{WINDOW}])) / sum(rate({requests}[{WINDOW}])) > {limit:g}"


def value_of(rule: AlertRule, window: Window) -> float | None:
    """The rule's measure over a window of the run's metrics (None: nothing to read)."""
    if not rule.can_fire:
        return None
    if rule.measure == "p95_seconds":
        return window.p95_s
    if not window.requests:
        return None
    if rule.measure == "error_share":
        return window.errors / window.requests
    if rule.measure == "empty_share":
        return window.empty_retrievals / window.requests
    return window.errors_by_type.get(rule.watches, 0.0) / window.requests


def evaluation_table(rules: Sequence[AlertRule], window: Window | None) -> pd.DataFrame:
    """Each rule, its value over the run's load and whether it would have fired."""
    rows = []
    for rule in rules:
        value = value_of(rule, window) if window is not None else None
        rows.append(
            {
                "alert": rule.name,
                "watches": rule.watches,
                "threshold": rule.threshold,
                "value in this run": None if value is None else round(value, 4),
                "would fire": bool(value is not None and value > rule.threshold),
                "can fire": rule.can_fire,
            }
        )
    columns = ["alert", "watches", "threshold", "value in this run", "would fire", "can fire"]
    return pd.DataFrame(rows, columns=columns)


def prometheus_rules(rules: Sequence[AlertRule], group: str) -> str:
    """The rules that can fire, as a Prometheus alerting-rules file (YAML)."""
    entries = [
        {
            "alert": rule.name,
            "expr": rule.expr,
            "for": rule.window,
            "labels": {"severity": "page" if rule.watches in ("latency", "errors") else "ticket"},
            "annotations": {
                "summary": f"{rule.watches}: {rule.measure} above {rule.threshold:g}",
                "decision": rule.decision,
            },
        }
        for rule in rules
        if rule.can_fire and rule.expr
    ]
    return yaml.safe_dump({"groups": [{"name": group, "rules": entries}]}, sort_keys=False)
