"""Authentication: every endpoint the engagement names, called with no credential, a wrong one and
a malformed one, must refuse (401 or 403) and give away no data.

An HTTP target is probed as it is. The reference system is served over HTTP first (`Serving`), so
its real authentication is what is probed; a Python callable has no credentials to probe.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from playbook.targets.base import Target
from playbook.targets.capabilities import AuthAttempt, AuthProbe, Serving, capability, why_missing
from playbook.targets.http_access import CREDENTIALS, REFUSED


@dataclass(frozen=True)
class AuthVerdict:
    attempt: AuthAttempt
    refused: bool | None  # None: no reply (the request failed), or no such endpoint
    data: tuple[str, ...]  # document ids or facts found in the reply


@dataclass
class AuthRun:
    verdicts: list[AuthVerdict] = field(default_factory=list)
    missing: str | None = None  # why nothing could be probed
    where: str = ""  # what was probed (the served copy, or the target itself)

    @property
    def admitted(self) -> list[AuthVerdict]:
        return [verdict for verdict in self.verdicts if verdict.refused is False]


def run_auth(target: Target, workdir: Path, telltales: Collection[str]) -> AuthRun:
    """Probe every endpoint with every bad credential; `telltales` are document ids and facts
    whose presence in a reply means it gave data away."""
    probe = capability(target, AuthProbe)
    served = None
    if probe is None:
        serving = capability(target, Serving)
        if serving is None:
            return AuthRun(missing=why_missing(target, AuthProbe))
        served = serving.open(workdir / "served-auth")
        probe = capability(served, AuthProbe)
    try:
        run = AuthRun(
            where=f"{served.spec} (the target served over HTTP)" if served else target.spec
        )
        for endpoint in probe.endpoints():
            for credential in CREDENTIALS:
                attempt = probe.attempt(endpoint, credential)
                run.verdicts.append(judge(attempt, telltales))
        return run
    finally:
        if served is not None:
            served.close()


def judge(attempt: AuthAttempt, telltales: Collection[str]) -> AuthVerdict:
    found = tuple(sorted(t for t in telltales if t and t in attempt.body))
    if attempt.status is None or attempt.status in (404, 405):
        return AuthVerdict(attempt, None, found)
    return AuthVerdict(attempt, attempt.status in REFUSED and not found, found)


def auth_table(run: AuthRun) -> pd.DataFrame:
    rows = [
        {
            "endpoint": verdict.attempt.endpoint,
            "credential": verdict.attempt.credential,
            "status": verdict.attempt.status or verdict.attempt.error or "-",
            "refused": "undetermined" if verdict.refused is None else verdict.refused,
            "data in the reply": ", ".join(verdict.data[:3]) or "-",
        }
        for verdict in run.verdicts
    ]
    columns = ["endpoint", "credential", "status", "refused", "data in the reply"]
    return pd.DataFrame(rows, columns=columns)
