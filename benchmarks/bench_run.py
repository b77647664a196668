"""Wall time of a full run and of each notebook (`make bench`).

Runs `playbook run` on a fresh copy of an engagement template (the demo, or the Python docs as a
real corpus) at depth quick, once per job count, and prints one table. Numbers are for the notes
of an issue, never asserted in a test.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playbook.runner import default_jobs

PYTHON_DOCS = "/usr/share/doc/python3.11/html"  # Debian's python3.11-doc


def where_the_time_goes(run_dir: Path, record: dict) -> list[tuple[str, float, float, float]]:
    """Per notebook: seconds outside its cells (kernel start, papermill), in its import cell (the
    first code cell that imports, after the parameters) and in the rest of its cells."""
    rows = []
    for entry in record["notebooks"]:
        path = run_dir / "notebooks" / f"{entry['name']}.ipynb"
        if not path.is_file():
            continue
        cells = [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"]]
        timed = [
            ("".join(c["source"]), c.get("metadata", {}).get("papermill", {}).get("duration") or 0)
            for c in cells
            if c["cell_type"] == "code"
        ]
        imports = next(
            (d for source, d in timed if source.lstrip().startswith(("from ", "import "))), 0.0
        )
        in_cells = sum(d for _, d in timed)
        rows.append((entry["name"], entry["seconds"] - in_cells, imports, in_cells - imports))
    return rows


def run_once(workspace: Path, template: str, jobs: int, target: str | None) -> tuple[float, dict]:
    folder = workspace / f"{template}-jobs{jobs}"
    subprocess.run(
        [sys.executable, "-m", "playbook.cli", "new", str(folder), "--template", template],
        check=True,
        capture_output=True,
    )
    command = [sys.executable, "-m", "playbook.cli", "run", str(folder), "--jobs", str(jobs)]
    if target:
        command += ["--target", target]
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    if completed.returncode not in (0, 1):
        sys.exit(f"playbook run failed ({completed.returncode}): {completed.stderr.strip()}")
    (run_dir,) = [path for path in (folder / "runs").iterdir() if (path / "run.json").is_file()]
    record = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    record["time_goes"] = where_the_time_goes(run_dir, record)
    return seconds, record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--jobs",
        type=int,
        nargs="+",
        help="job counts to compare (default: 1 and the run's default on the demo, the run's "
        "default on a real corpus)",
    )
    parser.add_argument("--target", help="target spec (default: the template's own)")
    parser.add_argument("--template", default="demo", help="demo, or python-docs (a real corpus)")
    args = parser.parse_args()
    if not args.jobs:
        args.jobs = [1, default_jobs()] if args.template == "demo" else [default_jobs()]
    if args.template == "python-docs" and not Path(PYTHON_DOCS).is_dir():
        print(f"Run on the Python docs skipped: {PYTHON_DOCS} is not installed (make corpus)")
        return
    with tempfile.TemporaryDirectory(prefix="playbook-bench-") as workspace:
        results = {
            jobs: run_once(Path(workspace), args.template, jobs, args.target) for jobs in args.jobs
        }
    names = [nb["name"] for nb in next(iter(results.values()))[1]["notebooks"]]
    header = f"{'notebook':<28}" + "".join(f"{f'jobs={j} (s)':>14}" for j in results)
    print(f"{args.template} run (depth quick, target {args.target or 'the template own'})")
    print(header)
    for name in names:
        cells = []
        for _, record in results.values():
            entry = next(nb for nb in record["notebooks"] if nb["name"] == name)
            cells.append(f"{entry['seconds']:>14.1f}")
        print(f"{name:<28}" + "".join(cells))
    print(f"{'whole run (wall)':<28}" + "".join(f"{s:>14.1f}" for s, _ in results.values()))
    jobs, (_, record) = max(results.items())
    print(f"\nWhere the time goes (jobs={jobs}, seconds)")
    print(f"{'notebook':<28}{'kernel+papermill':>18}{'imports':>10}{'work':>10}")
    for name, outside, imports, work in record["time_goes"]:
        print(f"{name:<28}{outside:>18.1f}{imports:>10.1f}{work:>10.1f}")


if __name__ == "__main__":
    main()
