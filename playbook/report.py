"""The stakeholder report: the executed definition-of-done notebook as one offline HTML file."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
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


CHROMIUM = Path("/usr/bin/chromium")  # Debian's; playwright's own browsers are never downloaded
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PDF_TIMEOUT_MS = 60_000


def print_pdf(report: Path, chromium: Path = CHROMIUM) -> Path:
    """`report.pdf` beside `report.html`, printed by headless Chromium (A4, backgrounds on), the
    executive summary on page 1."""
    report = Path(report)
    if not chromium.exists():
        raise PlaybookError(
            f"{chromium}: not found; --pdf prints through Debian's Chromium "
            "(apt-get install chromium)"
        )
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        raise PlaybookError(
            "--pdf needs the playwright package (pip install playwright; no browser download: "
            "it drives Debian's Chromium)"
        ) from None
    target = report.with_suffix(".pdf")
    partial = target.with_name(f".{target.name}.partial")

    def render() -> None:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.goto(report.resolve().as_uri(), wait_until="load", timeout=PDF_TIMEOUT_MS)
                page.emulate_media(media="print")
                page.pdf(path=str(partial), format="A4", print_background=True)
            finally:
                browser.close()

    # in a thread of its own: playwright's sync API refuses a thread with a running event loop
    # (a Jupyter kernel's, or a test's)
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(render).result()
    except Error as exc:
        partial.unlink(missing_ok=True)
        raise PlaybookError(f"{report}: Chromium could not print it ({exc})") from None
    partial.replace(target)
    return target
