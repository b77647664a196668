"""What `playbook run` shows while notebooks run: each running notebook's cells done of cells
and its long task (an ingest's files done of files); a live table on a terminal, plain lines
every few seconds elsewhere (CI logs, a pipe)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from playbook.progress import progress_file, read_progress
from playbook.runner import NotebookOutcome

STATUS_STYLE = {"ok": "green", "failed": "red", "skipped": "yellow"}
PLAIN_EVERY_S = 10.0  # a CI log gets a progress line per running notebook this often


@dataclass
class _Running:
    started: float
    cells: tuple[int, int] | None = None


@dataclass
class RunDisplay:
    """A run monitor (see `playbook.runner.RunMonitor`) that shows progress on `console`."""

    console: Console
    live: bool | None = None  # None: live when the console is a terminal
    _running: dict[str, _Running] = field(default_factory=dict)
    _run_dir: Path | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _live: Live | None = None
    _ticker: threading.Thread | None = None

    def __enter__(self) -> RunDisplay:
        if self.live if self.live is not None else self.console.is_terminal:
            self._live = Live(
                get_renderable=self._table,
                console=self.console,
                refresh_per_second=4,
                transient=True,
            )
            self._live.start()
        else:
            self._ticker = threading.Thread(target=self._tick, name="run-progress", daemon=True)
            self._ticker.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._live is not None:
            self._live.stop()
        if self._ticker is not None:
            self._ticker.join(timeout=1)

    # ---- the runner's calls --------------------------------------------------------------------

    def run_started(self, run_dir: Path) -> None:
        self._run_dir = run_dir

    def notebook_started(self, name: str) -> None:
        with self._lock:
            self._running[name] = _Running(time.monotonic())
        if self._live is None:
            self.console.print(f"  [dim]…[/dim] {name}")

    def cells_done(self, name: str, done: int, total: int) -> None:
        with self._lock:
            if name in self._running:
                self._running[name].cells = (done, total)

    def notebook_finished(self, outcome: NotebookOutcome) -> None:
        with self._lock:
            self._running.pop(outcome.name, None)
        style = STATUS_STYLE.get(outcome.status, "white")
        line = f"  [{style}]{outcome.status:>6}[/{style}] {outcome.name}  {outcome.seconds:6.1f} s"
        if outcome.error:
            line += f"  [red]{outcome.error.splitlines()[0][:160]}[/red]"
        self.console.print(line)

    # ---- showing -------------------------------------------------------------------------------

    def status_lines(self) -> list[tuple[str, str, str, str]]:
        """(notebook, cells, task, elapsed) of every running notebook."""
        with self._lock:
            running = sorted(self._running.items())
        rows = []
        for name, state in running:
            cells = f"cell {state.cells[0]} of {state.cells[1]}" if state.cells else "starting"
            task = read_progress(progress_file(self._run_dir, name)) if self._run_dir else None
            shown = task.text if task is not None and task.done < task.total else ""
            rows.append((name, cells, shown, f"{time.monotonic() - state.started:.0f} s"))
        return rows

    def _table(self) -> Table:
        table = Table(box=None, show_header=False, pad_edge=False)
        for _ in range(4):
            table.add_column()
        for name, cells, task, elapsed in self.status_lines():
            table.add_row(
                f"  [cyan]▶[/cyan] {name}", escape(cells), escape(task), f"[dim]{elapsed}[/dim]"
            )
        return table

    def _tick(self) -> None:
        while not self._stop.wait(PLAIN_EVERY_S):
            for name, cells, task, elapsed in self.status_lines():
                detail = "; ".join(part for part in (cells, task) if part)
                self.console.print(f"    {name}: {detail} ({elapsed})", markup=False)
