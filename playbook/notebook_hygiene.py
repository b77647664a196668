"""Keep committed notebooks clean: no outputs, no execution counts, except expected outputs."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

CHECK_OUTPUT_MARK = "# NBVAL_CHECK_OUTPUT"


def is_clean(notebook: nbformat.NotebookNode) -> bool:
    """True when no code cell carries outputs or counts, except expected-output cells."""
    for cell in notebook.cells:
        if cell.cell_type != "code" or CHECK_OUTPUT_MARK in cell.source:
            continue
        if cell.get("outputs") or cell.get("execution_count") is not None:
            return False
    return True


def strip(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove outputs and execution counts from every cell that does not hold an expected output."""
    for cell in notebook.cells:
        if cell.cell_type == "code" and CHECK_OUTPUT_MARK not in cell.source:
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
    notebook.metadata.pop("papermill", None)
    notebook.metadata.pop("widgets", None)
    return notebook


def main(argv: list[str] | None = None) -> int:
    """Strip every notebook below the given folders; print the ones that changed."""
    for folder in argv if argv is not None else sys.argv[1:]:
        for path in sorted(Path(folder).rglob("*.ipynb")):
            if ".ipynb_checkpoints" in path.parts:
                continue
            notebook = nbformat.read(path, as_version=4)
            if not is_clean(notebook):
                nbformat.write(strip(notebook), path)
                print(f"stripped {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
