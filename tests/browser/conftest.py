"""Browser tests: Debian's Chromium through Playwright, and a JupyterLab of the test's own.

Chromium comes from Debian (`apt-get install chromium`), never from `playwright install`. JupyterLab
runs on 127.0.0.1 with a free port, a temporary root folder and its own config, data and runtime
folders, so a test never sees or changes the user's Jupyter state.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_SECONDS = 60.0
# JupyterLab would otherwise ask the network for news and updates, which this machine cannot reach.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch Debian's Chromium with flags that work as root in a container."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run must `apt-get install -y chromium`")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: its base URL and the folder it serves."""

    url: str
    root: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    # SIGTERM lets the server shut its kernels down (they run in process groups of their own).
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


@pytest.fixture()
def jupyter_lab(tmp_path: Path) -> Iterator[Lab]:
    """JupyterLab serving `tmp_path/lab` on 127.0.0.1, stopped when the test ends."""
    root = tmp_path / "lab"
    state = tmp_path / "jupyter-state"
    for folder in (root, state / "config", state / "data", state / "runtime"):
        folder.mkdir(parents=True)
    for name, settings in LAB_SETTINGS.items():
        path = state / "config" / "lab" / "user-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings), encoding="utf-8")
    port = _free_port()
    environment = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(state / "config"),
        "JUPYTER_DATA_DIR": str(state / "data"),
        "JUPYTER_RUNTIME_DIR": str(state / "runtime"),
    }
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", f"--ServerApp.root_dir={root}",
        "--IdentityProvider.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
        "--LabApp.expose_app_in_browser=True",
    ]  # fmt: skip
    log = (tmp_path / "jupyter-lab.log").open("wb")
    process = subprocess.Popen(
        command, cwd=root, env=environment, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"JupyterLab exited early: {(tmp_path / 'jupyter-lab.log').read_text()}"
                )
            try:
                if httpx.get(f"{url}/api/status", timeout=2.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer on {url} within {START_SECONDS:.0f} s")
            time.sleep(0.25)
        yield Lab(url, root)
    finally:
        _stop(process)
        log.close()
