"""Readiness: points per check, a score per gap area, and the weakest area as the overall score."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class AreaScore:
    """One gap area's share of points, with the counts behind it."""

    area: str
    score: float
    counted: int
    statuses: dict[str, int] = field(default_factory=dict)
    measured: bool = (
        True  # False when the area produced no counted check (no evidence, all skipped)
    )


@dataclass(frozen=True)
class Scorecard:
    """Per-area scores, the readiness (minimum over areas), its level and the gate verdict."""

    areas: tuple[AreaScore, ...]
    readiness: float
    level: str
    min_readiness: float

    @property
    def gate(self) -> str:
        return "pass" if self.areas and self.readiness >= self.min_readiness else "fail"

    @property
    def unmeasured(self) -> list[str]:
        """Gap areas of the playbook that this scorecard has no score for."""
        scored = {area.area for area in self.areas}
        return [area for area in SCORED_AREAS if area not in scored]

    @property
    def weakest(self) -> AreaScore | None:
        return min(self.areas, key=lambda area: area.score) if self.areas else None

    def to_contract(self) -> dict:
        """The `scorecard` block of run.json."""
        return {
            "areas": {area.area: round(area.score, 4) for area in self.areas},
            "readiness": round(self.readiness, 4),
            "level": self.level,
            "gate": self.gate,
            "min_readiness": self.min_readiness,
        }

    def table(self) -> pd.DataFrame:
        """One row per area: score, counted checks and how many had each status."""
        rows = []
        for area in self.areas:
            row = {"area": area.area, "score": round(area.score, 3), "checks": area.counted}
            row.update({status: area.statuses.get(status, 0) for status in _STATUS_ORDER})
            rows.append(row)
        return pd.DataFrame(rows, columns=["area", "score", "checks", *_STATUS_ORDER])


_STATUS_ORDER = ("pass", "warn", "fail", "error", "skip")


def level_for(readiness: float) -> str:
    """The band a readiness falls in."""
    name = LEVELS[0][1]
    for floor, band in LEVELS:
        if readiness >= floor:
            name = band
    return name


def area_score(area: str, checks: Sequence[CheckResult]) -> AreaScore:
    """Points over counted checks; skipped checks count neither way."""
    statuses = {status: sum(check.status == status for check in checks) for status in _STATUS_ORDER}
    counted = [check.points for check in checks if check.points is not None]
    if not counted:
        return AreaScore(area, 0.0, 0, statuses, measured=False)
    return AreaScore(area, sum(counted) / len(counted), len(counted), statuses)


def build_scorecard(
    evidence: Iterable[Evidence], min_readiness: float, expected_areas: Iterable[str] = ()
) -> Scorecard:
    """Score every area found in the evidence; an expected area with no evidence scores 0.

    An area with no counted check scores 0 too: an unmeasured gap is not a closed one.
    """
    by_area: dict[str, list[CheckResult]] = {}
    for item in evidence:
        by_area.setdefault(item.area, []).extend(item.checks)
    for area in expected_areas:
        by_area.setdefault(area, [])
    areas = tuple(area_score(area, checks) for area, checks in by_area.items())
    readiness = min((area.score for area in areas), default=0.0)
    return Scorecard(areas, readiness, level_for(readiness), min_readiness)
