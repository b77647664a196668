"""`serve`, the blocking entry point the CLI calls, run as its own process and stopped by Ctrl+C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from playbook.errors import PlaybookError
from playbook.loopback import listen
from playbook.targets.reference import serve_engagement
from tests.event_loops import run_in_own_loop

from .conftest import SALARY, SALARY_MARKER, TOKENS, closed_port

pytestmark = pytest.mark.service

SCRIPT = """
import sys
from pathlib import Path
from playbook.engagement import load_engagement
from playbook.targets.reference import serve_engagement
serve_engagement(load_engagement(Path(sys.argv[1])), sys.argv[2], port=int(sys.argv[3]))
print("stopped cleanly")
"""


def wait_until_healthy(url: str, process: subprocess.Popen, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/healthz", timeout=1, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"serve did not become healthy within {seconds:g} s")


def test_serve_ingests_the_engagement_answers_over_http_and_stops_on_interrupt(engagement):
    port = closed_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(engagement.folder), "production", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_healthy(url, process)
        reply = httpx.post(
            f"{url}/v1/ask",
            json={"question": SALARY},
            headers={"Authorization": f"Bearer {TOKENS['u-hana']}"},
            timeout=10,
            trust_env=False,
        )
        assert reply.status_code == 200
        assert SALARY_MARKER in reply.json()["answer"]
        anonymous = httpx.post(f"{url}/v1/ask", json={"question": SALARY}, trust_env=False)
        assert anonymous.status_code == 401
    finally:
        process.send_signal(signal.SIGINT)
        try:
            out, err = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
    assert process.returncode == 0, err
    assert "stopped cleanly" in out
    assert f"Serving reference:production on {url}" in err
    assert "POST /v1/ask" in out + err  # the access log: proof the next line reads the logs
    assert TOKENS["u-hana"] not in out + err


def test_a_port_in_use_is_a_playbook_error_naming_it(engagement):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(PlaybookError, match=f"127.0.0.1:{port}"):
            listen("127.0.0.1", port)
        with pytest.raises(PlaybookError, match="--port"):
            serve_engagement(engagement, "production", port=port)


def test_an_unknown_profile_is_a_playbook_error(engagement):
    with pytest.raises(PlaybookError, match="staging"):
        serve_engagement(engagement, "staging", port=closed_port())


def test_sigterm_stops_serving_and_removes_the_temporary_store(engagement, tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    port = closed_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(engagement.folder), "production", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(scratch)},
    )
    try:
        wait_until_healthy(url, process)
        assert any(scratch.glob("playbook-serve-*"))  # the store lives there while serving
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert "stopped cleanly" in out
    assert not any(scratch.glob("playbook-serve-*")), list(scratch.iterdir())


def test_connections_accepted_on_our_sockets_send_replies_without_waiting_for_acks():
    """asyncio turns Nagle's algorithm off (TCP_NODELAY) only on sockets made for TCP by name;
    without it every reply on a keep-alive connection waited ~40 ms for a delayed ACK (Locust
    read the served reference at 4x the generator's latency until this was found)."""
    import asyncio

    seen: list[int] = []

    async def main() -> None:
        def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(accepted, sock=listen("127.0.0.1", 0))
        port = server.sockets[0].getsockname()[1]
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.01)
            writer.close()

    run_in_own_loop(main())
    assert seen and seen[0] != 0
