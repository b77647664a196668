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
    assert set(names[1]) == {nb.name for nb in SEQUENCE[2:7]}


def test_a_subset_runs_in_one_wave_when_its_dependencies_are_not_selected():
    selected = [BY_NAME["04_latency"], BY_NAME["02_data_pipelines"]]
    assert [[nb.name for nb in wave] for wave in plan_waves(selected)] == [
        ["04_latency", "02_data_pipelines"]
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
