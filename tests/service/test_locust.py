"""Locust as a subprocess against real servers on 127.0.0.1: what it sends, and what it reports."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from playbook.engagement import Engagement
from playbook.errors import PlaybookError
from playbook.load import SUMMARY_COLUMNS
from playbook.scaleout import (
    read_locust_failures,
    reference_tokens,
    run_locust,
    write_locustfile,
)
from tests.core.test_scaleout import TOKEN_VARIABLE, http_engagement
from tests.e2e.conftest import playbook

from .conftest import GOLDEN, TOKENS

pytestmark = pytest.mark.service

UNANSWERED = "What colour is the moon on Tuesdays?"
ANSWERED = "How many days of annual leave does an employee get?"


class TeamApi(BaseHTTPRequestHandler):
    """A team's API: answers at result.text, except for UNANSWERED, whose reply has no answer."""

    received: list[tuple[str, dict[str, str], object]] = []
    reply_after_s = 0.0

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append((self.path, dict(self.headers), body))
        time.sleep(self.reply_after_s)
        question = body["input"]["text"]
        reply = {"result": {}} if question == UNANSWERED else {"result": {"text": "25 days"}}
        payload = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def team_api(request) -> Iterator[tuple[str, list]]:
    """The stub API on a free loopback port, and the requests it received; a test that
    parametrizes it indirectly makes it answer that many seconds late."""
    received: list = []
    delay = getattr(request, "param", 0.0)
    handler = type("RecordingTeamApi", (TeamApi,), {"received": received, "reply_after_s": delay})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_the_locustfile_posts_the_mapped_body_with_the_env_token_and_fails_missing_answers(
    tmp_path, monkeypatch, team_api
):
    url, received = team_api
    token = "tok-load-5b9e-distinctive"
    monkeypatch.setenv(TOKEN_VARIABLE, token)
    engagement = http_engagement(
        tmp_path / "team", f"{url}/api/ask", [(ANSWERED, "u-alice"), (UNANSWERED, "u-alice")]
    )
    locustfile = tmp_path / "team" / "load" / "locustfile.py"
    write_locustfile(engagement, locustfile)
    settings = engagement.load.model_copy(update={"users": 2, "spawn_rate": 2, "run_time_s": 2})

    [row] = run_locust(
        locustfile, url, settings, tmp_path / "out" / "run", timeout_s=60, stop_timeout_s=5
    )

    assert received, "Locust sent nothing to the stub API"
    for path, headers, body in received:
        assert path == "/api/ask"
        assert headers["X-Api-Key"] == token
        assert body == {
            "input": {"text": body["input"]["text"], "asked_by": "u-alice"},
            "mode": "fast",
        }
    asked = {body["input"]["text"] for _, _, body in received}
    assert asked == {ANSWERED, UNANSWERED}
    unanswered = sum(body["input"]["text"] == UNANSWERED for _, _, body in received)
    assert row["requests"] == len(received)
    assert row["errors"] == unanswered > 0
    reasons = dict(read_locust_failures(tmp_path / "out" / "run"))
    assert reasons == {
        "reply has no answer at 'result.text' (target.http.response.answer)": unanswered
    }


@pytest.mark.parametrize("team_api", [1.0], indirect=True)
def test_questions_in_flight_when_the_run_ends_are_finished_and_counted(
    tmp_path, monkeypatch, team_api
):
    """Every user is waiting on a slow reply when the run time is up: Locust lets those
    requests finish, so its statistics count every question the target received."""
    url, received = team_api
    monkeypatch.setenv(TOKEN_VARIABLE, "tok-load-in-flight")
    engagement = http_engagement(tmp_path / "team", f"{url}/api/ask", [(ANSWERED, "u-alice")])
    engagement = engagement.model_copy(
        update={"load": engagement.load.model_copy(update={"wait_s": 0.0})}
    )
    locustfile = tmp_path / "team" / "load" / "locustfile.py"
    write_locustfile(engagement, locustfile)
    settings = engagement.load.model_copy(update={"users": 2, "spawn_rate": 2, "run_time_s": 2})

    [row] = run_locust(
        locustfile, url, settings, tmp_path / "out" / "run", timeout_s=60, stop_timeout_s=5
    )

    assert len(received) >= 2
    assert row["requests"] == len(received) and row["errors"] == 0


def served_engagement(engagement: Engagement) -> Engagement:
    """The service tests' engagement with a golden set asked by two users who hold tokens."""
    lines = [
        json.dumps({"id": f"g{n}", "question": q, "user": ("u-alice", "u-hana")[n % 2]})
        for n, q in enumerate(GOLDEN)
    ]
    (engagement.folder / "load-golden.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    return engagement.model_copy(update={"golden_set": "load-golden.jsonl"})


def test_locust_master_and_two_workers_against_playbook_serve_report_clean_ordered_stats(
    engagement, serve, tmp_path
):
    server = serve("production")  # authentication on: every request must carry a known token
    settings = engagement.load.model_copy(
        update={"users": 4, "spawn_rate": 4, "run_time_s": 4, "wait_s": 0.5, "workers": 2}
    )
    engagement = served_engagement(engagement).model_copy(update={"load": settings})
    locustfile = tmp_path / "locustfile.py"
    plan = write_locustfile(engagement, locustfile)  # the pacing (wait_s) is the file's
    tokens = reference_tokens(engagement, plan)
    assert set(tokens.values()) == {TOKENS["u-alice"], TOKENS["u-hana"]}

    started = time.monotonic()
    rows = run_locust(locustfile, server.url, settings, tmp_path / "run", 90, env=tokens)
    seconds = time.monotonic() - started

    [row] = rows
    assert tuple(row) == SUMMARY_COLUMNS and row["source"] == "locust"
    assert row["requests"] > 0
    assert row["errors"] == 0, read_locust_failures(tmp_path / "run")
    assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"]
    assert (tmp_path / "run_worker1.log").is_file() and (tmp_path / "run_worker2.log").is_file()
    print(f"master + 2 workers: {seconds:.1f} s wall, {row['requests']} requests")
    assert seconds < 60


def test_playbook_load_runs_locust_and_writes_the_statistics_and_rows(engagement, serve, tmp_path):
    server = serve("production")
    engagement = served_engagement(engagement)
    data = json.loads(engagement.file.read_text(encoding="utf-8"))
    data["golden_set"] = "load-golden.jsonl"
    folder = tmp_path / "engagement"
    folder.mkdir()
    for name in ("users.yaml", "load-golden.jsonl"):
        (folder / name).write_bytes((engagement.folder / name).read_bytes())
    (folder / "engagement.yaml").write_text(json.dumps(data), encoding="utf-8")

    result = playbook(
        "load", str(folder), "--host", server.url, "--users", "2", "--spawn-rate", "2",
        "--time", "2", cwd=tmp_path,
    )  # fmt: skip

    assert result.code == 0, result.stdout + result.stderr
    assert "p95_ms" in result.stdout
    [stats] = (folder / "load").glob("*-stats.csv")
    [summary] = (folder / "load").glob("*-summary.json")
    assert "Aggregated" in stats.read_text(encoding="utf-8")
    rows = json.loads(summary.read_text(encoding="utf-8"))["rows"]
    assert rows[0]["requests"] > 0 and rows[0]["errors"] == 0
    assert not any(token in summary.read_text(encoding="utf-8") for token in TOKENS.values())
    assert sorted(p.name for p in (folder / "load").iterdir()) == sorted(
        ["locustfile.py", stats.name, summary.name]
    )


def test_a_locust_run_past_its_wall_timeout_is_stopped_with_every_process(tmp_path, engagement):
    locustfile = tmp_path / "stuck_locustfile.py"
    locustfile.write_text("import time\ntime.sleep(120)\n", encoding="utf-8")
    settings = engagement.load.model_copy(update={"users": 1, "run_time_s": 1, "workers": 1})

    started = time.monotonic()
    with pytest.raises(PlaybookError, match="did not finish within 3 s"):
        run_locust(locustfile, "http://127.0.0.1:9", settings, tmp_path / "run", timeout_s=3)

    assert time.monotonic() - started < 20
    still = [
        pid.name
        for pid in Path("/proc").iterdir()
        if pid.name.isdigit() and str(locustfile).encode() in _cmdline(pid)
    ]
    assert still == []


def _cmdline(pid: Path) -> bytes:
    try:
        return (pid / "cmdline").read_bytes()
    except OSError:
        return b""
