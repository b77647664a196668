"""The stakeholder report: the executed definition-of-done notebook as one offline HTML file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor

from playbook.errors import PlaybookError

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates" / "report"
TEMPLATE_NAME = "playbook_report"
REPORT_NOTEBOOK = "07_definition_of_done.ipynb"
HIDDEN_TAGS = {"injected-parameters", "parameters", "report-hide"}


class DropStderr(Preprocessor):
    """Warnings and logs on stderr are for the engineers, not the stakeholders."""

    def preprocess_cell(self, cell, resources, index):  # noqa: D102 (nbconvert hook)
        if cell.get("cell_type") == "code":
            cell.outputs = [
                output
                for output in cell.get("outputs", [])
                if not (output.get("output_type") == "stream" and output.get("name") == "stderr")
            ]
        return cell, resources


def report_exporter() -> HTMLExporter:
    """An HTML exporter with the project's template: inputs and parameter cells hidden."""
    exporter = HTMLExporter(
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        template_name=TEMPLATE_NAME,
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags=HIDDEN_TAGS), enabled=True
    )
    exporter.register_preprocessor(DropStderr(), enabled=True)
    return exporter


def build_report(run_dir: Path) -> Path:
    """Render `run_dir/report.html` from the run's executed 07 notebook and return its path."""
    run_dir = Path(run_dir)
    source = run_dir / "notebooks" / REPORT_NOTEBOOK
    if not source.is_file():
        raise PlaybookError(f"{source}: not found (the run did not execute the final notebook)")
    try:
        notebook = nbformat.read(source, as_version=4)
    except Exception as exc:  # nbformat raises several types for a damaged file
        raise PlaybookError(f"{source}: not a readable notebook ({exc})") from None
    resources = {"playbook_run_id": run_dir.name, "metadata": {"name": "Readiness report"}}
    html, _ = report_exporter().from_notebook_node(notebook, resources=resources)
    target = run_dir / "report.html"
    handle, temporary = tempfile.mkstemp(prefix=".report.", suffix=".html", dir=run_dir)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(html)
    os.replace(temporary, target)
    return target
