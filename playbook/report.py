"""The stakeholder report: the executed definition-of-done notebook as one offline HTML file."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor

from playbook.atomic import write_text_atomic
from playbook.errors import PlaybookError

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates" / "report"
TEMPLATE_NAME = "playbook_report"
REPORT_NOTEBOOK = "07_definition_of_done.ipynb"
HIDDEN_TAGS = {"injected-parameters", "parameters", "report-hide"}
# plotly's notebook renderer always adds a MathJax <script src> from a CDN: useless offline.
_EXTERNAL_SCRIPT = re.compile(r"<script[^>]*\ssrc=[\"']https?://[^>]*>\s*</script>", re.IGNORECASE)


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


class DropExternalScripts(Preprocessor):
    """The report opens offline: no output may load a script from the network."""

    def preprocess_cell(self, cell, resources, index):  # noqa: D102 (nbconvert hook)
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html")
            if isinstance(html, str):
                output["data"]["text/html"] = _EXTERNAL_SCRIPT.sub("", html)
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
    exporter.register_preprocessor(DropExternalScripts(), enabled=True)
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
    return write_text_atomic(run_dir / "report.html", html)
