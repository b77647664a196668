from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class CommandResult:
    code: int
    stdout: str
    stderr: str


def playbook(*args: str, cwd: Path, env: dict[str, str] | None = None) -> CommandResult:
    """Run the `playbook` command as a user would, with no standard input."""
    completed = subprocess.run(
        [sys.executable, "-m", "playbook.cli", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return CommandResult(completed.returncode, completed.stdout, completed.stderr)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> tuple[Path, CommandResult]:
    """One full `playbook new` + `playbook run` of the demo engagement, shared by the e2e tests."""
    workspace = tmp_path_factory.mktemp("workspace")
    created = playbook("new", "client", "--demo", cwd=workspace)
    assert created.code == 0, created.stderr
    result = playbook("run", "client", "--jobs", "2", cwd=workspace)
    return workspace / "client", result
