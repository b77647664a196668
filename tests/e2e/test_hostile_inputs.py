"""Hostile and broken inputs: a corpus of malformed engagement folders built by the test.

Each case holds one invariant. A user's mistake in a file the user writes is exit status 2 with
one line naming the file and where in it, before any run folder exists. A broken file among the
documents the system answers from is a finding: notebook 00 names it and the run goes on. Never a
traceback, never a hang (every case is bounded), never a half-written run folder.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from playbook import cli
from playbook.engagement import DEMO_TEMPLATE, SAMPLES_DIR

pytestmark = pytest.mark.e2e

ALIAS_BOMB = (
    'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
)
DEEP_YAML = "a: " + "[" * 20000 + "]" * 20000 + "\n"
DEEP_JSON = '{"id": "g1", "question": "q", "x": ' + "[" * 5000 + "]" * 5000 + "}"
Edit = Callable[[Path], None]


def engagement(folder: Path) -> dict:
    return yaml.safe_load((folder / "engagement.yaml").read_text(encoding="utf-8"))


def set_fields(**changes) -> Edit:
    """An edit of engagement.yaml: dotted keys (`target.spec`) set to values."""

    def edit(folder: Path) -> None:
        data = engagement(folder)
        for dotted, value in changes.items():
            node = data
            *parents, leaf = dotted.split(".")
            for part in parents:
                node = node.setdefault(part, {}) if not part.isdigit() else node[int(part)]
            node[leaf] = value
        (folder / "engagement.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")

    return edit


def write(name: str, content: str | bytes, point: str | None = None) -> Edit:
    """An edit that writes a file into the engagement (and points a field at it)."""

    def edit(folder: Path) -> None:
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        if point:
            set_fields(**{point: name})(folder)

    return edit


def local_copy(sample: str, field: str, mutate: Callable[[str], str | bytes]) -> Edit:
    """A copy of a bundled sample file, changed by `mutate`, that `field` points at."""

    def edit(folder: Path) -> None:
        changed = mutate((SAMPLES_DIR / sample).read_text(encoding="utf-8"))
        write(sample, changed, field)(folder)

    return edit


def users_with(extra: str) -> Edit:
    return local_copy("users.yaml", "users", lambda text: text + extra)


def golden_line(line: str | bytes) -> Edit:
    def mutate(text: str) -> str | bytes:
        return text.encode() + line if isinstance(line, bytes) else text + line + "\n"

    return local_copy("golden.jsonl", "golden_set", mutate)


def decisions(content: str | bytes) -> Edit:
    return write("decisions.yaml", content)


# (case id, edit, the file the message names, a fragment it must contain)
USAGE_ERRORS: list[tuple[str, Edit, str, str]] = [
    (
        "engagement binary",
        write("engagement.yaml", b"\x00\xff\xfe\x89PNG\r\n"),
        "engagement.yaml",
        "UTF-8",
    ),
    (
        "engagement latin-1",
        write("engagement.yaml", "name: caf\xe9\n".encode("latin-1")),
        "engagement.yaml",
        "not UTF-8",
    ),
    (
        "engagement utf-16",
        write("engagement.yaml", "name: x\n".encode("utf-16")),
        "engagement.yaml",
        "UTF-8",
    ),
    ("engagement empty", write("engagement.yaml", ""), "engagement.yaml", "expected a mapping"),
    (
        "engagement scalar",
        write("engagement.yaml", "hello\n"),
        "engagement.yaml",
        "expected a mapping",
    ),
    (
        "engagement list",
        write("engagement.yaml", "- a\n- b\n"),
        "engagement.yaml",
        "expected a mapping",
    ),
    ("engagement alias bomb", write("engagement.yaml", ALIAS_BOMB), "engagement.yaml", "alias"),
    (
        "engagement small alias",
        write("engagement.yaml", "name: &n x\nclient: *n\n"),
        "engagement.yaml",
        "alias",
    ),
    (
        "engagement duplicate key",
        write("engagement.yaml", "name: a\nname: b\n"),
        "engagement.yaml",
        "twice",
    ),
    (
        "engagement deep nesting",
        write("engagement.yaml", DEEP_YAML),
        "engagement.yaml",
        "nested deeper",
    ),
    (
        "engagement too large",
        write("engagement.yaml", "name: x\n" + "#" * 1_100_000 + "\n"),
        "engagement.yaml",
        "more than",
    ),
    (
        "engagement bad yaml",
        write("engagement.yaml", "name: [unclosed\n"),
        "engagement.yaml",
        "line",
    ),
    ("unknown field", set_fields(golden_sett="x.jsonl"), "engagement.yaml", "golden_sett"),
    ("name with spaces", set_fields(name="my engagement"), "engagement.yaml", "name"),
    ("unknown depth", set_fields(depth="superfast"), "engagement.yaml", "depth"),
    (
        "unknown target kind",
        set_fields(**{"target.spec": "gopher://x"}),
        "engagement.yaml",
        "target.spec",
    ),
    (
        "bad python spec",
        set_fields(**{"target.spec": "python:not valid"}),
        "engagement.yaml",
        "target.spec",
    ),
    (
        "unknown switch",
        set_fields(**{"target.switches": {"acces_filter": False}}),
        "engagement.yaml",
        "acces_filter",
    ),
    (
        "switch not a bool",
        set_fields(**{"target.switches": {"cache": 3}}),
        "engagement.yaml",
        "cache",
    ),
    (
        "switches on an http target",
        set_fields(**{"target.spec": "http://127.0.0.1:9/a", "target.switches": {"cache": False}}),
        "engagement.yaml",
        "target.switches",
    ),
    (
        "bad answer path",
        set_fields(
            **{
                "target.spec": "http://127.0.0.1:9/a",
                "target.http": {"response": {"answer": "a[?"}},
            }
        ),
        "engagement.yaml",
        "target.http.response.answer",
    ),
    (
        "token variable unset",
        set_fields(
            **{
                "target.spec": "http://127.0.0.1:9/a",
                "target.http": {"auth": {"token_env": {"u-alice": "PLAYBOOK_HOSTILE_UNSET"}}},
            }
        ),
        "engagement.yaml",
        "PLAYBOOK_HOSTILE_UNSET",
    ),
    (
        "hook not python",
        set_fields(**{"target.ingest_hook": "http://x"}),
        "engagement.yaml",
        "target.ingest_hook",
    ),
    (
        "hook module missing",
        set_fields(**{"target.ingest_hook": "python:no_such_module_x:f"}),
        "engagement.yaml",
        "no_such_module_x",
    ),
    (
        "fault hook attribute missing",
        set_fields(**{"target.fault_hook": "python:json:no_such_fn"}),
        "engagement.yaml",
        "no_such_fn",
    ),
    ("logs is a folder", set_fields(**{"target.logs": "adr"}), "engagement.yaml", "target.logs"),
    (
        "logs climbs out",
        set_fields(**{"target.logs": "../../x.jsonl"}),
        "engagement.yaml",
        "climbs out",
    ),
    ("users climbs out", set_fields(users="../../../etc/passwd"), "engagement.yaml", "climbs out"),
    (
        "samples path climbs out",
        set_fields(users="samples:../../etc/passwd"),
        "engagement.yaml",
        "climbs out",
    ),
    (
        "decisions climbs out",
        set_fields(decisions="../other/decisions.yaml"),
        "engagement.yaml",
        "climbs out",
    ),
    (
        "source climbs out",
        set_fields(**{"data_sources.0.path": "../../corpus"}),
        "engagement.yaml",
        "climbs out",
    ),
    (
        "source names a file of another format",
        set_fields(**{"data_sources.0.path": "engagement.yaml"}),
        "engagement.yaml",
        "data_sources.0.path",
    ),
    (
        "source field path invalid",
        set_fields(**{"data_sources.2.fields": {"body": "x[?"}}),
        "engagement.yaml",
        "data_sources.2.fields",
    ),
    (
        "source field unknown",
        set_fields(**{"data_sources.2.fields": {"summary": "x"}}),
        "engagement.yaml",
        "summary",
    ),
    (
        "source records path invalid",
        set_fields(**{"data_sources.2.records": "[[["}),
        "engagement.yaml",
        "data_sources.2.records",
    ),
    (
        "gate above one",
        set_fields(**{"gate.min_readiness": 1.5}),
        "engagement.yaml",
        "gate.min_readiness",
    ),
    ("unknown notebook", set_fields(notebooks={"42": {}}), "engagement.yaml", "42"),
    (
        "notebook path climbs out",
        set_fields(notebooks={"02": {"upstream_drop": "../../x"}}),
        "engagement.yaml",
        "climbs out",
    ),
    ("golden set missing", set_fields(golden_set="nowhere.jsonl"), "nowhere.jsonl", "not found"),
    ("users missing", set_fields(users="nowhere.yaml"), "nowhere.yaml", "not found"),
    ("users is a folder", set_fields(users="adr"), "adr", "folder"),
    ("users binary", write("users.yaml", b"\x00\x01\x02", "users"), "users.yaml", "binary"),
    (
        "users latin-1",
        write("users.yaml", "groups: {}\nusers: [{id: caf\xe9}]\n".encode("latin-1"), "users"),
        "users.yaml",
        "not UTF-8",
    ),
    ("users alias bomb", write("users.yaml", ALIAS_BOMB, "users"), "users.yaml", "alias"),
    ("users deep nesting", write("users.yaml", DEEP_YAML, "users"), "users.yaml", "nested deeper"),
    (
        "users duplicate id",
        users_with("  - {id: u-alice, name: Twin}\n"),
        "users.yaml",
        "duplicate user id",
    ),
    (
        "users unknown group",
        users_with("  - {id: u-x, groups: [nobody]}\n"),
        "users.yaml",
        "unknown group",
    ),
    ("users misspelt field", users_with("  - {id: u-x, gorups: [hr]}\n"), "users.yaml", "gorups"),
    ("users empty id", users_with("  - {id: ''}\n"), "users.yaml", "users.10.id"),
    (
        "users not a list",
        write("users.yaml", "groups: {}\nusers: {a: 1}\n", "users"),
        "users.yaml",
        "users",
    ),
    (
        "golden latin-1",
        golden_line('{"id": "x", "question": "caf\xe9"}'.encode("latin-1")),
        "golden.jsonl",
        "not UTF-8",
    ),
    ("golden binary", golden_line(b'{"id": "x"}\x00\n'), "golden.jsonl", "NUL"),
    ("golden not json", golden_line("{not json"), "golden.jsonl", "golden.jsonl:217"),
    ("golden a list", golden_line("[1, 2]"), "golden.jsonl", "golden.jsonl:217"),
    ("golden deep nesting", golden_line(DEEP_JSON), "golden.jsonl", "nested deeper"),
    (
        "golden duplicate id",
        golden_line('{"id": "g001", "question": "again?"}'),
        "golden.jsonl",
        "duplicate id",
    ),
    ("golden missing question", golden_line('{"id": "gx"}'), "golden.jsonl", "question"),
    ("golden empty", write("golden.jsonl", "", "golden_set"), "golden.jsonl", "empty"),
    ("decisions alias bomb", decisions(ALIAS_BOMB), "decisions.yaml", "alias"),
    ("decisions binary", decisions(b"\x00\x00\x00"), "decisions.yaml", "binary"),
    (
        "decisions duplicate decision",
        decisions("ownership: {}\nownership: {}\n"),
        "decisions.yaml",
        "twice",
    ),
    ("decisions not yaml", decisions("data-location:\n\t- tab\n"), "decisions.yaml", "line"),
    ("decisions deep nesting", decisions(DEEP_YAML), "decisions.yaml", "nested deeper"),
    ("decisions is a folder", set_fields(decisions="adr"), "adr", "folder"),
]


@pytest.fixture
def client(tmp_path: Path) -> Path:
    folder = tmp_path / "client"
    shutil.copytree(DEMO_TEMPLATE, folder)
    (folder / "adr").mkdir(exist_ok=True)
    return folder


def run_cli(args: list[str], capsys, monkeypatch) -> tuple[int, str, str, float]:
    monkeypatch.setattr("sys.argv", ["playbook", *args])
    started = time.monotonic()
    try:
        cli.main()
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err, time.monotonic() - started


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("case", "edit", "named", "fragment"), USAGE_ERRORS, ids=[c[0] for c in USAGE_ERRORS]
)
def test_a_users_mistake_is_exit_2_with_one_line_naming_the_file_and_no_run_folder(
    client, capsys, monkeypatch, case, edit, named, fragment
):
    monkeypatch.delenv("PLAYBOOK_HOSTILE_UNSET", raising=False)
    edit(client)
    code, out, err, seconds = run_cli(["run", str(client)], capsys, monkeypatch)
    assert code == 2, (case, out[-500:], err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("playbook: error: "), err
    assert named in lines[0] and fragment in lines[0], lines[0]
    assert "Traceback" not in out + err
    assert not (client / "runs").exists(), "a run folder was written for a usage error"
    assert seconds < 20, f"{case} took {seconds:.1f} s"


def test_there_are_at_least_sixty_hostile_cases():
    assert len(USAGE_ERRORS) + len(BROKEN_DOCUMENTS) >= 60


@pytest.mark.timeout(60)
@pytest.mark.parametrize("command", [["status"], ["report"], ["serve", "--port", "1"]])
def test_a_binary_engagement_file_is_one_line_for_every_command(
    client, capsys, monkeypatch, command
):
    (client / "engagement.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    code, out, err, _ = run_cli([*command, str(client)], capsys, monkeypatch)
    assert code == 2 and len(err.strip().splitlines()) == 1, (out, err)
    if command[0] != "report":  # report reads a run folder, not the engagement file
        assert "engagement.yaml" in err and "UTF-8" in err, err
    assert "Traceback" not in out + err


# Broken files among the documents: findings of notebook 00, named with the reason.
BROKEN_DOCUMENTS: dict[str, tuple[str, str | bytes, str]] = {
    "binary markdown": ("handbook", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "UTF-8"),
    "empty markdown": ("handbook", b"", "empty file"),
    "latin-1 markdown": ("handbook", "---\nid: x\n---\ncaf\xe9".encode("latin-1"), "not UTF-8"),
    "unclosed front matter": ("handbook", "---\nid: HB-x\ntitle: open\n\nbody", "never closed"),
    "front matter deep nesting": ("handbook", "---\n" + DEEP_YAML + "---\nbody\n", "nested deeper"),
    "front matter alias bomb": ("handbook", "---\n" + ALIAS_BOMB + "---\nbody\n", "alias"),
    "front matter not a mapping": ("handbook", "---\n- a\n---\nbody\n", "not a mapping"),
    "json deep nesting": (
        "records",
        '{"id": "R", "x": ' + "[" * 5000 + "]" * 5000 + "}",
        "nested deeper",
    ),
    "json broken": ("records", '{"id": "R-9", "title": ', "not valid JSON"),
    "json wrapped records": (
        "records",
        json.dumps({"docs": [{"id": "a"}, {"id": "b"}]}),
        "holds 2 objects under 'docs'",
    ),
    "jsonl broken line": ("records", '{"id": "L-1", "body": "ok"}\n{"id": \n', "malformed json"),
    "json not an object": ("records", "[1, 2, 3]", "expected one JSON object"),
}
SUFFIX = {"handbook": ".md", "records": ".json"}


@pytest.fixture(scope="module")
def broken_corpus_run(tmp_path_factory) -> tuple[dict, str]:
    """One `playbook run --only 00` over sources that hold every broken document, plus copies
    of a few good ones."""
    folder = tmp_path_factory.mktemp("broken") / "client"
    shutil.copytree(DEMO_TEMPLATE, folder)
    for source in ("handbook", "records"):
        (folder / "corpus" / source).mkdir(parents=True)
    for path in sorted((SAMPLES_DIR / "corpus" / "handbook").glob("*.md"))[:5]:
        shutil.copy(path, folder / "corpus" / "handbook" / path.name)
    for number, (case, (source, content, _)) in enumerate(BROKEN_DOCUMENTS.items()):
        suffix = ".jsonl" if "jsonl" in case else SUFFIX[source]
        path = folder / "corpus" / source / f"broken-{number}{suffix}"
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    data = engagement(folder)
    data["data_sources"] = [
        {"name": "handbook", "path": "corpus/handbook", "format": "markdown"},
        {"name": "records", "path": "corpus/records", "format": "json"},
    ]
    (folder / "engagement.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    import subprocess
    import sys

    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-m", "playbook.cli", "run", str(folder), "--only", "00"],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert time.monotonic() - started < 300
    assert "Traceback" not in completed.stdout + completed.stderr, completed.stderr
    (run,) = (folder / "runs").iterdir()
    evidence = json.loads((run / "evidence" / "00_engagement.json").read_text())
    checks = {check["id"]: check for check in evidence["checks"]}
    return checks, (run / "run.json").read_text()


@pytest.mark.parametrize("case", list(BROKEN_DOCUMENTS))
def test_a_broken_document_is_named_in_notebook_00_never_a_crash(broken_corpus_run, case):
    checks, record = broken_corpus_run
    sources = checks["scope.data_sources_readable"]
    assert sources["status"] == "warn", sources["detail"]
    number = list(BROKEN_DOCUMENTS).index(case)
    reason = BROKEN_DOCUMENTS[case][2]
    named = [part for part in sources["detail"].split("; ") if f"broken-{number}." in part]
    assert named and reason in named[0], (case, sources["detail"])
    assert json.loads(record)["finished_at"]  # the run completed and recorded itself
