"""Readiness: points per check, a score per gap area, the weakest measured area, and the gate.

An area is *measured* when at least one of its checks counted (pass, warn, fail or error). An area
with no evidence, or whose checks were all skipped, is *not measured*: it has no score (never 0,
never a pass) and a reason. Readiness is the minimum over the measured areas, reported with its
coverage (measured areas out of the areas in scope). The gate passes only when every area in scope
was measured and readiness meets the threshold; a measured shortfall fails it, and missing
measurements leave it `incomplete`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from playbook.evidence import CheckResult, Evidence
from playbook.notebooks import SCORED_AREAS

# Non-overlapping bands over [0, 1]: a readiness belongs to the last band whose floor it reaches.
LEVELS: tuple[tuple[float, str], ...] = (
    (0.0, "demo"),
    (0.5, "pilot"),
    (0.7, "production candidate"),
    (0.9, "production ready"),
)
NOT_MEASURED = "not measured"
Gate = Literal["pass", "fail", "incomplete"]
_STATUS_ORDER = ("pass", "warn", "fail", "error", "skip")


@dataclass(frozen=True)
class AreaScore:
    """One gap area's share of points (None when not measured), the counts behind it, and why
    it was not measured."""

    area: str
    score: float | None
    counted: int
    statuses: dict[str, int] = field(default_factory=dict)
    reason: str = ""

    @property
    def measured(self) -> bool:
        return self.score is not None


@dataclass(frozen=True)
class Scorecard:
    """Every area in scope, measured or not, and the verdicts built on the measured ones."""

    areas: tuple[AreaScore, ...]
    min_readiness: float

    @property
    def measured(self) -> tuple[AreaScore, ...]:
        return tuple(area for area in self.areas if area.measured)

    @property
    def unmeasured(self) -> list[str]:
        """The areas in scope with no score, in playbook order."""
        return [area.area for area in self.areas if not area.measured]

    @property
    def unmeasured_reasons(self) -> dict[str, str]:
        """Why each unmeasured area has no score."""
        return {area.area: area.reason for area in self.areas if not area.measured}

    @property
    def readiness(self) -> float | None:
        """The lowest score over the measured areas; None when nothing was measured."""
        return min((area.score for area in self.measured), default=None)  # type: ignore[type-var]

    @property
    def coverage(self) -> float:
        """The share of the areas in scope that were measured."""
        return len(self.measured) / len(self.areas) if self.areas else 0.0

    @property
    def coverage_text(self) -> str:
        return f"{len(self.measured)} of {len(self.areas)} areas"

    @property
    def level(self) -> str:
        return NOT_MEASURED if self.readiness is None else level_for(self.readiness)

    @property
    def gate(self) -> Gate:
        """`fail` on a measured shortfall; `incomplete` while an area in scope is unmeasured."""
        readiness = self.readiness
        if readiness is not None and readiness < self.min_readiness:
            return "fail"
        if readiness is None or self.unmeasured:
            return "incomplete"
        return "pass"

    @property
    def weakest(self) -> AreaScore | None:
        """The measured area with the lowest score."""
        measured = self.measured
        return min(measured, key=lambda area: area.score or 0.0) if measured else None

    def verdict(self) -> str:
        """The line a stakeholder reads: readiness over coverage, level, gate, what is missing."""
        shown = "not measured" if self.readiness is None else f"{self.readiness:.2f}"
        line = (
            f"Readiness {shown} over {self.coverage_text} ({self.level}); "
            f"gate >= {self.min_readiness:.2f}: {self.gate}"
        )
        if self.unmeasured:
            line += f"; not measured: {', '.join(self.unmeasured)}"
        return line

    def to_contract(self) -> dict:
        """The `scorecard` block of run.json."""
        return {
            "areas": {
                area.area: None if area.score is None else round(area.score, 4)
                for area in self.areas
            },
            "readiness": None if self.readiness is None else round(self.readiness, 4),
            "coverage": round(self.coverage, 4),
            "measured_areas": len(self.measured),
            "areas_in_scope": len(self.areas),
            "not_measured": self.unmeasured_reasons,
            "level": self.level,
            "gate": self.gate,
            "min_readiness": self.min_readiness,
        }

    def table(self) -> pd.DataFrame:
        """One row per area: score (empty when not measured), counted checks, statuses, note."""
        rows = []
        for area in self.areas:
            row: dict[str, object] = {
                "area": area.area,
                "score": None if area.score is None else round(area.score, 3),
                "checks": area.counted,
            }
            row.update({status: area.statuses.get(status, 0) for status in _STATUS_ORDER})
            row["note"] = "" if area.measured else f"{NOT_MEASURED}: {area.reason}"
            rows.append(row)
        return pd.DataFrame(rows, columns=["area", "score", "checks", *_STATUS_ORDER, "note"])


def level_for(readiness: float) -> str:
    """The band a readiness falls in."""
    name = LEVELS[0][1]
    for floor, band in LEVELS:
        if readiness >= floor:
            name = band
    return name


def area_score(area: str, checks: Sequence[CheckResult], reason: str = "") -> AreaScore:
    """Points over counted checks; skipped checks count neither way. With none counted the area
    is not measured: `reason`, or the first skip's reason, says why."""
    statuses = {status: sum(check.status == status for check in checks) for status in _STATUS_ORDER}
    counted = [check.points for check in checks if check.points is not None]
    if not counted:
        skips = [check for check in checks if check.status == "skip"]
        if skips:
            why = f"every check skipped ({skips[0].id}: {skips[0].detail})"
        else:
            why = reason or "no evidence was recorded"
        return AreaScore(area, None, 0, statuses, why)
    return AreaScore(area, sum(counted) / len(counted), len(counted), statuses)


def build_scorecard(
    evidence: Iterable[Evidence],
    min_readiness: float,
    in_scope: Iterable[str] = SCORED_AREAS,
    reasons: Mapping[str, str] | None = None,
) -> Scorecard:
    """Score every area in scope (and any other area the evidence holds), in playbook order.

    `reasons` says why an area has no evidence (its notebook failed, was not run, is not built).
    """
    by_area: dict[str, list[CheckResult]] = {area: [] for area in in_scope}
    for item in evidence:
        by_area.setdefault(item.area, []).extend(item.checks)
    reasons = reasons or {}
    order = {area: index for index, area in enumerate(SCORED_AREAS)}
    names = sorted(by_area, key=lambda area: (order.get(area, len(order)), area))
    areas = tuple(area_score(area, by_area[area], reasons.get(area, "")) for area in names)
    return Scorecard(areas, min_readiness)
