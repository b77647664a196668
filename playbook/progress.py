"""Progress of long work inside a notebook, for the command line that runs it.

A notebook kernel is another process: under `playbook run`, a notebook reports its long tasks
(an ingest's files done of files) into `<run>/progress/<notebook>.json`, which the command line
reads while the notebook runs. Outside a run nothing is written.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from playbook.atomic import write_json_atomic

PROGRESS_FOLDER = "progress"
REPORT_EVERY_S = 0.25  # a file write per quarter second at most: progress must not slow the work

_sink: Path | None = None
_last_write = 0.0


@dataclass(frozen=True)
class TaskProgress:
    """One long task of a notebook: what it is, and how far it got."""

    task: str
    done: int
    total: int

    @property
    def text(self) -> str:
        return f"{self.task} {self.done} of {self.total}"


def progress_file(run_dir: Path, notebook: str) -> Path:
    return Path(run_dir) / PROGRESS_FOLDER / f"{notebook}.json"


def report_to(path: Path | None) -> None:
    """Send this process's progress reports to `path` (None: nowhere)."""
    global _sink
    _sink = path


def report(task: str, done: int, total: int) -> None:
    """Say how far a long task got; throttled, and always written when it completes."""
    global _last_write
    if _sink is None:
        return
    now = time.monotonic()
    if done < total and now - _last_write < REPORT_EVERY_S:
        return
    _last_write = now
    try:
        _sink.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(_sink, {"task": task, "done": done, "total": total})
    except OSError:
        pass  # a progress display is not worth failing the work for


def read_progress(path: Path) -> TaskProgress | None:
    """The last report in `path`, or None (none yet, or unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return TaskProgress(str(data["task"]), int(data["done"]), int(data["total"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
