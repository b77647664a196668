"""The stakeholder report, opened as a stakeholder would: in Chromium, from the file alone.

One demo run (notebooks 02 and 06, and 07 which writes the report) gives a report whose charts come
from the evidence; the browser must load nothing but the file, draw every chart, log no error, and
show the executive summary without scrolling; the PDF has the summary on page 1.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from playbook.report import print_pdf

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report") / "demo"
    playbook = [sys.executable, "-m", "playbook.cli"]
    subprocess.run([*playbook, "new", str(folder), "--demo"], check=True, capture_output=True)
    subprocess.run(
        [*playbook, "run", str(folder), "--only", "02,06", "--depth", "quick"],
        capture_output=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    (run,) = sorted((folder / "runs").iterdir())
    return run / "report.html"


def test_the_report_opens_offline_draws_every_chart_and_leads_with_the_summary(
    demo_report: Path, page
) -> None:
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(demo_report.as_uri(), wait_until="load")
    page.wait_for_timeout(500)
    outside = [url for url in requests if not url.startswith(("file:", "data:", "blob:"))]
    assert not outside, outside
    assert not errors, errors
    summary = page.locator("#executive-summary")
    box = summary.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 900, box
    assert "Readiness" in summary.inner_text() and "things to do next" in summary.inner_text()
    # every chart the run recorded (02: 2, 06: 2) and the scorecard are drawn
    evidence = [json.loads(p.read_text()) for p in (demo_report.parent / "evidence").glob("*.json")]
    recorded = sum(len(item.get("charts", [])) for item in evidence)
    assert recorded == 4
    plots = page.locator(".js-plotly-plot")
    assert plots.count() >= recorded + 1
    for index in range(plots.count()):
        assert plots.nth(index).locator("svg.main-svg").count() >= 1
    html = demo_report.read_text(encoding="utf-8")
    assert html.count("plotly.js v") <= 1  # the library inlined once, however many charts


def test_the_pdf_has_the_summary_on_page_one(demo_report: Path, tmp_path: Path) -> None:
    copy = tmp_path / "report.html"
    shutil.copy(demo_report, copy)
    pdf = print_pdf(copy)
    first = PdfReader(pdf).pages[0].extract_text()
    assert "Executive summary" in first and "Readiness" in first
