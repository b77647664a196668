"""The load generator against Locust on the same trivial loopback API, at the same rate
(`make bench`): are notebook 04's percentiles the ones an established tool reads?

Locust runs as a subprocess, its users started 1/rate apart and each pacing itself (Locust is a
closed model; `constant_pacing` spreads the arrivals evenly); the playbook's generator sends the
same evenly spaced arrivals through the HTTP adapter's asyncio client. Both ask the same API for
the same time. Numbers for the notes of an issue, never asserted in a test.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from bench_http_client import SERVER

from playbook.engagement import HttpTarget as HttpTargetConfig
from playbook.engagement import LoadSettings, load_engagement
from playbook.load import Request, run_open_load
from playbook.scaleout import run_locust, write_locustfile
from playbook.targets.http import HttpTarget

QUESTION = "How many days of annual leave do I get?"


def engagement_for(folder: Path, url: str) -> Path:
    """An engagement whose target is the loopback API and whose golden set is one question."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "golden.jsonl").write_text(
        json.dumps({"id": "g1", "question": QUESTION, "gold_docs": ["HB-001"]}) + "\n"
    )
    engagement = {
        "name": "bench-load",
        "target": {
            "spec": url,
            "http": {"response": {"answer": "answer", "sources": "sources[*].id"}},
        },
        "golden_set": "golden.jsonl",
    }
    (folder / "engagement.yaml").write_text(yaml.safe_dump(engagement))
    return folder


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(port: int, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.2)
    sys.exit(f"playbook serve did not listen on {port} within {seconds:g} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0, help="requests a second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--delay-ms",
        type=float,
        default=0.0,
        help="the loopback API holds each reply this long (Locust's percentiles are whole "
        "milliseconds: at 2 ms a 1 ms step reads as 50 %%)",
    )
    parser.add_argument(
        "--reference",
        action="store_true",
        help="load `playbook serve --profile prototype` on the demo (answers in ~15 ms) instead "
        "of a trivial API (~1 ms), where Locust's whole-millisecond percentiles weigh less",
    )
    args = parser.parse_args()
    if args.reference:
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "playbook.cli",
                "serve",
                "--profile",
                "prototype",
                "--port",
                str(port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=tempfile.gettempdir(),
        )
        wait_until_up(port)
    else:
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(args.delay_ms)], stdout=subprocess.PIPE, text=True
        )
    try:
        if not args.reference:
            port = int(server.stdout.readline())  # type: ignore[union-attr]
        url = f"http://127.0.0.1:{port}/v1/ask"
        with tempfile.TemporaryDirectory(prefix="bench-load-") as scratch:
            folder = engagement_for(Path(scratch) / "engagement", url)
            users = max(1, round(args.rate / 5))  # each user asks five times a second
            # users started 1/rate apart, each pacing to rate/users: evenly spaced arrivals
            settings = LoadSettings(
                users=users,
                spawn_rate=args.rate,
                run_time_s=args.seconds,
                wait_s=users / args.rate,
            )
            engagement = load_engagement(folder).model_copy(update={"load": settings})
            locustfile = write_locustfile(engagement, Path(scratch) / "locustfile.py")
            del locustfile
            rows = run_locust(
                Path(scratch) / "locustfile.py",
                f"http://127.0.0.1:{port}",
                settings,
                Path(scratch) / "locust",
                timeout_s=args.seconds + 60,
            )
        target = HttpTarget(
            url, HttpTargetConfig(response={"answer": "answer", "sources": "sources[*].id"})
        )
        requests = [Request(QUESTION)]
        run_open_load(target, requests, args.rate, 1.0, int(args.rate))  # warm-up
        run = run_open_load(  # the same evenly spaced arrivals as Locust's paced users
            target, requests, args.rate, args.seconds, int(args.rate * args.seconds), "fixed"
        )
        target.close()
        rows.append(run.summary())
    finally:
        server.terminate()
        server.wait(10)
    columns = ("source", "rate_rps", "requests", "errors", "p50_ms", "p95_ms", "p99_ms", "valid")
    served = "playbook serve --profile prototype" if args.reference else "Loopback API"
    held = f", replies held {args.delay_ms:g} ms" if args.delay_ms and not args.reference else ""
    print(f"{served} at {args.rate:g} req/s for {args.seconds:g} s{held}")
    print("  ".join(f"{column:>10}" for column in columns))
    for row in rows:
        cells = []
        for column in columns:
            value = row[column]
            cells.append(f"{value:>10.2f}" if isinstance(value, float) else f"{value!s:>10}")
        print("  ".join(cells))
    if len(rows) == 2 and all(row["p50_ms"] for row in rows):
        locust, ours = rows
        for q in ("p50_ms", "p95_ms"):
            gap = (ours[q] - locust[q]) / locust[q]
            print(f"{q}: the generator reads {gap:+.0%} against Locust")
    return 0


if __name__ == "__main__":
    sys.exit(main())
