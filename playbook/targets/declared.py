"""Capabilities a team's own system offers because its engagement declares them.

An HTTP service or a Python callable is a black box until the engagement says more: an ingest
hook (`target.ingest_hook`) makes its pipeline drillable, a log file (`target.logs`) makes its
failures traceable, a fault proxy (`target.fault_proxy`, HTTP) or a fault hook
(`target.fault_hook`, Python) lets faults reach its upstream calls, an OTLP receiver
(`target.otlp_port`) or trace files (`target.traces`) give its spans. Both adapters build these
here, from the engagement, so no gap module needs to know how.

The OTLP receiver starts the first time the spans are asked for (ask before the questions whose
spans you want: an exporter's spans sent before it listens are lost) and is stopped by `close`,
which the adapter calls when the target closes. Trace files are read again at every call.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playbook.sources import DataSource
from playbook.targets.base import Answer
from playbook.targets.capabilities import (
    HOW_TO_OFFER,
    AccessAdmin,
    DataPipeline,
    FaultInjection,
    IngestHistory,
    IngestStep,
    Logs,
    Metrics,
    PipelineRun,
    SpanRecord,
    Spans,
)

if TYPE_CHECKING:
    from playbook.engagement import Engagement
    from playbook.otlp import OtlpReceiver
    from playbook.targets.base import Target

MAX_LOG_BYTES = 5 * 1024 * 1024
MAX_METRICS_BYTES = 16 * 1024 * 1024
METRICS_TIMEOUT_S = 5.0
HOOK_COUNTS = ("read", "added", "changed", "deleted", "unchanged", "quarantined")


class Declared:
    """What one engagement declares for a team's target; each adapter asks it for its offers."""

    def __init__(self, engagement: Engagement | None, target: Target) -> None:
        self.engagement = engagement
        self.target = target
        self._receiver: OtlpReceiver | None = None
        self._stop_receiver: weakref.finalize | None = None
        self._lock = threading.Lock()

    @property
    def config(self) -> Any:
        return self.engagement.target if self.engagement is not None else None

    def capability(self, kind: type) -> Any:
        """The pipeline (ingest hook), the logs (log file) and the spans (OTLP receiver, else
        trace files), when declared."""
        config = self.config
        if config is None:
            return None
        if kind is DataPipeline and config.ingest_hook:
            return HookPipeline(self.engagement, self.target)  # type: ignore[arg-type]
        if kind is Logs and config.logs:
            return LogFile(self.engagement.resolve(config.logs))  # type: ignore[union-attr]
        if kind is AccessAdmin and config.access_hook:
            return HookAccessAdmin(self.engagement)  # type: ignore[arg-type]
        if kind is Metrics and config.metrics_url:
            return MetricsEndpoint(config.metrics_url)
        if kind is Spans and config.otlp_port:
            return self.receiver(config.otlp_port)
        if kind is Spans and config.traces:
            return TraceFiles(self.engagement.resolve(config.traces))  # type: ignore[union-attr]
        return None

    def receiver(self, port: int) -> OtlpReceiver:
        """The OTLP receiver on `port`, started on first use and stopped by `close`."""
        from playbook.otlp import OtlpReceiver

        with self._lock:
            if self._receiver is None:
                receiver = OtlpReceiver(port).start()
                self._receiver = receiver
                # stopped by close(); also if the target is dropped without closing it
                self._stop_receiver = weakref.finalize(self, receiver.stop)
            return self._receiver

    def close(self) -> None:
        """Stop the OTLP receiver, if one was started."""
        with self._lock:
            if self._stop_receiver is not None:
                self._stop_receiver()
            self._receiver = None
            self._stop_receiver = None

    def missing(self, kind: type) -> str:
        """Why the target does not offer `kind`, naming the engagement field that would."""
        if kind is IngestHistory:
            return (
                f"{self.target.spec} is measured from outside: its ingest versions and document "
                "lineage are not visible (the reference system shows them)"
            )
        if kind is FaultInjection and self.target.spec.startswith(("http://", "https://")):
            return (
                "an HTTP target is measured through the fault proxy on the hop to its model "
                "endpoint: set target.fault_proxy (port, upstream) in engagement.yaml and point "
                "the service's model base URL at http://127.0.0.1:<port>"
            )
        if kind is FaultInjection:
            return (
                "a Python target gets faults through a switchboard its upstream calls go "
                "through: set target.fault_hook (python:module:callable) in engagement.yaml"
            )
        return f"{self.target.spec}: {HOW_TO_OFFER.get(kind.__name__, kind.__name__)}"


class HookAccessAdmin:
    """A team's identity change, through its access hook: `hook(user, groups)` gives `user`
    exactly `groups`; `restore` gives every changed user back the groups of the users file."""

    def __init__(self, engagement: Engagement) -> None:
        from playbook.targets.python_callable import load_callable
        from playbook.users import UserDirectory

        self._hook = load_callable(engagement.target.access_hook or "", engagement.folder)
        self._directory = (
            UserDirectory.load(engagement.resolve(engagement.users))
            if engagement.users
            else UserDirectory()
        )
        self._changed: set[str] = set()

    def set_groups(self, user: str, groups: frozenset[str]) -> None:
        self._changed.add(user)
        self._hook(user, sorted(groups))

    def restore(self) -> None:
        for user_id in sorted(self._changed):
            user = self._directory.get(user_id)
            if user is not None:
                self._hook(user_id, sorted(user.groups))
        self._changed.clear()


class MetricsEndpoint:
    """The Prometheus endpoint the engagement names (`target.metrics_url`), read over HTTP."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.source = url

    def scrape(self) -> str:
        import httpx

        try:
            reply = httpx.get(self.url, timeout=METRICS_TIMEOUT_S, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise OSError(f"{self.url}: {type(exc).__name__}: {exc}") from None
        if reply.status_code != 200:
            raise OSError(f"{self.url}: answered {reply.status_code}, expected 200")
        if len(reply.content) > MAX_METRICS_BYTES:
            raise OSError(f"{self.url}: exposition over {MAX_METRICS_BYTES:,} bytes")
        return reply.text


class TraceFiles:
    """Spans read from the OTLP/JSON files the engagement names (`target.traces`), at each call.

    `clear` remembers the spans seen so far and leaves them out of later calls: the files are the
    team's, never changed here.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.source = str(self.path)
        self._seen: set[tuple[str, str]] = set()

    def spans(self) -> list[SpanRecord]:
        from playbook.otlp import read_trace_files

        spans = read_trace_files(self.path, field="target.traces")
        return [span for span in spans if (span.trace_id, span.span_id) not in self._seen]

    def clear(self) -> None:
        from playbook.otlp import read_trace_files

        spans = read_trace_files(self.path, field="target.traces")
        self._seen |= {(span.trace_id, span.span_id) for span in spans}


class LogFile:
    """Structured logs read from the JSON-lines file the engagement names."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.source = str(self.path)

    def entries(self) -> list[dict[str, Any]]:
        return read_json_lines(self.path)

    def lines(self) -> list[str]:
        return tail_lines(self.path)


def tail_lines(path: Path, max_bytes: int = MAX_LOG_BYTES) -> list[str]:
    """The lines of a log file's last `max_bytes` (none when it cannot be read)."""
    try:
        with Path(path).open("rb") as stream:
            stream.seek(0, 2)
            size = stream.tell()
            stream.seek(max(0, size - max_bytes))
            data = stream.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    return data.splitlines()


def read_json_lines(path: Path, max_bytes: int = MAX_LOG_BYTES) -> list[dict[str, Any]]:
    """The JSON objects of a JSON-lines log (its last `max_bytes`); other lines are skipped."""
    entries = []
    for line in tail_lines(path, max_bytes):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


class HookPipeline:
    """A team's own pipeline, driven through its ingest hook: `hook(sources) -> counts or None`.

    The hook re-ingests the target's data from the folders it is given and may return a mapping
    with counts (`read`, `added`, `changed`, `deleted`, `unchanged`, `quarantined`).
    """

    synchronous = False

    def __init__(self, engagement: Engagement, target: Target) -> None:
        from playbook.targets.python_callable import load_callable

        self.label = target.spec
        self._target = target
        self._sources = tuple(engagement.resolved_sources())
        self._hook = load_callable(engagement.target.ingest_hook or "", engagement.folder)

    def sources(self) -> tuple[DataSource, ...]:
        return self._sources

    def start(self, folder: Path) -> PipelineRun:
        return HookRun(self._hook, self._target, Path(folder), self._sources)


class HookRun:
    """One exercise through the ingest hook, measured through the target's answers only."""

    synchronous = False
    probe_user = None

    def __init__(
        self,
        hook: Callable[..., Any],
        target: Target,
        folder: Path,
        originals: Sequence[DataSource],
    ) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.hook = hook
        self.target = target
        self.folder = folder
        self.originals = list(originals)
        self.touched = False

    def ingest(self, name: str, sources: Sequence[DataSource]) -> IngestStep:
        started = time.perf_counter()
        self.touched = True
        counts = hook_counts(self.hook(list(sources)))
        return IngestStep(
            name=name,
            version=None,
            read=counts["read"],
            added=counts["added"],
            changed=counts["changed"],
            deleted=counts["deleted"],
            unchanged=counts["unchanged"],
            quarantined=counts["quarantined"],
            seconds=time.perf_counter() - started,
        )

    def mark(self, sources: Sequence[DataSource]) -> object:
        snapshot = self.folder / "last-good"
        shutil.rmtree(snapshot, ignore_errors=True)
        for source in sources:
            shutil.copytree(source.path, snapshot / source.name)
        return snapshot

    def restore(self, token: object, sources: Sequence[DataSource]) -> IngestStep:
        # an ingest hook has no rollback: re-ingest the sources as they were at the mark
        snapshot = Path(str(token))
        for source in sources:
            shutil.rmtree(source.path)
            shutil.copytree(snapshot / source.name, source.path)
        return self.ingest("rollback", sources)

    def ask(self, question: str, user: str | None) -> Answer:
        return self.target.ask(question, user)

    def history(self) -> IngestHistory | None:
        return None

    def invalid_served(self) -> int | None:
        return None

    def close(self) -> None:
        # the drill fed the team's pipeline copies: give it its declared sources back
        try:
            if self.touched:
                self.hook(list(self.originals))
        finally:
            for scratch in ("sources", "last-good"):
                shutil.rmtree(self.folder / scratch, ignore_errors=True)


def hook_counts(result: object) -> dict[str, int | None]:
    """The counts an ingest hook returned (a mapping or an object); None where it gave none."""
    counts: dict[str, int | None] = {}
    for name in HOOK_COUNTS:
        value = result.get(name) if isinstance(result, Mapping) else getattr(result, name, None)
        if isinstance(value, list | tuple):
            value = len(value)
        counts[name] = value if isinstance(value, int) and not isinstance(value, bool) else None
    return counts
