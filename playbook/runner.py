"""Executes the notebook sequence with papermill into a new run folder and writes run.json."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import platform
import secrets
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

import papermill
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

from playbook.atomic import write_json_atomic
from playbook.engagement import Engagement
from playbook.errors import PlaybookError
from playbook.evidence import evidence_path, read_evidence, read_run_evidence
from playbook.notebooks import (
    NOTEBOOKS_DIR,
    NotebookInfo,
    available,
    missing_evidence_reasons,
    normalise_notebook_key,
)
from playbook.preflight import check_inputs
from playbook.scorecard import Scorecard, build_scorecard

NotebookStatus = Literal["ok", "failed", "skipped"]
KERNEL_NAME = "playbook"
DEFAULT_CELL_TIMEOUT_S = 600
FINAL_NOTEBOOK = "07_definition_of_done"
SCOPE_NOTEBOOK = "00_engagement"
_VERSIONED = ("gap-playbook", "papermill", "nbconvert", "nbclient", "pandas", "plotly", "ipykernel")


@dataclass
class NotebookOutcome:
    """How one notebook of a run ended."""

    name: str
    status: NotebookStatus = "skipped"
    seconds: float = 0.0
    error: str | None = None

    def to_contract(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "error": self.error,
        }


@dataclass
class RunResult:
    """A finished run: where it is, how each notebook ended, and the scorecard."""

    run_id: str
    run_dir: Path
    outcomes: list[NotebookOutcome]
    scorecard: Scorecard
    report: Path | None = None
    report_error: str | None = None
    seconds: float = 0.0
    stopped: str | None = None  # why the gap notebooks did not run (the target answers nothing)

    @property
    def failed(self) -> list[NotebookOutcome]:
        return [outcome for outcome in self.outcomes if outcome.status == "failed"]

    @property
    def exit_code(self) -> int:
        """0 when the gate is met and every notebook ran; 1 otherwise."""
        return 0 if self.scorecard.gate == "pass" and not self.failed else 1


class RunInterrupted(KeyboardInterrupt):
    """Ctrl+C during a run: what finished is recorded in `run_dir`, the rest was stopped."""

    def __init__(self, run_dir: Path):
        super().__init__(str(run_dir))
        self.run_dir = run_dir


class RunMonitor(Protocol):
    """Who watches a run: told when it starts, as notebooks start and finish, and as each
    notebook's code cells finish (called from the runner's worker threads)."""

    def run_started(self, run_dir: Path) -> None: ...

    def notebook_started(self, name: str) -> None: ...

    def cells_done(self, name: str, done: int, total: int) -> None: ...

    def notebook_finished(self, outcome: NotebookOutcome) -> None: ...


def default_jobs() -> int:
    """Notebooks run at once unless told: one more than the cores, two to four. Notebooks wait
    on their targets part of the time (a served copy starting, a fault's timeout): on two cores
    a third notebook used that time, and the demo's quick run went from 41-46 s to 39-41 s."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(2, min(4, (cores or 1) + 1))


@dataclass
class RunOptions:
    """What the command line can change for one run."""

    only: Sequence[str] | None = None
    jobs: int = 1
    cell_timeout_s: int = DEFAULT_CELL_TIMEOUT_S
    kernel_name: str | None = None
    monitor: RunMonitor | None = None
    extra_parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    notebooks_dir: Path = NOTEBOOKS_DIR  # another folder of NN_name.ipynb files, e.g. in tests


def new_run_id(now: datetime | None = None) -> str:
    """A run id that sorts by start time and carries a random tail so two runs never collide."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S}{now.microsecond // 1000:03d}Z-{secrets.token_hex(2)}"


def create_run_dir(engagement: Engagement) -> tuple[str, Path]:
    """Make a fresh `runs/<run-id>/` atomically; an existing folder is never reused."""
    runs = engagement.folder / "runs"
    try:
        runs.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PlaybookError(f"{runs}: cannot create the runs folder ({exc.strerror})") from None
    for _ in range(20):
        run_id = new_run_id()
        try:
            (runs / run_id).mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            raise PlaybookError(f"{runs}: cannot create a run folder ({exc.strerror})") from None
        return run_id, runs / run_id
    raise PlaybookError(f"{runs}: could not find a free run id")


def select_notebooks(
    only: Iterable[str] | None, folder: Path = NOTEBOOKS_DIR
) -> list[NotebookInfo]:
    """The notebooks to run, in sequence order; `07` is always added so every run is scored."""
    present = available(folder)
    if not only:
        return present
    wanted = {normalise_notebook_key(key) for key in only}
    wanted.add(FINAL_NOTEBOOK)
    missing = sorted(name for name in wanted if name not in {nb.name for nb in present})
    if missing and missing != [FINAL_NOTEBOOK]:
        raise PlaybookError(f"--only: notebook(s) {', '.join(missing)} are not in this checkout")
    return [nb for nb in present if nb.name in wanted]


def plan_waves(
    selected: Sequence[NotebookInfo], seconds: dict[str, float] | None = None
) -> list[list[NotebookInfo]]:
    """Group notebooks into waves: each waits only for selected notebooks it reads, and a
    notebook that measures time (`alone`) gets a wave of its own. Within a wave the longest
    go first (`seconds`, else each notebook's typical time), so the jobs finish together: the
    demo's four gap notebooks took 31 s in playbook order on two jobs, 27 s longest first."""
    names = {nb.name for nb in selected}
    done: set[str] = set()
    waves: list[list[NotebookInfo]] = []
    remaining = list(selected)
    while remaining:
        ready = [nb for nb in remaining if all(d in done or d not in names for d in nb.after)]
        if not ready:  # a cycle cannot happen with SEQUENCE; guard against a broken edit of it
            raise RuntimeError("notebook dependencies form a cycle")
        alone = [nb for nb in ready if nb.alone]
        if alone and len(ready) > 1:  # the others first, then the one that measures time
            shared = [nb for nb in ready if not nb.alone]
            ready = shared or alone[:1]
        expected = seconds or {}
        waves.append(sorted(ready, key=lambda nb: -expected.get(nb.name, nb.typical_s)))
        done.update(nb.name for nb in ready)
        remaining = [nb for nb in remaining if nb.name not in done]
    return waves


def resolve_kernel(requested: str | None) -> str:
    """The named `playbook` kernel when installed, else the environment's `python3`."""
    specs = KernelSpecManager().find_kernel_specs()
    if requested:
        if requested not in specs:
            raise PlaybookError(
                f"--kernel: no Jupyter kernel named {requested!r} (have {sorted(specs)})"
            )
        return requested
    return KERNEL_NAME if KERNEL_NAME in specs else "python3"


def notebook_parameters(
    engagement: Engagement,
    notebook: NotebookInfo,
    run_dir: Path,
    extra: dict[str, Any],
    folder: Path = NOTEBOOKS_DIR,
) -> dict[str, Any]:
    """Parameters injected into a notebook; unknown per-notebook settings are a config error."""
    declared = papermill.inspect_notebook(str(folder / f"{notebook.name}.ipynb"))
    settings = {**engagement.settings_for(notebook.name), **extra}
    unknown = sorted(set(settings) - set(declared))
    if unknown:
        raise PlaybookError(
            f"{engagement.file}: field 'notebooks.{notebook.name}': unknown setting(s) "
            f"{', '.join(unknown)} (expected some of: {', '.join(sorted(declared))})"
        )
    base = {
        "engagement_dir": str(engagement.folder),
        "run_dir": str(run_dir),
        "target_spec": engagement.target.spec,
        "depth": engagement.depth,
        "interactive": False,
    }
    return {**{k: v for k, v in base.items() if k in declared}, **settings}


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class _RunRecord:
    """run.json, rewritten atomically after every notebook so a crash leaves a readable file."""

    def __init__(self, engagement: Engagement, run_id: str, run_dir: Path, names: list[str]):
        self.path = run_dir / "run.json"
        self._lock = threading.Lock()
        self.data: dict[str, Any] = {
            "run_id": run_id,
            "engagement": engagement.name,
            "target": engagement.target.spec,
            "depth": engagement.depth,
            "started_at": _now(),
            "finished_at": None,
            "versions": _versions(),
            "notebooks": [NotebookOutcome(name).to_contract() for name in names],
            "scorecard": None,
        }
        self.save()

    def update(self, outcome: NotebookOutcome) -> None:
        with self._lock:  # notebooks finish on several threads
            self.data["notebooks"] = [
                outcome.to_contract() if entry["name"] == outcome.name else entry
                for entry in self.data["notebooks"]
            ]
            self.save()

    def interrupt(self) -> None:
        with self._lock:
            self.data["finished_at"] = _now()
            self.data["interrupted"] = True
            self.save()

    def finish(self, scorecard: Scorecard, report: Path | None) -> None:
        self.data["finished_at"] = _now()
        self.data["scorecard"] = scorecard.to_contract()
        self.data["report"] = report.name if report else None
        self.save()

    def save(self) -> None:
        write_json_atomic(self.path, self.data)


class LocalSocketKernelManager(AsyncKernelManager):
    """Kernels talk over Unix sockets in a private temporary folder, not over TCP ports.

    Nothing else on the machine can connect to them, and ipykernel has no cause to warn that
    code and outputs cross the network unencrypted.
    """

    _live: ClassVar[weakref.WeakSet[LocalSocketKernelManager]] = weakref.WeakSet()

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        LocalSocketKernelManager._live.add(self)
        self.transport = "ipc"
        self._socket_folder = tempfile.mkdtemp(prefix="playbook-kernel-")
        self.ip = os.path.join(self._socket_folder, "k")

    @classmethod
    def kill_all(cls) -> None:
        """Kill every running kernel; nbclient then fails its notebook with a dead kernel."""
        for manager in list(cls._live):
            process = getattr(manager.provisioner, "process", None)
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=10)
            shutil.rmtree(manager._socket_folder, ignore_errors=True)

    working_dir: ClassVar[str | None] = None  # the kernel's working folder (see `in_folder`)

    @classmethod
    def in_folder(cls, folder: Path) -> type[LocalSocketKernelManager]:
        """A manager class whose kernels start in `folder`.

        The kernel is started in the folder itself rather than through papermill's `cwd`, which
        changes the working folder of this whole process: two notebooks run on two threads would
        leave it in one of their folders.
        """
        return type(cls.__name__, (cls,), {"working_dir": str(folder)})

    async def _async_pre_start_kernel(self, **kw: Any) -> Any:
        if self.working_dir is not None:
            kw.setdefault("cwd", self.working_dir)
        return await super()._async_pre_start_kernel(**kw)

    async def _async_interrupt_kernel(self) -> None:
        # jupyter_client interrupts every kernel before it shuts it down; an idle kernel then
        # logs "ERROR | KeyboardInterrupt caught in kernel." into the output of a good run.
        if self.shutting_down:
            return
        await super()._async_interrupt_kernel()

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart)
        if not restart:
            shutil.rmtree(self._socket_folder, ignore_errors=True)


# Imported by every notebook: a kernel started ahead imports them before its notebook's turn.
# plotly's renderers import nbformat, whose jsonschema compiles an IRI grammar (0.75 s).
WARM_IMPORTS = ("playbook.context", "playbook.charts", "plotly.io._renderers")


class KernelsAhead:
    """Kernels started before their notebook's turn, with the imports every notebook makes
    already done.

    A job slot the current wave leaves idle starts the next wave's kernels, so a notebook that
    waits for the others (04 measures alone, 07 reads everyone's evidence) does not also wait
    for a kernel to start and import pandas and plotly. nbclient receives the started kernel
    as if it had made it, and shuts it down as its own.
    """

    def __init__(self, kernel: str, folder: Path) -> None:
        self._kernel = kernel
        self._folder = folder
        self._lock = threading.Lock()
        self._starting: dict[str, Future[LocalSocketKernelManager]] = {}
        self._closed = False
        self._waiting = 0  # notebooks of the running wave that have not started
        self._upcoming: list[NotebookInfo] = []  # the next wave's notebooks
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kernel-ahead")

    def wave_starts(self, size: int, upcoming: Sequence[NotebookInfo], jobs: int) -> None:
        """A wave of `size` notebooks starts on `jobs` slots: those it leaves idle start the
        kernels of the next wave (`upcoming`) now."""
        with self._lock:
            self._waiting = size
            self._upcoming = list(upcoming)
        self.start(upcoming, count=jobs - size)

    def slot_free(self) -> None:
        """A notebook ended: when no notebook of its wave waits for the slot, the next wave's
        next kernel starts."""
        with self._lock:
            upcoming = self._upcoming if self._waiting <= 0 else []
        self.start(upcoming)

    def start(self, notebooks: Sequence[NotebookInfo], count: int = 1) -> None:
        """Start the kernels of the first `count` of `notebooks` not started yet."""
        with self._lock:
            if self._closed:
                return
            for notebook in [nb for nb in notebooks if nb.name not in self._starting][:count]:
                self._starting[notebook.name] = self._pool.submit(self._start, notebook)

    def _start(self, notebook: NotebookInfo) -> LocalSocketKernelManager:
        manager = LocalSocketKernelManager.in_folder(self._folder)(kernel_name=self._kernel)
        modules = [
            *WARM_IMPORTS,
            *([notebook.checks] if notebook.checks else []),
            *notebook.heavy_imports,
        ]
        arguments = [
            f"--IPKernelApp.exec_lines=import {', '.join(modules)}",  # no execution count
            "--HistoryManager.hist_file=:memory:",  # as nbclient starts its kernels
        ]
        asyncio.run(manager.start_kernel(extra_arguments=arguments))
        return manager

    def take(self, name: str) -> type[LocalSocketKernelManager] | None:
        """Notebook `name` starts: the kernel manager class to give nbclient, one that hands
        over the kernel started ahead, or None when there is none (nbclient starts one)."""
        with self._lock:
            self._waiting -= 1
            future = self._starting.pop(name, None)
        if future is None:
            return None
        try:
            manager = future.result()
        except Exception:  # the notebook starts its own kernel, which reports what is wrong
            return None
        # nbclient calls the class to make its manager: this one returns the started manager,
        # an instance of a sibling class, so Python does not initialise it a second time
        return type(
            "HandedOver", (LocalSocketKernelManager,), {"__new__": lambda *_, **__: manager}
        )

    def close(self) -> None:
        """Shut down the kernels no notebook took (a run stopped early, a notebook skipped)."""
        with self._lock:
            self._closed = True
            left = list(self._starting.values())
            self._starting.clear()
        # on the pool's threads, after the starts: the caller's thread may run an event loop
        # (a Jupyter kernel does), and asyncio.run refuses to start inside one
        for future in left:
            self._pool.submit(_shut_down, future)
        self._pool.shutdown(wait=True)


def _shut_down(starting: Future[LocalSocketKernelManager]) -> None:
    """Stop a kernel started ahead that no notebook took; one that failed to start is gone."""

    async def stop(manager: LocalSocketKernelManager) -> None:
        await manager.shutdown_kernel(now=True)
        await manager.cleanup_resources()

    with contextlib.suppress(Exception):
        asyncio.run(stop(starting.result()))


# papermill writes the whole output notebook as each cell starts and ends: 50 ms a time once
# plotly.js is inlined (5 MB), 47 times and 2.5 s of this process's CPU for notebook 07 alone.
SAVE_EVERY_S = 5.0


class _CountingManager(NotebookExecutionManager):
    """papermill's record of an execution, also telling `on_cell` when a code cell finishes.

    While cells run, the output notebook is written at most every SAVE_EVERY_S; its start, a
    cell's exception and its end are always written."""

    def __init__(self, nb: Any, on_cell: Callable[[int, int], None] | None, **kwargs: Any):
        self._between_cells = False
        self._saved_at = 0.0
        super().__init__(nb, **kwargs)
        self._on_cell = on_cell
        self._total = sum(cell.cell_type == "code" for cell in nb.cells)
        self._done = 0

    def save(self, **kwargs: Any) -> None:
        if self._between_cells and time.monotonic() - self._saved_at < SAVE_EVERY_S:
            return
        super().save(**kwargs)
        self._saved_at = time.monotonic()

    @contextlib.contextmanager
    def _between(self) -> Iterator[None]:
        self._between_cells = True
        try:
            yield
        finally:
            self._between_cells = False

    def cell_start(self, cell: Any, cell_index: int | None = None, **kwargs: Any) -> None:
        with self._between():
            super().cell_start(cell, cell_index=cell_index, **kwargs)

    def cell_complete(self, cell: Any, cell_index: int | None = None, **kwargs: Any) -> None:
        with self._between():
            super().cell_complete(cell, cell_index=cell_index, **kwargs)
        if cell.cell_type == "code" and self._on_cell is not None:
            self._done += 1
            self._on_cell(self._done, self._total)


class _CountingEngine(NBClientEngine):
    """papermill's nbclient engine with a cell count: papermill makes its execution manager
    inside `execute_notebook`, so the method is repeated here with ours."""

    @classmethod
    def execute_notebook(  # type: ignore[override]
        cls,
        nb: Any,
        kernel_name: str,
        output_path: str | None = None,
        progress_bar: bool = False,
        log_output: bool = False,
        autosave_cell_every: int = 30,
        on_cell: Callable[[int, int], None] | None = None,
        **kwargs: Any,
    ) -> Any:
        manager = _CountingManager(
            nb,
            on_cell,
            output_path=output_path,
            progress_bar=progress_bar,
            log_output=log_output,
            autosave_cell_every=autosave_cell_every,
        )
        manager.notebook_start()
        try:
            cls.execute_managed_notebook(manager, kernel_name, log_output=log_output, **kwargs)
        finally:
            manager.cleanup_pbar()
            manager.notebook_complete()
        return manager.nb


ENGINE = "playbook-counting"
papermill_engines.register(ENGINE, _CountingEngine)


def _execute(
    source: Path,
    run_dir: Path,
    parameters: dict[str, Any],
    kernel: str,
    timeout: int,
    on_cell: Callable[[int, int], None] | None = None,
    manager_class: type[LocalSocketKernelManager] | None = None,
) -> NotebookOutcome:
    name = source.stem
    output = run_dir / "notebooks" / source.name
    started = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(source),
            str(output),
            parameters=parameters,
            engine_name=ENGINE,
            kernel_name=kernel,
            progress_bar=False,
            start_timeout=120,
            execution_timeout=timeout,
            kernel_manager_class=manager_class or LocalSocketKernelManager.in_folder(source.parent),
            on_cell=on_cell,
            # every output has arrived when the last cell ends: a graceful shutdown only waits
            # 0.6 to 1 s for the kernel's interpreter to tear itself down
            shutdown_kernel="immediate",
        )
    except papermill.PapermillExecutionError as exc:
        error = f"cell {exc.exec_count}: {exc.ename}: {exc.evalue}".strip()
        return NotebookOutcome(name, "failed", time.perf_counter() - started, error)
    except Exception as exc:  # a dead kernel or a timeout must not stop the other notebooks
        error = f"{type(exc).__name__}: {exc}".strip()
        return NotebookOutcome(name, "failed", time.perf_counter() - started, error)
    return NotebookOutcome(name, "ok", time.perf_counter() - started)


def _snapshot_inputs(engagement: Engagement, run_dir: Path) -> None:
    """Copy the engagement and decisions as they were, so a run can be understood later."""
    inputs = run_dir / "inputs"
    inputs.mkdir()
    for source in (engagement.file, engagement.decisions_path):
        if source.is_file():
            shutil.copy2(source, inputs / source.name)


def run_playbook(engagement: Engagement, options: RunOptions | None = None) -> RunResult:
    """Run the selected notebooks in waves, record each outcome, score the run, write the report."""
    options = options or RunOptions()
    check_inputs(engagement)  # a user's mistake stops here, before a run folder exists
    folder = Path(options.notebooks_dir)
    selected = select_notebooks(options.only, folder)
    if not selected:
        raise PlaybookError("no notebooks to run: the notebooks/ folder of this checkout is empty")
    kernel = resolve_kernel(options.kernel_name)
    logging.getLogger("papermill").setLevel(logging.WARNING)
    parameters = {
        nb.name: notebook_parameters(
            engagement, nb, Path("RUN_DIR"), options.extra_parameters.get(nb.name, {}), folder
        )
        for nb in selected
    }  # validated before anything is written
    expected = last_durations(engagement)
    run_id, run_dir = create_run_dir(engagement)
    started = time.perf_counter()
    _snapshot_inputs(engagement, run_dir)
    (run_dir / "notebooks").mkdir()
    record = _RunRecord(engagement, run_id, run_dir, [nb.name for nb in selected])
    outcomes: dict[str, NotebookOutcome] = {}
    monitor = options.monitor
    if monitor is not None:
        monitor.run_started(run_dir)

    def run_one(notebook: NotebookInfo) -> NotebookOutcome:
        if interrupted.is_set():
            return NotebookOutcome(notebook.name, "skipped", error="run interrupted")
        if monitor is not None:
            monitor.notebook_started(notebook.name)
        params = {**parameters[notebook.name]}
        if "run_dir" in params:
            params["run_dir"] = str(run_dir)
        source = folder / f"{notebook.name}.ipynb"
        on_cell = (
            (lambda done, total: monitor.cells_done(notebook.name, done, total))
            if monitor is not None
            else None
        )
        manager_class = ahead.take(notebook.name)
        outcome = _execute(
            source, run_dir, params, kernel, options.cell_timeout_s, on_cell, manager_class
        )
        ahead.slot_free()
        if interrupted.is_set() and outcome.status == "failed":
            outcome.error = "run interrupted"
        record.update(outcome)  # as it happens: an interrupted run still says what finished
        if monitor is not None:
            monitor.notebook_finished(outcome)
        return outcome

    interrupted = threading.Event()
    stopped: str | None = None
    jobs = max(1, options.jobs)
    pool = ThreadPoolExecutor(max_workers=jobs)
    ahead = KernelsAhead(kernel, folder)
    waves = plan_waves(selected, expected)
    try:
        for index, wave in enumerate(waves):
            if stopped is not None:  # the gap notebooks would measure nothing but errors
                measured = [nb for nb in wave if nb.name == FINAL_NOTEBOOK]
                for notebook in wave:
                    if notebook not in measured:
                        why = f"the target answered none of the smoke questions in {SCOPE_NOTEBOOK}"
                        outcome = NotebookOutcome(notebook.name, "skipped", error=why)
                        record.update(outcome)
                        outcomes[notebook.name] = outcome
                wave = measured
            ahead.wave_starts(len(wave), waves[index + 1] if index + 1 < len(waves) else [], jobs)
            for outcome in pool.map(run_one, wave):
                outcomes[outcome.name] = outcome
            if stopped is None and SCOPE_NOTEBOOK in {nb.name for nb in wave}:
                stopped = unreachable_target(run_dir)
    except KeyboardInterrupt:
        # Ctrl+C in a workshop must stop now: stop the kernels, keep what finished, mark the rest.
        interrupted.set()
        pool.shutdown(wait=False, cancel_futures=True)
        LocalSocketKernelManager.kill_all()
        pool.shutdown(wait=True)
        record.interrupt()
        raise RunInterrupted(run_dir) from None
    finally:
        pool.shutdown(wait=True)
        ahead.close()

    scorecard = score_run(run_dir, engagement, folder)
    report, report_error = _write_report(run_dir)
    _refresh_decision_records(engagement, run_dir)
    record.finish(scorecard, report)
    ordered = [outcomes[nb.name] for nb in selected]
    seconds = time.perf_counter() - started
    return RunResult(run_id, run_dir, ordered, scorecard, report, report_error, seconds, stopped)


def last_durations(engagement: Engagement) -> dict[str, float]:
    """Seconds each notebook took in the engagement's newest run that recorded any (none: {})."""
    runs = engagement.folder / "runs"
    folders = (
        sorted((p for p in runs.iterdir() if p.is_dir()), reverse=True) if runs.is_dir() else []
    )
    for folder in folders:
        try:
            record = json.loads((folder / "run.json").read_text(encoding="utf-8"))
            found = {
                str(entry["name"]): float(entry["seconds"])
                for entry in record.get("notebooks", [])
                if entry.get("status") == "ok" and entry.get("seconds")
            }
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            continue  # a damaged or unfinished run says nothing about durations
        if found:
            return found
    return {}


def unreachable_target(run_dir: Path) -> str | None:
    """Why the gap notebooks should not run: notebook 00's smoke test got no answer at all."""
    path = evidence_path(run_dir, SCOPE_NOTEBOOK)
    if not path.is_file():
        return None
    try:
        checks = {check.id: check for check in read_evidence(path).checks}
    except PlaybookError:
        return None
    smoke = checks.get("scope.target_answers")
    if smoke is None or smoke.status != "fail" or smoke.observed != 0:
        return None
    return f"the target answered none of the smoke questions in {SCOPE_NOTEBOOK} ({smoke.detail})"


def score_run(
    run_dir: Path, engagement: Engagement, notebooks_dir: Path = NOTEBOOKS_DIR
) -> Scorecard:
    """The scorecard of a run folder over every area in scope, saying why any is unmeasured."""
    return build_scorecard(
        read_run_evidence(run_dir),
        engagement.gate.min_readiness,
        reasons=missing_evidence_reasons(run_dir, notebooks_dir),
    )


def _write_report(run_dir: Path) -> tuple[Path | None, str | None]:
    from playbook.report import build_report

    try:
        return build_report(run_dir), None
    except PlaybookError as exc:
        return None, str(exc)


def _refresh_decision_records(engagement: Engagement, run_dir: Path) -> None:
    """Write each decision record's latest confirming statuses, once the decisions module exists."""
    try:
        from playbook.decisions import update_records_after_run
    except ImportError:
        return
    if engagement.decisions_path.is_file() and os.access(engagement.folder, os.W_OK):
        try:
            update_records_after_run(engagement, run_dir)
        except PlaybookError as exc:  # a damaged evidence file must not lose the finished run
            logging.getLogger(__name__).warning("decision records not updated: %s", exc)
