"""The scale-out path's files and boundaries: the locustfile, Locust's statistics, the command."""

from __future__ import annotations

import ast
import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from playbook.engagement import (
    DEMO_TEMPLATE,
    PYTHON_DOCS_TEMPLATE,
    Engagement,
    create_engagement,
    load_engagement,
)
from playbook.errors import PlaybookError
from playbook.load import SUMMARY_COLUMNS
from playbook.scaleout import (
    normalise_host,
    read_locust_failures,
    read_locust_stats,
    write_locustfile,
)
from playbook.targets.http import parse_field_path, render_request
from tests.e2e.conftest import playbook

TOKEN_VARIABLE = "PLAYBOOK_TEST_LOAD_TOKEN_ALICE"
REQUEST = {"input": {"text": "{question}", "asked_by": "{user}"}, "mode": "fast"}
QUESTIONS = (
    ("How many days of annual leave does an employee get?", "u-alice"),
    ("When must expense claims be submitted?", None),
)
# Locust 2.x's requests CSV header (locust/stats.py StatsCSV.requests_csv_columns).
STATS_HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
)


def http_engagement(folder: Path, url: str, questions=QUESTIONS) -> Engagement:
    """An engagement for a team's API at `url`: nested body, API key header, answer at
    result.text, and a golden set of `questions` ((question, user) pairs)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps({"id": f"q{number}", "question": question, "user": user})
        for number, (question, user) in enumerate(questions, start=1)
    ]
    (folder / "golden.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = {
        "name": "team-api",
        "target": {
            "spec": url,
            "http": {
                "request": REQUEST,
                "response": {"answer": "result.text", "sources": None},
                "auth": {
                    "header": "X-Api-Key",
                    "scheme": "",
                    "token_env": {"u-alice": TOKEN_VARIABLE},
                },
                "timeout_s": 5,
            },
        },
        "golden_set": "golden.jsonl",
        "load": {"users": 2, "spawn_rate": 2, "run_time_s": 2, "wait_s": 0.2},
    }
    (folder / "engagement.yaml").write_text(json.dumps(data), encoding="utf-8")
    return load_engagement(folder)


def assigned(source: str, name: str) -> object:
    """The literal value a module-level `name = ...` assigns in `source`."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == [
            name
        ]:
            return ast.literal_eval(node.value)
    raise AssertionError(f"{name} is not assigned in the locustfile")


def test_the_locustfile_names_the_token_variable_and_never_holds_the_token(tmp_path, monkeypatch):
    secret = "tok-8d1f-distinctive-4c2e"
    monkeypatch.setenv(TOKEN_VARIABLE, secret)
    engagement = http_engagement(tmp_path / "team", "http://127.0.0.1:9/api/v2/ask?lang=en")

    path = tmp_path / "team" / "load" / "locustfile.py"
    plan = write_locustfile(engagement, path)
    source = path.read_text(encoding="utf-8")

    assert secret not in source
    assert TOKEN_VARIABLE in source
    compile(source, str(path), "exec")
    assert assigned(source, "HOST") == "http://127.0.0.1:9"
    assert assigned(source, "PATH") == "/api/v2/ask?lang=en"
    assert assigned(source, "REQUEST") == REQUEST
    assert assigned(source, "ANSWER_PATH") == "result.text"
    assert assigned(source, "AUTH_HEADER") == "X-Api-Key"
    assert assigned(source, "TOKEN_ENV") == {"u-alice": TOKEN_VARIABLE}
    assert assigned(source, "WAIT_S") == 0.2
    assert [tuple(pair) for pair in assigned(source, "QUESTIONS")] == list(QUESTIONS)
    assert plan.token_variables == [TOKEN_VARIABLE]


def test_a_reference_locustfile_reads_each_askers_token_from_playbook_load_variables(tmp_path):
    folder = create_engagement(tmp_path / "demo", template=DEMO_TEMPLATE)
    engagement = load_engagement(folder)

    plan = write_locustfile(engagement, folder / "load" / "locustfile.py")
    source = (folder / "load" / "locustfile.py").read_text(encoding="utf-8")

    assert plan.kind == "reference"
    assert assigned(source, "HOST") == "http://127.0.0.1:8080"
    assert assigned(source, "PATH") == "/v1/ask"
    assert assigned(source, "TOKEN_ENV")["u-alice"] == "PLAYBOOK_LOAD_TOKEN_U_ALICE"
    assert "playbook serve" in source
    assert "demo-alice-" not in source  # the users file's demo tokens stay in the users file


def test_a_python_target_is_refused_in_one_line_naming_the_field(tmp_path):
    engagement = http_engagement(tmp_path / "team", "http://127.0.0.1:9/ask")
    engagement = engagement.with_overrides(target__spec="python:team.bot:answer")

    with pytest.raises(PlaybookError) as refused:
        write_locustfile(engagement, tmp_path / "locustfile.py")

    message = str(refused.value)
    assert "'target.spec'" in message and "python:team.bot:answer" in message
    assert "\n" not in message
    assert not (tmp_path / "locustfile.py").exists()


def test_the_aggregated_row_of_locusts_stats_csv_becomes_a_load_table_row(tmp_path):
    stats = tmp_path / "run_stats.csv"
    stats.write_text(
        STATS_HEADER
        + "\nPOST,/v1/ask,40,2,21,30.5,4.1,310.2,512.0,9.5,0.475,21,25,28,30,60,120,300,310,"
        "310,310,310\n,Aggregated,40,2,21,30.5,4.1,310.2,512.0,9.5,0.475,21,25,28,30,60,120,"
        "300,310,310,310,310\n",
        encoding="utf-8",
    )

    [row] = read_locust_stats(stats)

    assert tuple(row) == SUMMARY_COLUMNS
    assert row["source"] == "locust"
    assert (row["requests"], row["errors"], row["error_rate"]) == (40, 2, 0.05)
    assert (row["p50_ms"], row["p95_ms"], row["p99_ms"]) == (21.0, 120.0, 310.0)
    assert (row["rate_rps"], row["throughput_rps"]) == (9.5, 9.025)
    assert row["valid"] is True
    assert read_locust_stats(stats, cpu_warning=True)[0]["valid"] is False


def test_a_run_that_sent_nothing_has_no_percentiles_and_is_not_valid(tmp_path):
    stats = tmp_path / "run_stats.csv"
    na = ",".join(["N/A"] * 11)
    stats.write_text(f"{STATS_HEADER}\n,Aggregated,0,0,0,0,0,0,0,0,0,{na}\n", encoding="utf-8")

    [row] = read_locust_stats(stats)

    assert row["requests"] == 0 and row["error_rate"] is None
    assert row["p50_ms"] is None and row["p99_ms"] is None
    assert row["valid"] is False


def test_failure_reasons_are_read_in_the_locustfiles_words_most_frequent_first(tmp_path):
    (tmp_path / "run_failures.csv").write_text(
        "Method,Name,Error,Occurrences,First Seen,Last Seen\n"
        "POST,/ask,HTTP 503,2,,\n"
        'POST,/ask,"CatchResponseError(""reply has no answer at \'result.text\'"")",7,,\n',
        encoding="utf-8",
    )
    assert read_locust_failures(tmp_path / "run") == [
        ("reply has no answer at 'result.text'", 7),
        ("HTTP 503", 2),
    ]
    assert read_locust_failures(tmp_path / "nothing") == []


@pytest.mark.parametrize("url", ["ftp://10.0.0.5", "http://10.0.0.5:8080/v1/ask", "10.0.0.5"])
def test_a_host_that_is_not_a_base_url_is_refused(url):
    with pytest.raises(PlaybookError, match="--host"):
        normalise_host(url)
    assert normalise_host("http://10.0.0.5:8080/") == "http://10.0.0.5:8080"


def test_no_playbook_module_imports_locust():
    script = (
        "import importlib, json, pkgutil, sys\n"
        "import playbook\n"
        "names = [m.name for m in pkgutil.walk_packages(playbook.__path__, 'playbook.')]\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "loaded = sorted(n for n in sys.modules if n.split('.')[0] in ('locust', 'gevent'))\n"
        "print(json.dumps({'modules': names, 'loaded': loaded}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"playbook.scaleout", "playbook.cli", "playbook.load.generator"} <= set(
        result["modules"]
    )
    assert result["loaded"] == []


def test_load_locustfile_only_writes_the_file_and_prints_the_distributed_commands(tmp_path):
    http_engagement(tmp_path / "team", "http://127.0.0.1:9/ask")

    result = playbook("load", "team", "--locustfile-only", "--workers", "3", cwd=tmp_path)

    assert result.code == 0, result.stderr
    assert (tmp_path / "team" / "load" / "locustfile.py").is_file()
    assert "--master" in result.stdout and "--expect-workers 3" in result.stdout
    # a question in flight at the end has the request timeout to finish and be counted
    assert "--stop-timeout 5s" in result.stdout  # the engagement's request timeout
    assert "--worker --master-host" in result.stdout
    assert TOKEN_VARIABLE in result.stdout
    assert not list((tmp_path / "team" / "load").glob("*-stats.csv"))


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"target": {"spec": "python:team.bot:answer"}}, "target.spec"),
        ({"load": {"users": 0}}, "load.users"),
        ({"golden_set": "missing.jsonl"}, "golden"),
    ],
)
def test_load_with_a_bad_engagement_is_exit_2_with_one_line(tmp_path, change, named):
    folder = tmp_path / "team"
    http_engagement(folder, "http://127.0.0.1:9/ask")
    data = json.loads((folder / "engagement.yaml").read_text(encoding="utf-8"))
    (folder / "engagement.yaml").write_text(json.dumps({**data, **change}), encoding="utf-8")

    result = playbook("load", "team", "--locustfile-only", cwd=tmp_path)

    assert result.code == 2
    assert named in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_load_against_a_target_nobody_serves_stops_before_locust_in_one_line(tmp_path, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    http_engagement(tmp_path / "team", f"http://127.0.0.1:{port}/ask")
    monkeypatch.setenv(TOKEN_VARIABLE, "tok-anything")

    result = playbook("load", "team", "--time", "1", cwd=tmp_path)

    assert result.code == 2
    assert f"cannot reach http://127.0.0.1:{port}" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_load_without_a_token_variable_names_it_before_starting_locust(tmp_path, monkeypatch):
    monkeypatch.delenv(TOKEN_VARIABLE, raising=False)
    http_engagement(tmp_path / "team", "http://127.0.0.1:9/ask")

    result = playbook("load", "team", "--time", "1", cwd=tmp_path)

    assert result.code == 2
    assert TOKEN_VARIABLE in result.stderr and "token_env" in result.stderr


def locustfile_functions(source: str) -> dict:
    """The locustfile's body and path helpers, run without Locust (its imports are left out)."""
    tree = ast.parse(source)
    kept = [
        node
        for node in tree.body
        if (isinstance(node, ast.FunctionDef) and node.name in ("render", "compile_path"))
        or (
            isinstance(node, ast.Assign)
            and getattr(node.targets[0], "id", None)
            in ("_PLACEHOLDER", "_SIMPLE_PATH", "_STEP", "_PROJECTIONS")
        )
    ]
    namespace: dict = {"re": re}
    exec(compile(ast.Module(body=kept, type_ignores=[]), "locustfile", "exec"), namespace)
    return namespace


@pytest.mark.parametrize(
    ("question", "user"),
    [("How many days?", "u-alice"), ("What does {user} mean in {question}?", None)],
)
def test_the_locustfile_fills_the_body_as_the_http_adapter_does(tmp_path, question, user):
    engagement = http_engagement(tmp_path / "team", "http://127.0.0.1:9/ask")
    path = tmp_path / "locustfile.py"
    write_locustfile(engagement, path)
    render = locustfile_functions(path.read_text(encoding="utf-8"))["render"]
    template = {**REQUEST, "tags": ["{user}", "asked: {question}"], "n": 3, "flag": None}

    assert render(template, question, user) == render_request(template, question, user)


@pytest.mark.parametrize(
    "path",
    ["answer", "result.text", "choices[0].message.content", "items[-1]", "refs[*].doc", "a[].b"],
)
def test_the_locustfile_finds_answers_where_the_http_adapter_finds_them(tmp_path, path):
    engagement = http_engagement(tmp_path / "team", "http://127.0.0.1:9/ask")
    written = tmp_path / "locustfile.py"
    write_locustfile(engagement, written)
    compile_path = locustfile_functions(written.read_text(encoding="utf-8"))["compile_path"]
    replies = [
        {"answer": "25 days"},
        {"answer": None},
        {"answer": ""},
        {"result": {"text": "x"}},
        {"result": {}},
        {"result": "text"},
        {"choices": [{"message": {"content": "hi"}}]},
        {"choices": []},
        {"choices": {"0": 1}},
        {"items": [1, 2, 0]},
        {"items": []},
        {"refs": [{"doc": "HB-1"}, {"doc": "HB-2"}]},
        {"refs": []},
        {"a": [[{"b": 1}], [{"b": 2}]]},
        [],
        "plain",
        None,
    ]

    for reply in replies:
        assert compile_path(path)(reply) == parse_field_path(path).find(reply), (path, reply)


def test_a_reference_load_names_the_askers_without_a_token_and_the_fix_for_a_401(tmp_path):
    """The Python docs' users file names no demo tokens: `playbook load` says before it runs
    that production will refuse them, and the locustfile's 401 reason says what to do."""
    create_engagement(tmp_path / "pydocs", template=PYTHON_DOCS_TEMPLATE)

    result = playbook("load", "pydocs", "--locustfile-only", cwd=tmp_path)

    assert result.code == 0, result.stderr
    assert "Note: u-core, u-dev ask without a token in users.yaml" in result.stdout
    source = (tmp_path / "pydocs" / "load" / "locustfile.py").read_text(encoding="utf-8")
    assert "give each asking user one (field 'users.N.token'" in assigned(source, "REFUSED_HINT")
    assert assigned(source, "TOKEN_ENV") == {}
