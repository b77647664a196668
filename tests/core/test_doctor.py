"""`playbook doctor` and `playbook lab`: every check passes on a ready machine, and each problem it
is meant to catch is reported with its fix when simulated (environment knobs, impossible
requirements, temporary folders)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from playbook import cli as cli_module
from playbook import doctor
from playbook.doctor import (
    CHROMIUM_ENV,
    KERNEL_ENV,
    LAB_DEFAULT_URL,
    SETUP_FIX,
    DoctorCheck,
    DoctorResult,
    check_browser,
    check_disk,
    check_jupyterlab,
    check_kernel,
    check_notebooks,
    check_packages,
    check_python,
    check_reference,
    jupyterlab_argv,
    lab_argv,
    run_check,
    run_doctor,
    summary,
    wait_for_lab,
)
from playbook.engagement import REPO_ROOT
from playbook.notebooks import NOTEBOOKS_DIR, SEQUENCE


@pytest.fixture(autouse=True)
def _no_knobs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test sees the machine as it is unless it sets a knob itself."""
    monkeypatch.delenv(KERNEL_ENV, raising=False)
    monkeypatch.delenv(CHROMIUM_ENV, raising=False)


def test_python_check_passes_here_and_names_the_needed_version_on_an_old_python() -> None:
    assert check_python().ok
    old = check_python(version=(3, 10, 12))
    assert not old.ok and old.verdict == "problem"
    assert "3.10.12" in old.detail and ">=3.11" in old.detail
    assert "make setup" in old.fix


def test_packages_check_passes_here_and_lists_old_and_missing_packages() -> None:
    assert check_packages().ok, check_packages().detail
    result = check_packages(["pandas>=999", "no-such-package-for-the-doctor>=1", "click>=8.1"])
    assert not result.ok
    assert "missing: no-such-package-for-the-doctor>=1" in result.detail
    assert "pandas" in result.detail and "needs >=999" in result.detail
    assert "click" not in result.detail
    assert result.fix == SETUP_FIX


def test_kernel_check_passes_here_and_gives_the_makefile_command_when_the_kernel_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert check_kernel().ok, check_kernel().detail
    monkeypatch.setenv(KERNEL_ENV, "no-such-kernel")
    result = check_kernel()
    assert not result.ok
    assert "no Jupyter kernel named 'no-such-kernel'" in result.detail
    assert "-m ipykernel install --sys-prefix --name no-such-kernel" in result.fix
    assert '--display-name "Python (playbook)"' in result.fix


def test_kernel_check_catches_a_kernel_whose_python_is_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = tmp_path / "kernels" / "stale-playbook" / "kernel.json"
    spec.parent.mkdir(parents=True)
    argv = [
        str(tmp_path / "gone" / "python"),
        "-m",
        "ipykernel_launcher",
        "-f",
        "{connection_file}",
    ]
    spec.write_text(json.dumps({"argv": argv, "display_name": "stale", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    monkeypatch.setenv(KERNEL_ENV, "stale-playbook")
    result = check_kernel()
    assert not result.ok
    assert "does not exist" in result.detail and "ipykernel install" in result.fix


def test_notebooks_check_passes_here_and_names_the_missing_notebook(tmp_path: Path) -> None:
    assert check_notebooks().ok
    for entry in SEQUENCE[1:]:
        (tmp_path / f"{entry.name}.ipynb").write_text("{}")
    result = check_notebooks(tmp_path)
    assert not result.ok
    assert f"missing {SEQUENCE[0].name}.ipynb" in result.detail
    assert "git checkout" in result.fix
    assert not check_notebooks(tmp_path / "nowhere").ok
    assert (NOTEBOOKS_DIR / f"{SEQUENCE[0].name}.ipynb").is_file()


def test_reference_check_gets_a_sourced_answer_and_reports_a_bogus_engagement(
    tmp_path: Path,
) -> None:
    result = check_reference()
    assert result.ok, result.detail
    assert "reference:production" in result.detail and " s citing " in result.detail
    broken = check_reference(tmp_path / "no-engagement")
    assert not broken.ok
    assert "no-engagement" in broken.detail
    assert "make setup" in broken.fix


@pytest.mark.service
def test_jupyterlab_starts_answers_and_is_stopped() -> None:
    result = check_jupyterlab()
    assert result.ok, result.detail
    assert "answered in" in result.detail


def test_waiting_for_a_lab_that_exits_reports_it_at_once() -> None:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    problem = wait_for_lab(process, "http://127.0.0.1:9", "token", timeout_s=30)
    assert problem == "JupyterLab exited with status 0 before answering"


def test_browser_check_finds_chromium_here_and_warns_with_the_apt_fix_without_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert check_browser().ok  # Debian's chromium is installed on these machines
    empty_path = tmp_path / "bin"
    empty_path.mkdir()
    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "no-chromium"))
    monkeypatch.delenv("BROWSER", raising=False)
    monkeypatch.setenv("PATH", str(empty_path))
    result = check_browser()
    assert not result.ok and result.verdict == "warning"
    assert "no-chromium" in result.detail
    assert result.fix.startswith("apt-get install -y chromium")
    opener = empty_path / "xdg-open"
    opener.write_text("#!/bin/sh\n")
    opener.chmod(0o755)
    fallback = check_browser()
    assert fallback.ok and fallback.detail.startswith("xdg-open")
    assert "apt-get install -y chromium" in fallback.detail


def test_disk_check_passes_here_and_warns_below_the_threshold(tmp_path: Path) -> None:
    assert check_disk(tmp_path).ok
    result = check_disk(tmp_path, minimum=1 << 60)
    assert not result.ok and result.verdict == "warning"
    assert "GiB free" in result.detail and result.fix


def test_a_check_that_raises_is_a_problem_with_its_message_not_a_traceback() -> None:
    def broken() -> DoctorResult:
        raise RuntimeError("the disk\nmelted")

    result = run_check(DoctorCheck("broken", broken))
    assert not result.ok and result.verdict == "problem"
    assert result.detail == "RuntimeError: the disk melted"
    assert "Traceback" not in result.detail and result.fix


def test_quick_leaves_out_the_slow_check_and_the_summary_fails_only_on_problems() -> None:
    checks = [
        DoctorCheck("fine", lambda: DoctorResult("fine", True, "")),
        DoctorCheck("slow", lambda: DoctorResult("slow", False, "never run"), slow=True),
        DoctorCheck("warn", lambda: DoctorResult("warn", False, "", "x", required=False)),
    ]
    quick = list(run_doctor(quick=True, checks=checks))
    assert [result.name for result in quick] == ["fine", "warn"]
    assert summary(quick)[0] == 0
    full = list(run_doctor(checks=checks))
    assert [result.name for result in full] == ["fine", "slow", "warn"]
    assert summary(full)[0] == 1


def test_doctor_command_exits_0_on_this_machine() -> None:
    result = CliRunner().invoke(cli_module.cli, ["doctor", "--quick"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines[:-1]] == ["ok"] * (len(lines) - 1)
    assert lines[-1].startswith("Ready: all 7 checks passed")


def test_doctor_command_exits_1_with_one_line_per_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nrequires-python = ">=4.0"\ndependencies = ["pandas>=999"]\n', encoding="utf-8"
    )
    monkeypatch.setattr(doctor, "PYPROJECT", pyproject)
    monkeypatch.setenv(KERNEL_ENV, "no-such-kernel")
    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "no-chromium"))
    result = CliRunner().invoke(cli_module.cli, ["doctor", "--quick"])
    assert result.exit_code == 1, result.output
    problems = [line for line in result.output.splitlines() if line.startswith("problem")]
    assert [line.split()[1] for line in problems] == ["python", "packages", "kernel"]
    assert all(". Fix: " in line for line in problems)
    assert "--name no-such-kernel" in problems[2]
    assert result.output.splitlines()[-1].startswith("3 problem(s)")


def test_lab_command_has_help() -> None:
    result = CliRunner().invoke(cli_module.cli, ["lab", "--help"])
    assert result.exit_code == 0
    assert "JupyterLab" in result.output and "--no-browser" in result.output


def test_lab_starts_jupyterlab_on_localhost_over_the_repository_with_the_playbook_kernel() -> None:
    argv = lab_argv(8899, kernel="playbook", open_browser=False)
    assert argv[:3] == [sys.executable, "-m", "jupyterlab"]
    assert "--no-browser" in argv
    assert "--ServerApp.ip=127.0.0.1" in argv
    assert "--ServerApp.port=8899" in argv and "--ServerApp.port_retries=0" in argv
    assert f"--ServerApp.root_dir={REPO_ROOT}" in argv
    assert "--MappingKernelManager.default_kernel_name=playbook" in argv
    assert f"--ServerApp.default_url={LAB_DEFAULT_URL}" in argv
    assert not any("token" in part.lower() for part in argv)  # JUPYTER_TOKEN carries it
    assert "--no-browser" not in lab_argv(8899, open_browser=True)
    plain = jupyterlab_argv(REPO_ROOT, 8899, kernel=None)
    assert not any("default_kernel_name" in part for part in plain)
