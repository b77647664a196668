"""What a notebook works with: the engagement, the run folder, the target and the evidence writer.

Every notebook's second cell calls `open_notebook(...)` with its parameters. Empty parameters mean
"the bundled demo engagement, a scratch run folder", so a notebook opened cold runs as it is.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from playbook import progress
from playbook.charts import use_offline_renderer
from playbook.engagement import DEMO_TEMPLATE, DepthBudget, Engagement, load_engagement
from playbook.evidence import Chart, CheckResult, Evidence, write_evidence
from playbook.golden import GoldenItem, engagement_golden
from playbook.notebooks import info
from playbook.scenarios import SCENARIO_TARGET, Scenario, broken_switches, scenario_for
from playbook.targets.spec import parse_spec

if TYPE_CHECKING:
    from playbook.decisions import Decisions
    from playbook.targets.base import Target

# Set by the test suite so notebooks validated one after another share one scratch run folder.
SCRATCH_ENV = "PLAYBOOK_SCRATCH_RUN_DIR"
# Set by `playbook lab DIR`, so a notebook opened there measures that engagement by default.
ENGAGEMENT_ENV = "PLAYBOOK_ENGAGEMENT_DIR"


@dataclass
class NotebookContext:
    """One notebook's view of a run. Holds the connected target; call `close()` at the end."""

    notebook: str
    engagement: Engagement
    run_dir: Path
    target_spec: str
    scenario: Scenario | None = None  # a trainee exercise in force
    _target: Target | None = field(default=None, repr=False)

    @property
    def area(self) -> str:
        return info(self.notebook).area

    @property
    def budget(self) -> DepthBudget:
        return self.engagement.budget

    @property
    def workdir(self) -> Path:
        """A private folder of this notebook inside the run, for databases and scratch files."""
        folder = self.run_dir / "work" / self.notebook
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    @property
    def parse_cache(self) -> Path:
        """The run's record of parsed source files, shared by its notebooks and their reference
        targets: a run parses each file once."""
        from playbook.sources.parsed_files import run_cache_beside

        return run_cache_beside(self.workdir)

    @property
    def decisions(self) -> Decisions:
        """The engagement's architecture decisions (defaults where decisions.yaml is incomplete)."""
        from playbook.decisions import load_decisions

        return load_decisions(self.engagement.decisions_path).decisions

    def target(self) -> Target:
        """The system under test, connected once per notebook."""
        if self._target is None:
            from playbook.targets import connect

            self._target = connect(self.target_spec, self.engagement, workdir=self.workdir)
        return self._target

    def record(self, checks: Iterable[CheckResult], charts: Iterable[Any] = ()) -> pd.DataFrame:
        """Write this notebook's evidence file and return the summary table to show.

        The checks must be exactly the ones the area declares (in any order; they are recorded
        in the declared order), so no notebook can leave one out of its evidence. `charts` are
        plotly figures the report shows with the area's verdict.
        """
        declared = info(self.notebook).declared_checks()
        ordered = declared.ordered(checks) if declared is not None else list(checks)
        kept = [chart_of(figure) for figure in charts]
        evidence: Evidence = write_evidence(
            self.run_dir, self.notebook, self.area, self.target_spec, ordered, kept
        )
        return evidence.table()

    def golden(self) -> list[GoldenItem]:
        """The engagement's golden set (empty when there is none; notebook 00 says why)."""
        return engagement_golden(self.engagement)[0]

    def close(self) -> None:
        if self._target is not None:
            self._target.close()
            self._target = None


def chart_of(figure: Any) -> Chart:
    """A plotly figure as evidence: its JSON (numpy arrays as lists) and its title."""
    payload = json.loads(figure.to_json())
    title = (figure.layout.title.text if figure.layout.title else None) or ""
    return Chart(title=title, figure=payload)


def scratch_run_dir() -> Path:
    """The run folder for a notebook run outside `playbook run`: shared in tests, else fresh."""
    shared = os.environ.get(SCRATCH_ENV)
    if shared:
        path = Path(shared)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return Path(tempfile.mkdtemp(prefix="playbook-scratch-run-"))


def open_notebook(
    notebook: str,
    engagement_dir: str = "",
    run_dir: str = "",
    target_spec: str = "",
    depth: str = "",
    scenario: str = "",
) -> NotebookContext:
    """Build a notebook's context from its parameters (empty means the demo defaults).

    `scenario` names a trainee exercise (`playbook.scenarios`): the production reference system
    with one switch broken, unless engagement.yaml sets that switch (the trainee's fix)."""
    use_offline_renderer()
    pd.set_option("display.max_colwidth", 160)  # check details are sentences; 50 cuts them mid-word
    engagement_dir = engagement_dir or os.environ.get(ENGAGEMENT_ENV, "")
    engagement = load_engagement(Path(engagement_dir) if engagement_dir else DEMO_TEMPLATE)
    if depth:
        engagement = engagement.with_overrides(depth=depth)
    exercise = None
    if scenario:
        exercise = scenario_for(scenario, info(notebook).name)
        switches = broken_switches(exercise, dict(engagement.target.switches))
        engagement = engagement.with_overrides(
            target__spec=SCENARIO_TARGET, target__switches=switches
        )
        target_spec = SCENARIO_TARGET
    spec = target_spec or engagement.target.spec
    parse_spec(spec)
    folder = Path(run_dir) if run_dir else scratch_run_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = info(notebook).name
    # under `playbook run` (a run folder given), long tasks say how far they got
    progress.report_to(progress.progress_file(folder, name) if run_dir else None)
    return NotebookContext(name, engagement, folder, spec, scenario=exercise)


def describe(context: NotebookContext) -> pd.DataFrame:
    """The facts a notebook shows under its parameters: what runs against what."""
    facts = {
        "engagement": context.engagement.name,
        "client": context.engagement.client,
        "target": context.target_spec,
        "depth": context.engagement.depth,
        "run folder": str(context.run_dir),
    }
    return pd.DataFrame({"value": facts})
