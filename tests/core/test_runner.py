from datetime import UTC, datetime, timedelta

import pytest

from playbook.engagement import DEMO_TEMPLATE, create_engagement, load_engagement
from playbook.errors import PlaybookError
from playbook.notebooks import BY_NAME, SEQUENCE
from playbook.runner import create_run_dir, new_run_id, notebook_parameters, plan_waves


def test_run_ids_sort_by_start_time_and_never_repeat():
    start = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    ids = [new_run_id(start + timedelta(milliseconds=n)) for n in range(50)]
    assert ids == sorted(ids)
    same_instant = {new_run_id(start) for _ in range(50)}
    assert len(same_instant) > 1


def test_two_runs_started_together_get_separate_folders(tmp_path):
    engagement = load_engagement(create_engagement(tmp_path / "e", template=DEMO_TEMPLATE))
    folders = {create_run_dir(engagement)[1] for _ in range(30)}
    assert len(folders) == 30 and all(folder.is_dir() for folder in folders)


def test_a_run_folder_that_cannot_be_written_is_a_clear_error(tmp_path):
    engagement = load_engagement(create_engagement(tmp_path / "e", template=DEMO_TEMPLATE))
    (engagement.folder / "runs").write_text("a file where the runs folder should be")
    with pytest.raises(PlaybookError, match="runs"):
        create_run_dir(engagement)


def test_gap_notebooks_wait_for_the_decisions_and_the_definition_of_done_runs_last():
    waves = plan_waves(SEQUENCE)
    names = [[nb.name for nb in wave] for wave in waves]
    assert names[0] == ["00_engagement", "01_architecture_decisions"]
    assert names[-1] == ["07_definition_of_done"]
    assert set(names[1]) == {nb.name for nb in SEQUENCE[2:7]} - {"04_latency"}
    assert names[2] == ["04_latency"]  # it measures time: no other notebook shares the machine


def test_a_subset_runs_in_one_wave_when_its_dependencies_are_not_selected():
    selected = [BY_NAME["03_failure_handling"], BY_NAME["02_data_pipelines"]]
    assert [[nb.name for nb in wave] for wave in plan_waves(selected)] == [
        ["03_failure_handling", "02_data_pipelines"]
    ]


def test_an_unknown_notebook_setting_names_the_engagement_field(tmp_path):
    folder = create_engagement(tmp_path / "e", template=DEMO_TEMPLATE)
    text = (
        (folder / "engagement.yaml")
        .read_text()
        .replace("notebooks: {}", "notebooks:\n  '00': {no_such_setting: 1}")
    )
    (folder / "engagement.yaml").write_text(text)
    engagement = load_engagement(folder)
    with pytest.raises(PlaybookError, match=r"notebooks.00_engagement.*no_such_setting"):
        notebook_parameters(engagement, BY_NAME["00_engagement"], tmp_path, {})


def test_injected_parameters_carry_no_secrets_only_locations_and_settings():
    engagement = load_engagement(DEMO_TEMPLATE)
    params = notebook_parameters(engagement, BY_NAME["00_engagement"], DEMO_TEMPLATE, {})
    assert set(params) == {"engagement_dir", "run_dir", "target_spec", "depth", "interactive"}
    assert params["interactive"] is False


def test_notebooks_run_in_their_folder_on_threads_without_moving_this_process(tmp_path):
    import os
    from concurrent.futures import ThreadPoolExecutor

    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from playbook.runner import _execute, resolve_kernel

    folders = [tmp_path / "a", tmp_path / "b"]
    for folder in folders:
        folder.mkdir()
        notebook = new_notebook(cells=[new_code_cell("import os\nprint(os.getcwd())")])
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        nbformat.write(notebook, folder / "where.ipynb")
        (folder / "notebooks").mkdir()
    before = os.getcwd()
    kernel = resolve_kernel(None)
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda f: _execute(f / "where.ipynb", f, {}, kernel, 60), folders))
    assert [outcome.status for outcome in outcomes] == ["ok", "ok"]
    assert os.getcwd() == before
    for folder in folders:
        executed = nbformat.read(folder / "notebooks" / "where.ipynb", as_version=4)
        assert executed.cells[0].outputs[0]["text"].strip() == str(folder)


def test_a_running_notebook_reports_its_cells_and_its_long_task(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    from playbook.progress import progress_file, read_progress
    from playbook.runner import _execute, resolve_kernel

    sink = progress_file(tmp_path, "long")
    notebook = new_notebook(
        cells=[
            new_markdown_cell("# A long notebook"),
            new_code_cell("from pathlib import Path\nfrom playbook import progress"),
            new_code_cell(
                f"progress.report_to(Path({str(sink)!r}))\n"
                "for done in range(1, 11):\n    progress.report('ingest docs', done, 10)"
            ),
        ]
    )
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, tmp_path / "long.ipynb")
    (tmp_path / "notebooks").mkdir()
    counted: list[tuple[int, int]] = []
    outcome = _execute(
        tmp_path / "long.ipynb",
        tmp_path,
        {},
        resolve_kernel(None),
        60,
        lambda done, total: counted.append((done, total)),
    )
    assert outcome.status == "ok", outcome.error
    assert counted == [(1, 2), (2, 2)]  # code cells only
    task = read_progress(sink)
    assert task is not None and task.text == "ingest docs 10 of 10"  # the last report is kept


def test_a_run_shown_in_a_log_gets_plain_progress_lines(tmp_path, monkeypatch):
    import io
    import time

    from rich.console import Console

    from playbook import progress, run_display
    from playbook.runner import NotebookOutcome

    monkeypatch.setattr(run_display, "PLAIN_EVERY_S", 0.05)
    out = io.StringIO()
    with run_display.RunDisplay(Console(file=out, width=200), live=False) as display:
        display.run_started(tmp_path)
        display.notebook_started("02_data_pipelines")
        display.cells_done("02_data_pipelines", 3, 10)
        progress.report_to(progress.progress_file(tmp_path, "02_data_pipelines"))
        try:
            progress.report("ingest pydocs", 120, 498)
        finally:
            progress.report_to(None)
        deadline = time.monotonic() + 5
        while "ingest pydocs" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
        display.notebook_finished(NotebookOutcome("02_data_pipelines", "ok", 12.5))
    text = out.getvalue()
    assert "… 02_data_pipelines" in text
    assert "02_data_pipelines: cell 3 of 10; ingest pydocs 120 of 498" in text
    assert "ok 02_data_pipelines" in text and "\x1b[" not in text  # no terminal codes in a log


def test_within_a_wave_the_longest_notebooks_start_first():
    gaps = [
        BY_NAME[name]
        for name in (
            "02_data_pipelines",
            "03_failure_handling",
            "05_observability",
            "06_security_access",
        )
    ]
    first = [nb.name for nb in plan_waves(gaps)[0]]
    assert first[:2] == ["03_failure_handling", "06_security_access"]  # the demo's typical times
    # the engagement's own last run decides once there is one
    measured = {"05_observability": 40.0, "02_data_pipelines": 1.0}
    assert [nb.name for nb in plan_waves(gaps, measured)[0]][0] == "05_observability"


def test_the_last_runs_durations_come_from_its_record_and_a_damaged_one_is_passed_over(tmp_path):
    import json

    from playbook.runner import last_durations

    engagement = load_engagement(create_engagement(tmp_path / "e", template=DEMO_TEMPLATE))
    assert last_durations(engagement) == {}
    runs = engagement.folder / "runs"
    (runs / "20261130T090000000Z-aaaa").mkdir(parents=True)
    (runs / "20261130T090000000Z-aaaa" / "run.json").write_text(
        json.dumps(
            {"notebooks": [{"name": "03_failure_handling", "status": "ok", "seconds": 16.2}]}
        )
    )
    (runs / "20261130T100000000Z-bbbb").mkdir()
    (runs / "20261130T100000000Z-bbbb" / "run.json").write_text("{not json")
    assert last_durations(engagement) == {"03_failure_handling": 16.2}


def _kernels_of_this_process() -> set[int]:
    """Kernel processes this test process started and has not yet reaped."""
    import os
    from pathlib import Path

    children: set[str] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            children.update((task / "children").read_text().split())
        except OSError:  # the thread ended after the listing (a failure seen in a full run)
            continue
    kernels = set()
    for pid in children:
        try:
            if b"ipykernel" in Path(f"/proc/{pid}/cmdline").read_bytes():
                kernels.add(int(pid))
        except OSError:  # it ended between the two reads
            continue
    return kernels


def test_a_kernel_started_ahead_runs_its_notebook_with_the_imports_done_then_stops(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from playbook.runner import KernelsAhead, _execute, resolve_kernel

    notebook = new_notebook(
        cells=[
            new_code_cell(
                "import sys\n"
                "print(all(m in sys.modules for m in ('playbook.context', 'presidio_analyzer')))"
            )
        ]
    )
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, tmp_path / "ahead.ipynb")
    (tmp_path / "notebooks").mkdir()
    kernel = resolve_kernel(None)
    before = _kernels_of_this_process()
    ahead = KernelsAhead(kernel, tmp_path)
    ahead.start([BY_NAME["04_latency"]])
    manager_class = ahead.take("04_latency")
    assert manager_class is not None
    outcome = _execute(tmp_path / "ahead.ipynb", tmp_path, {}, kernel, 60, None, manager_class)
    ahead.close()
    assert outcome.status == "ok", outcome.error
    executed = nbformat.read(tmp_path / "notebooks" / "ahead.ipynb", as_version=4)
    assert executed.cells[0].outputs[0]["text"].strip() == "True"  # imported before its turn
    assert executed.cells[0].execution_count == 1  # the warm imports count no execution
    assert _kernels_of_this_process() == before


def test_kernels_started_ahead_that_no_notebook_took_are_stopped_with_the_run(tmp_path):
    from playbook.runner import KernelsAhead, resolve_kernel
    from tests.event_loops import run_in_own_loop

    before = _kernels_of_this_process()
    ahead = KernelsAhead(resolve_kernel(None), tmp_path)
    ahead.start([BY_NAME["04_latency"], BY_NAME["07_definition_of_done"]], count=2)
    ahead.start([BY_NAME["04_latency"]])  # asked again: one kernel per notebook

    async def close_as_a_jupyter_kernel_would() -> None:  # with an event loop running
        ahead.close()

    run_in_own_loop(close_as_a_jupyter_kernel_would())
    assert _kernels_of_this_process() == before
    ahead.start([BY_NAME["04_latency"]])  # a closed run starts nothing
    assert ahead.take("04_latency") is None


def test_a_kernel_that_cannot_start_ahead_leaves_its_notebook_to_start_one(tmp_path):
    from playbook.runner import KernelsAhead

    ahead = KernelsAhead("no-such-kernel", tmp_path)
    ahead.start([BY_NAME["07_definition_of_done"]])
    assert ahead.take("07_definition_of_done") is None
    ahead.close()


def test_slots_a_wave_leaves_idle_start_the_next_waves_kernels(tmp_path):
    from playbook.runner import KernelsAhead, resolve_kernel
    from tests.event_loops import run_in_own_loop

    before = _kernels_of_this_process()
    taken = []
    ahead = KernelsAhead(resolve_kernel(None), tmp_path)
    try:
        ahead.wave_starts(1, [BY_NAME["07_definition_of_done"]], jobs=2)  # 04 alone: one idle
        assert ahead.take("04_latency") is None  # the running wave's was not started ahead
        taken.append(ahead.take("07_definition_of_done"))

        upcoming = [BY_NAME["04_latency"], BY_NAME["07_definition_of_done"]]
        ahead.wave_starts(2, upcoming, jobs=2)  # both slots busy: nothing starts yet
        ahead.take("02_data_pipelines")
        ahead.take("03_failure_handling")
        ahead.slot_free()  # 02 ended, nothing of its wave waits: the next wave's first starts
        taken.append(ahead.take("04_latency"))
        assert ahead.take("07_definition_of_done") is None
        assert None not in taken
    finally:
        ahead.close()
        for manager_class in filter(None, taken):  # what a notebook would have run on
            manager = manager_class()
            run_in_own_loop(manager.shutdown_kernel(now=True))
            run_in_own_loop(manager.cleanup_resources())
    assert _kernels_of_this_process() == before


@pytest.mark.parametrize(("cores", "jobs"), [(1, 2), (2, 3), (3, 4), (16, 4)])
def test_runs_default_to_one_notebook_more_than_the_cores_two_to_four(monkeypatch, cores, jobs):
    import os

    from playbook.runner import default_jobs

    monkeypatch.setattr(os, "sched_getaffinity", lambda _: set(range(cores)), raising=False)
    assert default_jobs() == jobs
