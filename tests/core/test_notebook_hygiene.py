import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from playbook.notebook_hygiene import CHECK_OUTPUT_MARK, is_clean, main


def executed_notebook(path):
    notebook = new_notebook()
    plain = new_code_cell("1 + 1", execution_count=3)
    plain.outputs = [new_output("execute_result", {"text/plain": "2"}, execution_count=3)]
    expected = new_code_cell(f"{CHECK_OUTPUT_MARK}\nprint('pass')", execution_count=4)
    expected.outputs = [new_output("stream", name="stdout", text="pass\n")]
    notebook.cells = [plain, expected]
    notebook.metadata["papermill"] = {"parameters": {"run_dir": "/tmp/x"}}
    nbformat.write(notebook, path)


def test_make_clean_strips_outputs_but_keeps_expected_ones(tmp_path):
    path = tmp_path / "00_x.ipynb"
    executed_notebook(path)
    assert not is_clean(nbformat.read(path, as_version=4))

    main([str(tmp_path)])

    cleaned = nbformat.read(path, as_version=4)
    assert is_clean(cleaned)
    plain, expected = cleaned.cells
    assert plain.outputs == [] and plain.execution_count is None
    assert expected.outputs[0]["text"] == "pass\n"
    assert "papermill" not in cleaned.metadata
