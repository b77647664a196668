"""Notebook 00's checks: each passes on a well-scoped engagement and fails for the right reason."""

import json
import shutil

import pytest

from playbook.engagement import DEMO_TEMPLATE, load_engagement
from playbook.gaps import scope
from playbook.golden import GoldenItem
from playbook.targets.base import Answer


@pytest.fixture
def demo(tmp_path):
    folder = tmp_path / "client"
    shutil.copytree(DEMO_TEMPLATE, folder)
    return folder


def edit(folder, old: str, new: str):
    path = folder / "engagement.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return load_engagement(folder)


def sources_check(engagement):
    return scope.check_data_sources(scope.read_declared_sources(engagement))


def test_declared_sources_pass_and_a_missing_one_fails_by_name(demo):
    assert sources_check(load_engagement(demo)).status == "pass"
    broken = edit(demo, '"samples:corpus/wiki"', '"samples:corpus/gone"')
    result = sources_check(broken)
    assert result.status == "fail" and "wiki" in result.detail and result.observed == 2
    assert "corpus/gone does not exist" in result.detail


def test_the_bundled_golden_set_passes_and_a_tiny_one_only_warns(demo):
    result, items = scope.check_golden_set(load_engagement(demo))
    assert result.status == "pass" and len(items) >= scope.MIN_GOLDEN_QUESTIONS
    tiny = demo / "tiny.jsonl"
    tiny.write_text(json.dumps({"id": "g1", "question": "Leave?", "user": "u-alice"}) + "\n")
    result, items = scope.check_golden_set(edit(demo, '"samples:golden.jsonl"', "tiny.jsonl"))
    assert result.status == "warn" and len(items) == 1


def test_a_broken_golden_set_fails_with_the_line_that_is_wrong(demo):
    (demo / "bad.jsonl").write_text('{"id": "g1", "question": "Leave?"}\n{"id": "g2"\n')
    result, items = scope.check_golden_set(edit(demo, '"samples:golden.jsonl"', "bad.jsonl"))
    assert result.status == "fail" and "bad.jsonl:2" in result.detail and items == []


def test_golden_questions_asked_by_unknown_users_or_outside_their_groups_fail(demo):
    engagement = load_engagement(demo)
    _, items = scope.check_golden_set(engagement)
    assert scope.check_users(engagement, items).status == "pass"
    stranger = GoldenItem(id="x1", question="Salary bands?", user="u-nobody")
    outsider = GoldenItem(id="x2", question="Bonus pool?", user="u-alice", groups_required=("hr",))
    result = scope.check_users(engagement, [*items, stranger, outsider])
    assert result.status == "fail"
    assert "u-nobody" in result.detail and "x2" in result.detail


def test_the_users_table_never_shows_a_token(demo):
    table = scope.users_table(load_engagement(demo))
    assert "u-alice" in table.index
    assert not any("demo-" in str(value) for value in table.to_numpy().ravel())


class ScriptedTarget:
    spec = "python:tests.fake:answer"

    def __init__(self, answer: Answer):
        self.answer = answer

    def ask(self, question, user=None):
        return self.answer

    def close(self):
        pass


def test_the_smoke_test_passes_on_answers_and_fails_on_errors():
    items = [GoldenItem(id="g1", question="Leave?", user="u-alice")]
    assert scope.check_target_answers(ScriptedTarget(Answer("25 days")), items).status == "pass"
    down = Answer("", status="error", error="cannot reach http://127.0.0.1:9")
    result = scope.check_target_answers(ScriptedTarget(down), items)
    assert result.status == "fail" and "cannot reach" in result.detail
    # the fix at the end of a long error is shown whole (it was cut at 200 characters)
    fix = "names the header (or query_param) and scheme the API expects"
    refused = Answer("", status="error", error=f"HTTP 401: {'x' * 230} {fix}")
    assert fix in scope.check_target_answers(ScriptedTarget(refused), items).detail


@pytest.mark.parametrize(
    "refusal",
    [
        Answer("Sorry.", status="refused"),
        Answer("I could not find anything in the documents available to you."),  # status ok
        Answer("   "),
    ],
)
def test_refusals_and_empty_replies_are_not_answers_so_an_empty_index_fails_the_smoke_test(
    refusal,
):
    items = [GoldenItem(id=f"g{n}", question="Leave?", user="u-alice") for n in range(3)]
    result = scope.check_target_answers(ScriptedTarget(refusal), items)
    assert result.status == "fail" and result.observed == 0
    if refusal.text.strip():
        assert "serves no documents" in result.detail


def test_a_golden_set_without_answerable_questions_cannot_smoke_test_and_says_what_it_needs():
    items = [GoldenItem(id="u1", question="Moon?", user="u-alice", answerable=False)]
    result = scope.check_target_answers(ScriptedTarget(Answer("x")), items)
    assert result.status == "error" and "it needs answerable golden questions" in result.detail


def site_engagement(folder, defaults=None):
    """An engagement over a site of pages without metadata: two share a file name."""
    for relative in ("howto/argparse.html", "library/argparse.html", "library/json.html"):
        page = folder / "site" / relative
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(
            f"<html><body><main><h1>{relative}</h1><p>About {relative}.</p></main></body></html>"
        )
    source = {"name": "docs", "path": "site", "format": "html"}
    if defaults:
        source["defaults"] = defaults
    (folder / "engagement.yaml").write_text(json.dumps({"name": "site", "data_sources": [source]}))
    return load_engagement(folder)


def test_a_source_the_production_contract_mostly_refuses_is_named_with_its_top_reasons(tmp_path):
    readings = scope.read_declared_sources(site_engagement(tmp_path))
    result = scope.check_data_sources(readings)
    assert result.status == "warn"
    assert "the production ingest contract refuses 3 of 3 documents of docs" in result.detail
    assert "groups is missing (3)" in result.detail and "updated_at is missing (3)" in result.detail
    assert "updated_at: file-modified" in result.detail  # the fix
    assert scope.data_sources_table(readings).loc["docs", "production accepts"] == 0


def test_ids_declared_by_two_files_are_named_with_both_paths(tmp_path):
    engagement = site_engagement(tmp_path, {"groups": ["all-staff"], "updated_at": "file-modified"})
    (tmp_path / "site" / "library" / "json.html").unlink()
    for page in (tmp_path / "site").rglob("argparse.html"):
        page.write_text(
            page.read_text().replace("<html>", '<html><meta name="doc-id" content="argparse">')
        )
    result = sources_check(engagement)
    assert result.status == "warn"
    assert "1 ids are declared by more than one file" in result.detail
    assert "'argparse' in howto/argparse.html, library/argparse.html" in result.detail


def test_declared_defaults_make_a_site_without_metadata_pass(tmp_path):
    defaults = {"id": "path", "groups": ["all-staff"], "updated_at": "file-modified"}
    readings = scope.read_declared_sources(site_engagement(tmp_path, defaults))
    assert scope.check_data_sources(readings).status == "pass"
    assert scope.data_sources_table(readings).loc["docs", "production accepts"] == 3


def test_declared_sources_read_through_the_runs_parse_cache_read_the_same_and_fill_it(tmp_path):
    import sqlite3

    engagement = load_engagement(DEMO_TEMPLATE)
    cache = tmp_path / "run" / "work" / "parsed-files.sqlite3"
    plain = scope.read_declared_sources(engagement)
    first = scope.read_declared_sources(engagement, cache)
    again = scope.read_declared_sources(engagement, cache)  # every file recalled from it
    assert first == plain and again == plain
    with sqlite3.connect(cache) as connection:
        remembered = connection.execute("SELECT count(*) FROM parsed").fetchone()[0]
    assert remembered == sum(reading.files - len(reading.unreadable) for reading in plain) > 0


def write_api_site(folder, modules: int = 6, lines: int = 25) -> list[str]:
    """A documentation site as Node.js ships it: one page per module, a contents page that
    links them, and an all-in-one page holding every module's text. Returns the modules."""
    names = [f"module{n}" for n in range(modules)]
    sections = {
        name: "".join(
            f"<p>The {name} function number {line} returns a value that callers of {name} use.</p>"
            for line in range(lines)
        )
        for name in names
    }
    site = folder / "site"
    site.mkdir(parents=True)
    for name, text in sections.items():
        (site / f"{name}.html").write_text(f"<main><h1>{name}</h1>{text}</main>")
    links = "".join(f'<li><a href="{name}.html">{name} reference</a></li>' for name in names)
    (site / "index.html").write_text(f"<main><h1>Contents</h1><ul>{links}</ul></main>")
    every = "".join(f"<h2>{name}</h2>{text}" for name, text in sections.items())
    (site / "all.html").write_text(f"<main><h1>Everything</h1>{every}</main>")
    # one page that quotes a whole other page is a copy of it, not an all-in-one page
    (site / "quoting.html").write_text(f"<main><h1>Quoting</h1>{sections['module0']}</main>")
    # a reference page whose sections other pages repeat in part, beside text of their own
    options = [
        f"<p>The option number {n} changes how every command treats its inputs and outputs.</p>"
        for n in range(30)
    ]
    (site / "options.html").write_text(f"<main><h1>Options</h1>{''.join(options)}</main>")
    for command in range(5):
        own = "".join(
            f"<p>Command {command} does its own step number {n} before it reads the options.</p>"
            for n in range(12)
        )
        repeated = "".join(options[command * 6 : command * 6 + 6])
        (site / f"command{command}.html").write_text(
            f"<main><h1>C{command}</h1>{own}{repeated}</main>"
        )
    return names


def test_an_all_in_one_page_is_named_with_the_exclude_that_leaves_it_out(tmp_path):
    """The page that repeats many others is named (not the pages it repeats, not a contents
    page, not a page quoting one other), with the setting that fixes it; set, it passes."""
    write_api_site(tmp_path)
    defaults = {"id": "path", "groups": ["all-staff"], "updated_at": "file-modified"}
    source = {"name": "api", "path": "site", "format": "html", "defaults": defaults}
    (tmp_path / "engagement.yaml").write_text(json.dumps({"name": "api", "data_sources": [source]}))
    readings = scope.read_declared_sources(load_engagement(tmp_path))
    assert [file for file, _ in readings[0].compilations] == ["all.html"]
    result = scope.check_data_sources(readings)
    assert result.status == "warn"
    assert "1 documents of api repeat others (all.html: 100% of its text is in 7 other" in (
        result.detail
    )
    assert "exclude: ['all.html']" in result.detail

    source["exclude"] = ["all.html"]
    (tmp_path / "engagement.yaml").write_text(json.dumps({"name": "api", "data_sources": [source]}))
    assert sources_check(load_engagement(tmp_path)).status == "pass"
