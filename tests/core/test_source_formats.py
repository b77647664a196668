"""Real corpora as teams have them: HTML from a site generator, PDF, DOCX, plain text, and pages
that carry no metadata at all, which the source's declared defaults complete."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from docx import Document
from fpdf import FPDF

from playbook.reference.settings import ReferenceSettings
from playbook.reference.switches import Hardening
from playbook.reference.system import ReferenceSystem
from playbook.sources import DataSource, SourceDefaults, read_sources
from playbook.users import UserDirectory

SPHINX_PAGE = """<!DOCTYPE html>
<html><head><title>functools — Higher-order functions &#8212; Python 3.11 docs</title>
<script>var DOCUMENTATION_OPTIONS = {};</script><style>body {{ color: red }}</style></head>
<body>
<div class="related" role="navigation"><ul><li><a href="index.html">Python</a> &raquo;</li>
<li><a href="library.html">The Python Standard Library</a></li></ul></div>
<div class="document"><div class="documentwrapper"><div class="bodywrapper">
<div class="body" role="main">
<section id="module-functools"><h1>functools — Higher-order functions</h1>
<p>The <code class="docutils literal"><span class="pre">functools</span></code> module is for
higher-order functions.</p>
<dl class="py function"><dt class="sig"><span class="sig-name">lru_cache</span><span
class="sig-paren">(</span><em class="sig-param"><span class="n">maxsize</span><span
class="o">=</span><span class="default_value">128</span></em><span class="sig-paren">)</span></dt>
<dd><p>Decorator to wrap a function with a memoizing callable.</p></dd></dl>
<div class="highlight"><pre>@lru_cache(maxsize=32)
def get_pep(num):
    return num
</pre></div>
</section></div></div></div>
<div class="sphinxsidebar" role="navigation"><h3>Table of Contents</h3>
<ul><li><a href="#">functools</a></li><li><a href="operator.html">Next: operator</a></li></ul>
</div></div>
<div class="footer">&copy; Copyright 2001-2023, Python Software Foundation.</div>
</body></html>
"""


NODE_PAGE = """<!DOCTYPE html>
<html><head><title>Path | Node.js v20 Documentation</title></head><body>
<button class="theme-toggle-btn" title="Toggle dark mode">Toggle</button>
<div id="content"><section>
<h2>Path<span><a class="mark" href="#path" id="path">#</a></span></h2>
<p>The <code>node:path</code> module provides utilities for working with file paths.</p>
<pre class="with-34-chars"><input class="js-flavor-toggle" type="checkbox"><code
class="language-js cjs"><span class="hljs-keyword">const</span> path = require('node:path');</code
><code class="language-js mjs"><span class="hljs-keyword">import</span> path from 'node:path';</code
><button class="copy-button">copy</button></pre>
<h3><code>path.join([...paths])</code><span><a class="mark" href="#path_join">#</a></span></h3>
<p>Joins all given path segments together using the platform-specific separator.</p>
</section></div></body></html>
"""


def contents_page(links: int) -> str:
    items = "".join(
        f'<li><a href="page-{n}.html">Chapter {n} of the guide</a></li>' for n in range(links)
    )
    return (
        "<html><head><title>Contents</title></head><body><main><h1>Contents</h1>"
        f"<ul>{items}</ul></main></body></html>"
    )


def source(folder: Path, fmt: str = "auto", **options) -> DataSource:
    return DataSource(name="docs", path=str(folder), format=fmt, **options)


def only_record(folder: Path, fmt: str = "auto", **options):
    found, errors = read_sources([source(folder, fmt, **options)])
    assert not errors, errors
    assert len(found) == 1
    return found[0]


def test_a_generated_html_page_reads_as_its_main_content_with_code_as_written(tmp_path):
    (tmp_path / "functools.html").write_text(SPHINX_PAGE, encoding="utf-8")
    record = only_record(tmp_path)
    body = record.fields["body"]
    assert record.fields["title"] == "functools — Higher-order functions"  # the h1, not <title>
    assert "lru_cache(maxsize=128)" in body  # a signature split into spans stays one token
    assert "@lru_cache(maxsize=32)\ndef get_pep(num):\n    return num" in body
    for chrome in (
        "Table of Contents",
        "Copyright",
        "The Python Standard Library",
        "DOCUMENTATION",
    ):
        assert chrome not in body
    assert "Copyright" in record.page_text  # what a prototype indexes: the whole page
    assert record.link_share < 0.2


def test_a_page_of_another_generator_loses_its_permalinks_and_buttons_and_keeps_each_variant(
    tmp_path,
):
    """Node.js' pages: a `#` permalink in every heading, a copy button in every code block and
    one code block per module syntax; the text keeps the headings and both variants, each on
    its own line, and none of the chrome."""
    (tmp_path / "path.html").write_text(NODE_PAGE, encoding="utf-8")
    body = only_record(tmp_path, "html").fields["body"]
    assert body.startswith("## Path\n")
    assert "### path.join([...paths])\n" in body
    assert "const path = require('node:path');\nimport path from 'node:path';" in body
    for chrome in ("#\n", "copy", "Toggle"):
        assert chrome not in body


def test_docbook_navigation_bars_are_not_text(tmp_path):
    """DocBook and gtk-doc pages (Valgrind's manual, libxslt's reference) open and close with a
    previous / up / next table naming the whole manual; the text is the page's own."""
    bar = (
        '<table class="navigation" summary="Navigation {}"><tr><td><a href="prev.html">'
        '<img alt="Prev"></a></td><th>libxslt Reference Manual</th></tr></table>'
    )
    page = (
        f"<html><head><title>xsltInternals</title></head><body>{bar.format('header')}"
        "<h2>xsltInternals</h2><p>Internal data structures used by the XSLT engine.</p>"
        f'<div class="navfooter"><p>Up: the manual</p></div>{bar.format("footer")}</body></html>'
    )
    (tmp_path / "internals.html").write_text(page, encoding="utf-8")
    body = only_record(tmp_path, "html").fields["body"]
    assert body == "## xsltInternals\nInternal data structures used by the XSLT engine."


def test_code_among_the_text_of_a_block_stays_on_its_line(tmp_path):
    """A Sphinx grammar block writes its names as code inside each line: not variants."""
    grammar = (
        '<html><body><div class="body"><h1>Grammar</h1><pre>\n<strong>number</strong> ::=  '
        "[<code>digitpart</code>] '.' <code>digitpart</code>\n<strong>sign</strong> ::=  '+'"
        "</pre></div></body></html>"
    )
    (tmp_path / "grammar.html").write_text(grammar, encoding="utf-8")
    body = only_record(tmp_path, "html").fields["body"]
    assert "number ::=  [digitpart] '.' digitpart\nsign ::=  '+'" in body


def test_a_contents_page_reads_as_mostly_links(tmp_path):
    (tmp_path / "contents.html").write_text(contents_page(40), encoding="utf-8")
    assert only_record(tmp_path).link_share > 0.6


def test_a_pdf_reads_as_its_text_layer_and_a_scan_without_one_is_refused(tmp_path):
    pdf = FPDF()
    pdf.set_title("Travel policy")
    pdf.set_font("helvetica", size=12)
    for line in ("Travel policy", "Economy class is booked for flights under six hours."):
        pdf.add_page()
        pdf.cell(text=line)
    pdf.output(str(tmp_path / "travel.pdf"))
    record = only_record(tmp_path)
    assert record.shape == "pdf"
    assert record.fields["title"] == "Travel policy"
    assert "Economy class is booked for flights under six hours." in record.fields["body"]
    assert record.declared_id == "travel"

    scan = FPDF()
    scan.add_page()
    scan.rect(10, 10, 50, 50)  # a page with marks but no text layer
    scan.output(str(tmp_path / "scan.pdf"))
    (tmp_path / "travel.pdf").unlink()
    (tmp_path / "fake.pdf").write_bytes(b"%PDF-1.4 this is not a pdf at all")
    found, errors = read_sources([source(tmp_path)])
    assert found == []
    reasons = {Path(error.path).name: error.reason for error in errors}
    assert "no text layer in 1 pages" in reasons["scan.pdf"]
    assert reasons["fake.pdf"].startswith("malformed pdf")


def test_a_docx_reads_as_paragraphs_and_tables_titled_by_its_first_heading(tmp_path):
    document = Document()
    document.add_heading("Expense claims", level=1)
    document.add_paragraph("Claims are filed within 30 days of the expense.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Meals"
    table.rows[0].cells[1].text = "45 EUR a day"
    (tmp_path / "claims").mkdir()
    document.save(str(tmp_path / "claims" / "expenses.docx"))
    (tmp_path / "claims" / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    found, errors = read_sources([source(tmp_path)])
    assert [Path(e.path).name for e in errors] == ["broken.docx"]
    assert "malformed docx" in errors[0].reason
    record = found[0]
    assert record.fields["title"] == "Expense claims"
    assert "Claims are filed within 30 days" in record.fields["body"]
    assert "Meals | 45 EUR a day" in record.fields["body"]
    assert record.declared_id == "claims/expenses"


def test_plain_text_is_titled_by_a_short_first_line(tmp_path):
    (tmp_path / "notes.txt").write_text("On-call rota\n\nThe rota changes every Monday.\n")
    record = only_record(tmp_path, "text")
    assert record.fields == {
        "title": "On-call rota",
        "body": "On-call rota\n\nThe rota changes every Monday.",
    }


def test_declared_defaults_fill_only_what_a_document_does_not_say(tmp_path):
    (tmp_path / "hr").mkdir()
    (tmp_path / "hr" / "leave.md").write_text("# Leave\n\nTwenty-five days a year.\n")
    (tmp_path / "it.md").write_text(
        "---\nid: IT-7\ngroups: [engineering]\nupdated_at: 2026-01-02T03:04:05Z\n---\n"
        "# VPN\n\nUse the VPN.\n"
    )
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "theme.md").write_text("# not a document\n")
    modified = 1_767_225_600  # 2026-01-01T00:00:00Z
    os.utime(tmp_path / "hr" / "leave.md", (modified, modified))
    defaults = SourceDefaults(
        id="path",
        groups=["all-staff"],
        groups_by_path={"hr/**": ["hr"]},
        updated_at="file-modified",
    )
    found, errors = read_sources([source(tmp_path, defaults=defaults, exclude=["_static/**"])])
    assert not errors
    by_id = {record.declared_id: record.fields for record in found}
    assert set(by_id) == {"hr/leave", "IT-7"}
    assert by_id["hr/leave"]["groups"] == ["hr"]
    assert by_id["hr/leave"]["updated_at"] == "2026-01-01T00:00:00Z"
    assert by_id["hr/leave"]["title"] == "Leave"
    assert by_id["IT-7"]["groups"] == ["engineering"]  # the document's own word wins
    assert str(by_id["IT-7"]["updated_at"]).startswith("2026-01-02")


def test_without_defaults_a_page_with_no_metadata_is_quarantined_by_production(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "functools.html").write_text(SPHINX_PAGE, encoding="utf-8")
    users = UserDirectory.from_mapping({"users": [{"id": "u-1"}]})
    settings = ReferenceSettings(
        tmp_path / "store", Hardening.preset("production"), (source(tmp_path / "docs"),), users
    )
    with ReferenceSystem(settings) as system:
        report = system.ingest()
    assert report.ingested == 0
    reasons = " ".join(entry.reason for entry in report.quarantined)
    assert "groups" in reasons and "updated_at" in reasons


def generated_site(root: Path, pages: int) -> None:
    """A documentation site of `pages` pages with no metadata: a tenth under hr/, one contents
    page, each page naming a fact found nowhere else."""
    for n in range(pages):
        folder = root / ("hr" if n % 10 == 0 else f"guide-{n % 7}")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"page-{n}.html").write_text(
            f"<html><head><title>Topic {n}</title></head><body>"
            '<nav><a href="../index.html">Home</a> <a href="#">Search</a></nav>'
            f'<div role="main"><h1>Topic {n}</h1><p>Reference code for topic {n} is '
            f"zq{n:04d}x. It is reviewed each quarter by the owning team.</p>"
            f"<p>More detail about topic {n} follows in the next section.</p></div>"
            "<footer>Built with a generator</footer></body></html>",
            encoding="utf-8",
        )
    (root / "index.html").write_text(contents_page(pages), encoding="utf-8")


@pytest.mark.parametrize("pages", [200])
def test_a_site_without_metadata_is_served_by_production_with_declared_groups(tmp_path, pages):
    generated_site(tmp_path / "site", pages)
    defaults = SourceDefaults(
        id="path",
        groups=["all-staff"],
        groups_by_path={"hr/**": ["hr"]},
        updated_at="file-modified",
    )
    users = UserDirectory.from_mapping(
        {
            "groups": {"hr": "Human resources"},
            "users": [{"id": "staff"}, {"id": "people", "groups": ["hr"]}],
        }
    )
    settings = ReferenceSettings(
        tmp_path / "store",
        Hardening.preset("production"),
        (source(tmp_path / "site", defaults=defaults),),
        users,
    )
    with ReferenceSystem(settings) as system:
        report = system.ingest()
        assert report.ingested == pages, [q.reason for q in report.quarantined][:3]
        assert [entry.doc_id for entry in report.quarantined] == ["index"]  # navigation only
        assert "mostly links" in report.quarantined[0].reason
        staff = system.ask("What is the reference code for topic 57?", "staff")
        assert staff.sources[:1] == ("guide-1/page-57",)
        assert "zq0057x" in staff.text
        hidden = system.ask("What is the reference code for topic 30?", "staff")
        assert "hr/page-30" not in hidden.sources and "zq0030x" not in hidden.text
        allowed = system.ask("What is the reference code for topic 30?", "people")
        assert allowed.sources[:1] == ("hr/page-30",)
