"""The notebook sequence: names, gap areas, and what each notebook must wait for."""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from playbook.errors import PlaybookError

if TYPE_CHECKING:
    from playbook.checks import AreaChecks

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"


@dataclass(frozen=True)
class NotebookInfo:
    """One notebook of the playbook and the gap area its evidence scores."""

    name: str
    area: str
    title: str
    after: tuple[str, ...] = ()  # notebooks whose results this one reads
    checks: str = ""  # the module whose `CHECKS` declares the checks its evidence holds
    alone: bool = False  # runs with no other notebook: it measures time, which they would share
    typical_s: float = 5.0  # seconds on the demo at depth quick: the order of a first run's waves
    # slow imports its work makes, done by a kernel started ahead of the notebook's turn
    heavy_imports: tuple[str, ...] = ()

    @property
    def number(self) -> str:
        return self.name[:2]

    @property
    def path(self) -> Path:
        return NOTEBOOKS_DIR / f"{self.name}.ipynb"

    def declared_checks(self) -> AreaChecks | None:
        """The checks this notebook's evidence must hold, as its area declares them."""
        return importlib.import_module(self.checks).CHECKS if self.checks else None


_SCOPE = "00_engagement"
_DECISIONS = "01_architecture_decisions"
_GAPS = ("02_data_pipelines", "03_failure_handling", "04_latency", "05_observability")
# Gap notebooks wait for 00 as well: a target that answers nothing stops the run there.
_MEASURED_AFTER = (_SCOPE, _DECISIONS)
# Every gap notebook finds personal data (playbook.pii) or builds a production reference system
# that redacts it: presidio and the spaCy it imports take about a second.
_PII = ("presidio_analyzer",)
SEQUENCE: tuple[NotebookInfo, ...] = (
    NotebookInfo(
        _SCOPE, "scope", "Engagement and scope", checks="playbook.gaps.scope", typical_s=4.6
    ),
    NotebookInfo(
        _DECISIONS,
        "decisions",
        "Architecture decisions",
        checks="playbook.decisions",
        typical_s=3.3,
    ),
    NotebookInfo(
        "02_data_pipelines",
        "data",
        "Data pipelines",
        _MEASURED_AFTER,
        "playbook.gaps.data",
        typical_s=10.2,
        heavy_imports=_PII,
    ),
    NotebookInfo(
        "03_failure_handling",
        "failure",
        "Failure handling",
        _MEASURED_AFTER,
        "playbook.gaps.failure",
        typical_s=16.2,
        heavy_imports=_PII,
    ),
    NotebookInfo(
        "04_latency",
        "latency",
        "Latency",
        _MEASURED_AFTER,
        "playbook.gaps.latency",
        alone=True,
        typical_s=31.2,
        heavy_imports=_PII,
    ),
    NotebookInfo(
        "05_observability",
        "observability",
        "Observability",
        _MEASURED_AFTER,
        "playbook.gaps.observability",
        typical_s=6.6,
        heavy_imports=_PII,
    ),
    NotebookInfo(
        "06_security_access",
        "security",
        "Security and access",
        _MEASURED_AFTER,
        "playbook.gaps.security",
        typical_s=14.2,
        heavy_imports=_PII,
    ),
    NotebookInfo(
        "07_definition_of_done",
        "done",
        "Definition of done",
        (_SCOPE, _DECISIONS, *_GAPS, "06_security_access"),
        typical_s=4.0,
    ),
)
BY_NAME = {info.name: info for info in SEQUENCE}
# Areas a run can score: every notebook's but the definition of done, which only reads evidence.
SCORED_AREAS = tuple(info.area for info in SEQUENCE if info.area != "done")


def normalise_notebook_key(key: str) -> str:
    """Accept `04`, `04_latency` or `04_latency.ipynb`; return the full name or raise."""
    key = key.strip().removesuffix(".ipynb")
    for info in SEQUENCE:
        if key in (info.name, info.number):
            return info.name
    known = ", ".join(info.name for info in SEQUENCE)
    raise PlaybookError(f"unknown notebook {key!r}: expected one of {known}")


def info(name: str) -> NotebookInfo:
    """The catalogue entry of a notebook name or number."""
    return BY_NAME[normalise_notebook_key(name)]


def recorded_notebooks(run_dir: Path) -> list[NotebookInfo]:
    """The notebooks a run folder's run.json says the run set out to execute (none without one)."""
    record = Path(run_dir) / "run.json"
    if not record.is_file():
        return []
    entries = json.loads(record.read_text(encoding="utf-8")).get("notebooks", [])
    return [BY_NAME[entry["name"]] for entry in entries if entry.get("name") in BY_NAME]


def missing_evidence_reasons(run_dir: Path, folder: Path = NOTEBOOKS_DIR) -> dict[str, str]:
    """Why each scored area could lack evidence in a run: its notebook is not built yet, failed,
    did not run, or was left out of the run (`--only`). Areas whose notebook ran have none."""
    record = Path(run_dir) / "run.json"
    entries = (
        {entry["name"]: entry for entry in json.loads(record.read_text("utf-8"))["notebooks"]}
        if record.is_file()
        else {}
    )
    reasons: dict[str, str] = {}
    for entry in SEQUENCE:
        if entry.area not in SCORED_AREAS:
            continue
        ran = entries.get(entry.name)
        if not (folder / f"{entry.name}.ipynb").exists():
            reasons[entry.area] = f"notebook {entry.name} is not built yet"
        elif ran is not None and ran.get("status") == "failed":
            error = (ran.get("error") or "").strip().splitlines()
            reasons[entry.area] = f"{entry.name} failed" + (f": {error[0][:160]}" if error else "")
        elif ran is not None and ran.get("status") == "skipped":
            reasons[entry.area] = f"{entry.name} did not run: {ran.get('error') or 'skipped'}"
        elif ran is None:
            reasons[entry.area] = (
                f"{entry.name} was not part of this run (--only)"
                if entries
                else f"{entry.name} has not run in this run folder"
            )
    return reasons


def available(folder: Path = NOTEBOOKS_DIR) -> list[NotebookInfo]:
    """The notebooks of the sequence that exist in `folder`, in order."""
    return [entry for entry in SEQUENCE if (folder / f"{entry.name}.ipynb").exists()]
