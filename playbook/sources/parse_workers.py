"""Parsing a large corpus on every core: worker processes, each `python -m` this module.

Parsing is most of an ingest's time (the Python docs: 1.3 of 2.4 s). Not multiprocessing or
concurrent.futures, because their spawn and forkserver workers re-run the parent's main script
(an unguarded `python ingest.py` would start ingesting again in every worker) and a fork of a
threaded process, such as a Jupyter kernel, can deadlock. A worker started as a module imports
this package and nothing of its parent.

A worker gets its share of the files at once and answers file by file, in order. Whatever a
worker did not answer (it could not start, it died, a reader raised) is parsed in the parent,
so the records and errors are exactly those of an in-process read.
"""

from __future__ import annotations

import functools
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import playbook
from playbook.sources.model import DataSource
from playbook.sources.reading import read_file
from playbook.sources.records import ReadError, SourceRecord

MIN_FILES_PER_WORKER = 32  # a worker costs about 0.2 s to start: about 60 pages' parsing
MAX_WORKERS = 4


class ParseTask(NamedTuple):
    """One file to parse, as plain values a worker can receive."""

    path: str
    declaration: str  # the DataSource, as JSON
    fmt: str
    root: str


Parsed = tuple[list[SourceRecord], list[ReadError]]


def parse(task: ParseTask) -> Parsed:
    return read_file(Path(task.path), _declared(task.declaration), task.fmt, Path(task.root))


@functools.lru_cache(maxsize=64)
def _declared(declaration: str) -> DataSource:
    """The source every task of it names, validated once, not once per file."""
    return DataSource.model_validate_json(declaration)


def worker_count(files: int) -> int:
    """How many workers `files` files are worth on this machine (0: parse in this process)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    if cores < 2 or not sys.executable:  # an embedded interpreter has no python to start
        return 0
    wanted = min(cores, MAX_WORKERS, files // MIN_FILES_PER_WORKER)
    return wanted if wanted >= 2 else 0


def parse_all(tasks: Sequence[ParseTask], workers: int) -> Iterator[Parsed]:
    """What each task's file holds, in the order of `tasks`, parsed by `workers` processes."""
    if workers < 2:
        return map(parse, tasks)
    return ParserPool(workers).parse_all(tasks)


class ParserPool:
    """Worker processes, started at once (each takes about 0.15 s to import this package, time
    the caller can spend listing and hashing its files) and given their tasks later."""

    def __init__(self, workers: int) -> None:
        package_home = str(Path(playbook.__file__).resolve().parent.parent)
        path = os.environ.get("PYTHONPATH")
        environment = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [package_home, path])),
        }
        self.processes: list[subprocess.Popen | None] = []
        for _ in range(workers):
            try:
                process = subprocess.Popen(
                    [sys.executable, "-m", "playbook.sources.parse_workers"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,  # a failed worker's files are parsed by the parent
                    env=environment,
                )
            except OSError:
                process = None
            self.processes.append(process)

    def parse_all(self, tasks: Sequence[ParseTask]) -> Iterator[Parsed]:
        """What each task's file holds, in the order of `tasks`; the workers stop at the end."""
        results: queue.Queue[tuple[int | None, Parsed | None]] = queue.Queue()
        step = len(self.processes)
        running = 0
        for offset, process in enumerate(self.processes):
            if process is not None:
                threading.Thread(
                    target=_relay,
                    args=(process, tasks[offset::step], offset, step, results),
                    name=f"parse-worker-{offset}",
                    daemon=True,
                ).start()
                running += 1
        answered: dict[int, Parsed | None] = {}
        try:
            for position, task in enumerate(tasks):
                while position not in answered and running:
                    index, payload = results.get()
                    if index is None:  # a worker finished or died
                        running -= 1
                    else:
                        answered[index] = payload
                result = answered.pop(position, None)
                yield result if result is not None else parse(task)
        finally:
            self.close()

    def close(self) -> None:
        for process in self.processes:
            if process is not None:
                if process.poll() is None:
                    process.kill()
                process.wait()


def _relay(
    process: subprocess.Popen,
    share: Sequence[ParseTask],
    offset: int,
    step: int,
    results: queue.Queue,
) -> None:
    """Give a worker its share (tasks offset, offset + step, ...) and pass its answers on."""
    try:
        pickle.dump([tuple(task) for task in share], process.stdin)
        process.stdin.close()
        for number in range(len(share)):
            results.put((offset + number * step, _records(pickle.load(process.stdout))))
    except (EOFError, OSError, pickle.UnpicklingError):
        pass  # what this worker did not answer is parsed by the parent
    finally:
        results.put((None, None))


def _records(plain: tuple[list[dict], list[ReadError]] | None) -> Parsed | None:
    if plain is None:
        return None
    records, errors = plain
    return [SourceRecord.from_plain(record) for record in records], errors


def _serve() -> None:
    """A worker's life: read the tasks, answer each with its records and errors, in order."""
    tasks = [ParseTask(*task) for task in pickle.load(sys.stdin.buffer)]
    out = sys.stdout.buffer
    for task in tasks:
        try:
            records, errors = parse(task)
            answer = ([record.to_plain() for record in records], errors)
        except Exception:  # noqa: BLE001 (the parent parses it again and meets the error itself)
            answer = None
        pickle.dump(answer, out)
        out.flush()


if __name__ == "__main__":
    _serve()
