"""Check results and the evidence files that carry them between notebooks (a stable contract)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field

from playbook.atomic import write_json_atomic
from playbook.errors import PlaybookError

Status = Literal["pass", "warn", "fail", "error", "skip"]
STATUSES: tuple[Status, ...] = ("pass", "warn", "fail", "error", "skip")
POINTS: dict[str, float | None] = {
    "pass": 1.0,
    "warn": 0.5,
    "fail": 0.0,
    "error": 0.0,
    "skip": None,
}

Observed = float | int | str | bool | None


class CheckResult(BaseModel):
    """The outcome of one executable check against a target, with what was seen and expected."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    area: str
    id: str
    title: str
    status: Status
    observed: Observed = None
    expected: str = ""
    unit: str = ""
    detail: str = ""
    remedy: str | None = None
    decision: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def points(self) -> float | None:
        """1 for pass, 0.5 for warn, 0 for fail or error; None for skip (not counted)."""
        return POINTS[self.status]


class Chart(BaseModel):
    """A figure a notebook drew, as plotly JSON, so notebook 07 and the report draw it again
    from the evidence alone (plotly.js then appears once in the report, however many charts)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str
    figure: dict


class Evidence(BaseModel):
    """Everything one notebook measured: the content of `evidence/NN_area.json`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    area: str
    notebook: str
    target: str
    checks: tuple[CheckResult, ...] = Field(default_factory=tuple)
    charts: tuple[Chart, ...] = Field(default_factory=tuple)

    def table(self) -> pd.DataFrame:
        """The checks as a table, one row per check, in a fixed column order."""
        return checks_table(self.checks)


def checks_table(checks: Iterable[CheckResult]) -> pd.DataFrame:
    """Checks as a data frame indexed by check id, the columns a reader scans first."""
    columns = ["id", "status", "points", "observed", "expected", "unit", "title", "decision"]
    rows = [{column: getattr(check, column) for column in columns} for check in checks]
    return pd.DataFrame(rows, columns=columns).set_index("id")


def evidence_path(run_dir: Path, notebook: str) -> Path:
    """Where the evidence of `notebook` (for example `03_failure_handling`) lives in a run."""
    return Path(run_dir) / "evidence" / f"{notebook}.json"


def write_evidence(
    run_dir: Path,
    notebook: str,
    area: str,
    target: str,
    checks: Iterable[CheckResult],
    charts: Iterable[Chart] = (),
) -> Evidence:
    """Record the checks (and charts) of one notebook as `evidence/<notebook>.json`."""
    checks = tuple(checks)
    wrong_area = [check.id for check in checks if check.area != area]
    if wrong_area:
        raise ValueError(f"checks {wrong_area} do not belong to area {area!r}")
    evidence = Evidence(
        area=area, notebook=notebook, target=target, checks=checks, charts=tuple(charts)
    )
    write_json_atomic(evidence_path(run_dir, notebook), evidence.model_dump(mode="json"))
    return evidence


def read_evidence(path: Path) -> Evidence:
    """Read one evidence file; a damaged file is a PlaybookError naming it."""
    path = Path(path)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PlaybookError(f"{path}: cannot read evidence ({exc})") from exc
    if isinstance(payload, dict):
        for check in payload.get("checks", []):
            if isinstance(check, dict):
                check.pop("points", None)  # derived from status; never trusted from the file
    try:
        return Evidence.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise PlaybookError(f"{path}: field '{field}': {first['msg']}") from exc


def read_run_evidence(run_dir: Path) -> list[Evidence]:
    """All evidence files of a run, ordered by notebook name."""
    folder = Path(run_dir) / "evidence"
    if not folder.is_dir():
        return []
    return [read_evidence(path) for path in sorted(folder.glob("*.json"))]
