"""`playbook doctor`: a pre-flight check of a participant's machine, and how JupyterLab is started.

Each check is a small function that returns a `DoctorResult` (what it found and how to fix it);
`run_doctor` runs them all, turning a check that raises into a problem that carries the
exception's message. Nothing here prints: the command line shows the results.

Environment variables that change what the checks look for (the tests use them to simulate a
broken machine):

- `PLAYBOOK_DOCTOR_KERNEL`: the Jupyter kernel name to look for (default `playbook`).
- `PLAYBOOK_DOCTOR_CHROMIUM`: where Debian's Chromium should be (default `/usr/bin/chromium`).

The notebooks folder, the engagement the reference system is asked on, the requirements and the
disk-space threshold have no variable: the check functions take them as arguments.
"""

from __future__ import annotations

import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from importlib import metadata
from pathlib import Path

from playbook.engagement import DEMO_TEMPLATE, REPO_ROOT
from playbook.notebooks import NOTEBOOKS_DIR, SEQUENCE

KERNEL_ENV = "PLAYBOOK_DOCTOR_KERNEL"
CHROMIUM_ENV = "PLAYBOOK_DOCTOR_CHROMIUM"
KERNEL_NAME = "playbook"  # as the Makefile registers it and playbook.runner picks it
KERNEL_DISPLAY_NAME = "Python (playbook)"
CHROMIUM = Path("/usr/bin/chromium")
PYPROJECT = REPO_ROOT / "pyproject.toml"
DISTRIBUTION = "gap-playbook"
REFERENCE_SPEC = "reference:production"
MIN_FREE_BYTES = 1 << 30  # 1 GiB
LAB_START_SECONDS = 30.0
LAB_STOP_SECONDS = 15.0
LAB_DEFAULT_URL = "/lab/tree/notebooks"
SETUP_FIX = "make setup (or: pip install -e '.[test]')"


@dataclass(frozen=True)
class DoctorResult:
    """One check's verdict. A failed check that is not `required` is a warning: the playbook
    still runs, with less."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True
    seconds: float = 0.0

    @property
    def verdict(self) -> str:
        """ok, problem (a required check failed) or warning."""
        if self.ok:
            return "ok"
        return "problem" if self.required else "warning"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _python_command() -> str:
    """This interpreter as a user would type it: `.venv/bin/python` inside the repository."""
    executable = Path(sys.executable)
    try:
        return str(executable.relative_to(Path.cwd()))
    except ValueError:
        return shlex.quote(str(executable))


def kernel_install_command(name: str = KERNEL_NAME) -> str:
    """The command the Makefile's setup uses to register the kernel, for this interpreter."""
    return (
        f"{_python_command()} -m ipykernel install --sys-prefix --name {shlex.quote(name)} "
        f'--display-name "{KERNEL_DISPLAY_NAME}"'
    )


def _project_table() -> dict | None:
    """The `[project]` table of the repository's pyproject.toml, None when it is not there."""
    if not PYPROJECT.is_file():
        return None
    with PYPROJECT.open("rb") as file:
        return tomllib.load(file).get("project", {})


def required_python() -> str:
    """The `requires-python` specifier of pyproject.toml (of the installed metadata without it)."""
    project = _project_table()
    if project is not None and project.get("requires-python"):
        return project["requires-python"]
    return metadata.metadata(DISTRIBUTION).get("Requires-Python") or ""


def project_requirements() -> list[str]:
    """The playbook's own dependencies as pyproject.toml asks for them (not the test extras)."""
    project = _project_table()
    if project is not None:
        return list(project.get("dependencies", []))
    return [
        line for line in metadata.requires(DISTRIBUTION) or [] if "extra ==" not in line
    ]  # installed without its source folder: the metadata pip recorded


def check_python(version: Sequence[int] | None = None, requires: str | None = None) -> DoctorResult:
    """Whether this Python meets pyproject.toml's `requires-python`."""
    from packaging.specifiers import SpecifierSet

    found = ".".join(str(part) for part in (version or sys.version_info)[:3])
    wanted = required_python() if requires is None else requires
    if SpecifierSet(wanted).contains(found, prereleases=True):
        return DoctorResult("python", True, f"Python {found} (the playbook needs {wanted})")
    return DoctorResult(
        "python",
        False,
        f"Python {found}, the playbook needs {wanted}",
        f"install a Python that matches {wanted} (Debian: apt-get install -y python3.11 "
        "python3.11-venv), then: rm -rf .venv && make setup PYTHON=python3.11",
    )


def check_packages(requirements: Iterable[str] | None = None) -> DoctorResult:
    """Whether every dependency is installed at a version its requirement allows."""
    from packaging.requirements import Requirement

    wanted = [Requirement(text) for text in (requirements or project_requirements())]
    missing: list[str] = []
    old: list[str] = []
    for requirement in wanted:
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        try:
            installed = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            missing.append(str(requirement))
            continue
        if not requirement.specifier.contains(installed, prereleases=True):
            old.append(f"{requirement.name} {installed} (needs {requirement.specifier})")
    if not missing and not old:
        return DoctorResult("packages", True, f"{len(wanted)} packages at the versions asked for")
    parts = ([f"missing: {', '.join(missing)}"] if missing else []) + (
        [f"wrong version: {', '.join(old)}"] if old else []
    )
    return DoctorResult("packages", False, "; ".join(parts), SETUP_FIX)


def check_kernel(name: str | None = None) -> DoctorResult:
    """Whether the Jupyter kernel the runner and `playbook lab` use is registered and usable."""
    from jupyter_client.kernelspec import KernelSpecManager

    name = name or os.environ.get(KERNEL_ENV) or KERNEL_NAME
    fix = kernel_install_command(name) + (" (or: make setup)" if name == KERNEL_NAME else "")
    manager = KernelSpecManager()
    specs = manager.find_kernel_specs()
    if name not in specs:
        have = ", ".join(sorted(specs)) or "none"
        return DoctorResult("kernel", False, f"no Jupyter kernel named {name!r} (have {have})", fix)
    argv = manager.get_kernel_spec(name).argv
    python = argv[0] if argv else ""
    major, minor = sys.version_info[:2]
    if python in {"python", f"python{major}", f"python{major}.{minor}"}:
        resolved = sys.executable  # jupyter_client runs the server's own interpreter for these
    else:
        resolved = python if os.path.isabs(python) else shutil.which(python)
    if not resolved or not os.access(resolved, os.X_OK):
        return DoctorResult(
            "kernel", False, f"kernel {name!r} runs {python!r}, which does not exist", fix
        )
    if Path(resolved).resolve() != Path(sys.executable).resolve():
        probe = subprocess.run(
            [resolved, "-c", "import playbook"], capture_output=True, text=True, timeout=60
        )
        if probe.returncode != 0:
            error = (probe.stderr.strip().splitlines() or ["no error output"])[-1]
            return DoctorResult(
                "kernel",
                False,
                f"kernel {name!r} runs {resolved}, which cannot import playbook ({error})",
                fix,
            )
    return DoctorResult("kernel", True, f"kernel {name!r} runs {resolved}")


def check_notebooks(folder: Path = NOTEBOOKS_DIR) -> DoctorResult:
    """Whether every notebook of the sequence is in `folder`."""
    fix = "restore them from the repository: git checkout -- notebooks/ (or clone it again)"
    if not folder.is_dir():
        return DoctorResult("notebooks", False, f"{folder}: no such folder", fix)
    missing = [
        f"{entry.name}.ipynb"
        for entry in SEQUENCE
        if not (folder / f"{entry.name}.ipynb").is_file()
    ]
    if missing:
        return DoctorResult("notebooks", False, f"{folder}: missing {', '.join(missing)}", fix)
    return DoctorResult("notebooks", True, f"all {len(SEQUENCE)} notebooks in {folder}")


def check_reference(
    engagement_dir: Path = DEMO_TEMPLATE, spec: str = REFERENCE_SPEC
) -> DoctorResult:
    """Whether the reference system answers one golden question of the engagement, with a
    source, status ok (it builds its index in a temporary folder)."""
    from playbook.engagement import load_engagement
    from playbook.golden import engagement_golden
    from playbook.targets import connect

    fix = (
        "reinstall (make setup) and restore the bundled demo: git checkout -- templates/ "
        "data_samples/"
    )
    started = time.monotonic()
    try:
        engagement = load_engagement(engagement_dir)
    except Exception as exc:
        return DoctorResult("reference", False, _one_line(str(exc)), fix)
    items, why = engagement_golden(engagement)
    answerable = [item for item in items if item.answerable]
    if not answerable:
        return DoctorResult(
            "reference", False, f"{engagement_dir}: no golden question to ask ({why})", fix
        )
    item = answerable[0]
    with tempfile.TemporaryDirectory(prefix="playbook-doctor-") as workdir:
        target = connect(spec, engagement, workdir=Path(workdir))
        try:
            answer = target.ask(item.question, item.user)
        finally:
            target.close()
    seconds = time.monotonic() - started
    asked = f"{spec} asked golden question {item.id}"
    if answer.status != "ok" or not answer.sources:
        reason = _one_line(answer.error or answer.text)[:200]
        return DoctorResult(
            "reference",
            False,
            f"{asked}: status {answer.status}, {len(answer.sources)} source(s): {reason}",
            fix,
        )
    return DoctorResult(
        "reference",
        True,
        f"{asked}: answered in {seconds:.1f} s citing {', '.join(answer.sources)}",
    )


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether `port` can be bound on `host`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def jupyterlab_argv(
    root: Path,
    port: int,
    *,
    kernel: str | None = KERNEL_NAME,
    open_browser: bool = False,
    allow_root: bool = False,
    default_url: str | None = None,
) -> list[str]:
    """The command that starts JupyterLab on 127.0.0.1:`port` serving `root`. The token is not
    in it (the command line is visible to every local user): pass it as JUPYTER_TOKEN."""
    argv = [sys.executable, "-m", "jupyterlab"]
    if not open_browser:
        argv.append("--no-browser")
    if allow_root:
        argv.append("--allow-root")
    argv += [
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",  # another port would make the URL printed wrong
        f"--ServerApp.root_dir={root}",
    ]
    if kernel:
        argv.append(f"--MappingKernelManager.default_kernel_name={kernel}")
    if default_url:
        argv.append(f"--ServerApp.default_url={default_url}")
    return argv


def lab_argv(port: int, *, kernel: str = KERNEL_NAME, open_browser: bool = True) -> list[str]:
    """The JupyterLab `playbook lab` starts: the repository as its root (the notebooks and an
    engagement inside it both reachable), opened on notebooks/, `kernel` for new notebooks."""
    return jupyterlab_argv(
        REPO_ROOT,
        port,
        kernel=kernel,
        open_browser=open_browser,
        allow_root=hasattr(os, "geteuid") and os.geteuid() == 0,  # containers often run as root
        default_url=LAB_DEFAULT_URL,
    )


def lab_is_up(url: str, token: str, timeout_s: float = 2.0) -> bool:
    """Whether the JupyterLab at `url` answers `/api/status` to this token."""
    import httpx

    try:
        with httpx.Client(trust_env=False, timeout=timeout_s) as client:
            response = client.get(f"{url}/api/status", headers={"Authorization": f"token {token}"})
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def wait_for_lab(
    process: subprocess.Popen,
    url: str,
    token: str,
    timeout_s: float = LAB_START_SECONDS,
    cancel: threading.Event | None = None,
) -> str | None:
    """Poll until JupyterLab answers: None once it does, else why it did not (it exited, it
    stayed silent for `timeout_s`, or `cancel` was set)."""
    deadline = time.monotonic() + timeout_s
    while True:
        if cancel is not None and cancel.is_set():
            return "cancelled before JupyterLab answered"
        if process.poll() is not None:
            return f"JupyterLab exited with status {process.returncode} before answering"
        if lab_is_up(url, token):
            return None
        if time.monotonic() > deadline:
            return f"JupyterLab did not answer on {url}/api/status within {timeout_s:.0f} s"
        time.sleep(0.25)


def stop_process_group(process: subprocess.Popen, timeout_s: float = LAB_STOP_SECONDS) -> None:
    """SIGTERM the process's group (the server stops its kernels), SIGKILL it if it lingers.
    The process must have been started with `start_new_session=True`."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout_s)
    except ProcessLookupError:
        process.wait(timeout=timeout_s)


def check_jupyterlab(
    timeout_s: float = LAB_START_SECONDS, cancel: threading.Event | None = None
) -> DoctorResult:
    """Whether JupyterLab starts and answers, in a throw-away folder with its own Jupyter
    config, data and runtime folders (it never sees or changes the user's)."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="playbook-doctor-lab-") as scratch:
        root = Path(scratch) / "lab"
        state = Path(scratch) / "jupyter-state"
        for folder in (root, state / "config", state / "data", state / "runtime"):
            folder.mkdir(parents=True)
        token = secrets.token_hex(16)
        port = free_port()
        environment = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(state / "config"),
            "JUPYTER_DATA_DIR": str(state / "data"),
            "JUPYTER_RUNTIME_DIR": str(state / "runtime"),
            "JUPYTER_TOKEN": token,
        }
        environment.pop("JUPYTER_TOKEN_FILE", None)
        argv = jupyterlab_argv(root, port, kernel=None, allow_root=True)
        log_path = Path(scratch) / "jupyter-lab.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                argv,
                cwd=root,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                url = f"http://127.0.0.1:{port}"
                problem = wait_for_lab(process, url, token, timeout_s, cancel)
            finally:
                stop_process_group(process)
        seconds = time.monotonic() - started
        if problem is None:
            return DoctorResult("jupyterlab", True, f"started and answered in {seconds:.1f} s")
        tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:]
        detail = problem + (f": {_one_line(tail[0])[:240]}" if tail else "")
    return DoctorResult("jupyterlab", False, detail, SETUP_FIX)


def check_browser(chromium: Path | None = None) -> DoctorResult:
    """Which browser opens JupyterLab and the report: Debian's Chromium, $BROWSER or xdg-open.
    A warning only: the playbook runs without one, and the lab opens in any browser."""
    chromium = chromium or Path(os.environ.get(CHROMIUM_ENV) or CHROMIUM)
    chromium_fix = "apt-get install -y chromium (never `playwright install`)"
    if chromium.is_file() and os.access(chromium, os.X_OK):
        return DoctorResult("browser", True, f"Debian's Chromium at {chromium}", required=False)
    found: list[str] = []
    browser = os.environ.get("BROWSER", "")
    for entry in filter(str.strip, browser.split(os.pathsep)):
        if shutil.which(shlex.split(entry)[0]):
            found.append(f"$BROWSER ({entry})")
            break
    if shutil.which("xdg-open"):
        found.append(f"xdg-open ({shutil.which('xdg-open')})")
    if sys.platform == "darwin" and shutil.which("open"):
        found.append("open (the macOS default browser)")
    if found:
        return DoctorResult(
            "browser",
            True,
            f"{found[0]}; no Chromium at {chromium}, which `playbook report --pdf` and the "
            f"browser tests need ({chromium_fix})",
            required=False,
        )
    return DoctorResult(
        "browser",
        False,
        f"no browser: no Chromium at {chromium}, "
        + (f"$BROWSER ({browser}) not installed" if browser.strip() else "$BROWSER unset")
        + ", no xdg-open",
        chromium_fix,
        required=False,
    )


def check_disk(folder: Path | None = None, minimum: int = MIN_FREE_BYTES) -> DoctorResult:
    """Whether the working folder has room for run folders and reports (warns below 1 GiB)."""
    folder = folder or Path.cwd()
    free = shutil.disk_usage(folder).free
    shown = f"{free / (1 << 30):.1f} GiB free in {folder}"
    if free >= minimum:
        return DoctorResult("disk", True, shown, required=False)
    return DoctorResult(
        "disk",
        False,
        f"{shown} (runs and reports want at least {minimum / (1 << 30):.1f} GiB)",
        "free some space, or work in a folder on a larger disk (old runs are in DIR/runs/)",
        required=False,
    )


@dataclass(frozen=True)
class DoctorCheck:
    """A check to run: its name, the function, and whether `--quick` leaves it out."""

    name: str
    run: Callable[[], DoctorResult]
    slow: bool = False


def default_checks(cancel: threading.Event | None = None) -> list[DoctorCheck]:
    """The checks `playbook doctor` runs, in the order they are shown; `cancel` stops the slow
    one early."""
    return [
        DoctorCheck("python", check_python),
        DoctorCheck("packages", check_packages),
        DoctorCheck("kernel", check_kernel),
        DoctorCheck("notebooks", check_notebooks),
        DoctorCheck("reference", check_reference),
        DoctorCheck("jupyterlab", partial(check_jupyterlab, cancel=cancel), slow=True),
        DoctorCheck("browser", check_browser),
        DoctorCheck("disk", check_disk),
    ]


def run_check(check: DoctorCheck) -> DoctorResult:
    """The check's result, timed; one that raises is a problem carrying the exception's message."""
    started = time.monotonic()
    try:
        result = check.run()
    except Exception as exc:
        message = _one_line(str(exc)) or "no message"
        result = DoctorResult(
            check.name, False, f"{type(exc).__name__}: {message}", f"{SETUP_FIX}, then try again"
        )
    return replace(result, seconds=time.monotonic() - started)


def run_doctor(
    quick: bool = False, checks: list[DoctorCheck] | None = None
) -> Iterator[DoctorResult]:
    """Each check's result, in order (`quick` leaves out the slow ones). The slow ones start
    first, in a thread of their own, so they overlap the others."""
    cancel = threading.Event()
    chosen = [
        check
        for check in (checks if checks is not None else default_checks(cancel))
        if not (quick and check.slow)
    ]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="playbook-doctor") as pool:
        early = {check.name: pool.submit(run_check, check) for check in chosen if check.slow}
        try:
            for check in chosen:
                yield early[check.name].result() if check.name in early else run_check(check)
        finally:
            cancel.set()  # Ctrl+C or a reader that stops early: do not wait for JupyterLab


def summary(
    results: Sequence[DoctorResult], seconds: float | None = None, quick: bool = False
) -> tuple[int, str]:
    """The exit status (1 when a required check failed) and the closing line."""
    problems = sum(result.verdict == "problem" for result in results)
    warnings = sum(result.verdict == "warning" for result in results)
    counted = f"{len(results)} checks"
    tail = (f", {seconds:.1f} s" if seconds is not None else "") + (
        " (JupyterLab not started: --quick)" if quick else ""
    )
    if problems:
        return 1, (
            f"{problems} problem(s), {warnings} warning(s) in {counted}{tail}: apply the fixes "
            "above, then run playbook doctor again"
        )
    if warnings:
        return 0, f"Ready: {counted}, {warnings} warning(s) that do not stop the playbook{tail}"
    return 0, f"Ready: all {counted} passed{tail}"
