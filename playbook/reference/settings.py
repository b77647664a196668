"""What the reference system is configured with: its own settings, not the playbook's engagement.

The reference system is the system *under test*: it knows nothing of engagements, decisions or
checks. Its adapter (`playbook.targets.reference`) builds these settings from the engagement and
the decisions (the stage budgets come from the latency-budget decision), exactly as a team would
configure its own service from a deployment file.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from playbook.faults import FaultPlan
from playbook.reference.llm import LlmConfig
from playbook.reference.resilience import (
    BUDGETED_RETRY_POLICY,
    BreakerSettings,
    RetryPolicy,
    StageBudgets,
)
from playbook.reference.switches import Hardening
from playbook.sources import DataSource
from playbook.users import UserDirectory

DEFAULT_TOP_K = 5


@dataclass(frozen=True)
class ReferenceSettings:
    """The switches, data, users, stage budgets and folders of one reference system."""

    workdir: Path | None = None  # where the store lives (created); `serve` makes a temporary one
    hardening: Hardening = field(default_factory=Hardening)
    sources: tuple[DataSource, ...] = ()
    users: UserDirectory = field(default_factory=UserDirectory)
    budgets: StageBudgets = field(default_factory=StageBudgets)
    llm: LlmConfig | None = None  # an OpenAI-compatible endpoint; None: the extractive answerer
    log_path: Path | None = None  # a JSON-lines log file, besides the in-memory log
    retry_policy: RetryPolicy = BUDGETED_RETRY_POLICY
    breaker: BreakerSettings = field(default_factory=BreakerSettings)
    top_k: int = DEFAULT_TOP_K
    faults: FaultPlan | None = None
    # records of parsed files, by content digest: shared by every system of an engagement's runs
    # (default: beside the store)
    parse_cache: Path | None = None

    def __post_init__(self) -> None:
        if self.workdir is not None:
            object.__setattr__(self, "workdir", Path(self.workdir))
        object.__setattr__(self, "sources", tuple(self.sources))

    def but(self, **changes: Any) -> ReferenceSettings:
        """A copy with some settings changed (another folder, other switches, a model endpoint)."""
        return replace(self, **changes)
