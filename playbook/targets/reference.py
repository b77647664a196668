"""The embedded reference system as a Target: built from the engagement, ingested on first use."""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playbook.targets.base import Answer
from playbook.targets.spec import REFERENCE_PROFILES

if TYPE_CHECKING:
    from playbook.engagement import Engagement
    from playbook.reference.system import ReferenceSystem


class ReferenceTarget:
    """`reference:prototype` or `reference:production` in-process; `.system` for inner checks.

    Nothing is built until first use. The workdir is a temporary folder (removed on close)
    unless the caller passes one, which is kept.
    """

    def __init__(
        self,
        engagement: Engagement,
        profile: str = "prototype",
        workdir: Path | None = None,
        switches: Mapping[str, bool] | None = None,
        **options: Any,
    ) -> None:
        from playbook.errors import PlaybookError

        if profile not in REFERENCE_PROFILES:
            raise PlaybookError(
                f"unknown reference profile {profile!r}: expected one of {REFERENCE_PROFILES}"
            )
        self.spec = f"reference:{profile}"
        self.profile = profile
        self.engagement = engagement
        self.switches = dict(engagement.target.switches if switches is None else switches)
        self._workdir = Path(workdir) if workdir else None
        self._scratch: str | None = None
        self._options = options
        self._system: ReferenceSystem | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_engagement(
        cls,
        engagement: Engagement,
        profile: str,
        workdir: Path | None = None,
        switches: Mapping[str, bool] | None = None,
        **options: Any,
    ) -> ReferenceTarget:
        """The target for `profile` over the engagement; `switches` None means the engagement's."""
        return cls(engagement, profile, workdir, switches, **options)

    @property
    def system(self) -> ReferenceSystem:
        """The running system, built and ingested on first access."""
        with self._lock:
            if self._system is None:
                from playbook.reference.system import ReferenceSystem

                if self._workdir is None:
                    self._scratch = tempfile.mkdtemp(prefix="playbook-reference-")
                    self._workdir = Path(self._scratch)
                system = ReferenceSystem.from_engagement(
                    self.engagement, self.profile, self._workdir, self.switches, **self._options
                )
                try:
                    system.ingest()
                except BaseException:
                    system.close()
                    raise
                self._system = system
            return self._system

    def ask(self, question: str, user: str | None = None) -> Answer:
        """Ask the reference system; a failure to even build it is an error answer."""
        try:
            system = self.system
        except Exception as exc:  # the Target contract: ask never raises
            return Answer(
                text=f"{type(exc).__name__}: {exc}",
                status="error",
                error=f"{type(exc).__name__}: {exc}",
            )
        return system.ask(question, user)

    def close(self) -> None:
        """Close the system and remove the temporary workdir this target made."""
        with self._lock:
            if self._system is not None:
                self._system.close()
                self._system = None
            if self._scratch is not None:
                shutil.rmtree(self._scratch, ignore_errors=True)
                self._scratch = None
                self._workdir = None
