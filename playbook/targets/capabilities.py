"""What a target can do beyond answering: small optional capabilities the checks ask for.

A gap module never asks what kind of target it measures. It asks `capability(target, Kind)`; it
gets an object with the few methods below, or None, and then records `skip` with
`why_missing(target, Kind)`, which says what the engagement must declare for the check to run.
Every adapter offers what it can: the reference system all of them, from the running system; a
team's HTTP service or Python callable what its engagement declares (an ingest hook, a fault proxy
or fault hook, a log file).

- `DataPipeline`: re-ingest the target's data from given folders, mark a state and go back to it,
  in a run that leaves the target serving its declared sources afterwards (notebook 02's drill).
- `IngestHistory`: the versions of the data the target serves, and where each served document
  came from (freshness and lineage).
- `FaultInjection`: put a fault in force at a stage, count the calls the stage's upstream
  receives, and say which requests the fault struck (notebook 03).
- `Logs`: the structured log records the target wrote (failures must be findable by trace id).
- `History`: what a user can read back of the questions asked (query privacy).
- `Contrast`: the same system in its other profile, for a side-by-side view (reference only).
- `AsyncAnswers`: ask without a thread per request (an HTTP service, for the load generator).
- `CorpusScaling`: the same system over a larger corpus (synthetic documents added to its own),
  to measure how latency grows with the corpus (notebook 04).
- `Serving`: the same system behind an HTTP server in a process of its own, so that load is
  measured the way users meet it, not through the interpreter the load generator runs in.
- `Spans`: the trace spans the target emitted (a local tracer provider, the playbook's OTLP
  receiver, or OTLP/JSON files the engagement names).
- `Metrics`: the target's Prometheus exposition, scraped on demand.
- `AuthProbe`: requests without a valid credential to every endpoint the engagement names.
- `AccessAdmin`: set a user's groups (and undo it), to see a revocation take effect.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from playbook.faults import Fault
from playbook.sources import DataSource
from playbook.targets.base import Answer

if TYPE_CHECKING:
    from playbook.targets.base import Target

C = TypeVar("C")


# ---- data --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataVersion:
    """One ingest (or rollback) of a target's data, as its pipeline recorded it."""

    version: int
    kind: str  # "ingest" or "rollback"
    finished_at: str  # ISO 8601, UTC
    origins: tuple[str, ...] = ()  # the data sources it read
    rolled_back_to: int | None = None


@dataclass(frozen=True)
class DocumentLineage:
    """Where a served document came from: source, file, content, and the version that brought it."""

    doc_id: str
    origin: str
    path: str
    content_hash: str
    version: int


@dataclass(frozen=True)
class Quarantined:
    """A document the pipeline refused, as its report named it."""

    path: str
    doc_id: str | None
    check: str
    reason: str
    version: int | None


@dataclass(frozen=True)
class IngestStep:
    """One ingest (or rollback) of a pipeline run: what the pipeline reported.

    Counts are None when the pipeline does not report them (an ingest hook that returns nothing).
    `misclassified` is filled in by the exercise that judges the step, never by the pipeline.
    """

    name: str
    version: int | None
    read: int | None
    added: int | None
    changed: int | None
    deleted: int | None
    unchanged: int | None
    quarantined: int | None
    kept_last_good: int | None = None
    duplicates: int = 0
    errors: tuple[str, ...] = ()  # files that could not be read
    quarantine: tuple[Quarantined, ...] = ()
    changes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    misclassified: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def ingested(self) -> int | None:
        """Documents of this ingest that are served: added, changed or unchanged."""
        parts = (self.added, self.changed, self.unchanged)
        return None if any(part is None for part in parts) else sum(parts)  # type: ignore[misc]

    @property
    def counts_add_up(self) -> bool | None:
        """Whether every read document is accounted for: ingested + quarantined (+ overwritten)."""
        if self.read is None or self.ingested is None or self.quarantined is None:
            return None
        return self.ingested + self.quarantined + self.duplicates == self.read


class IngestHistory(Protocol):
    """The versions of the data a target serves and the lineage of each served document."""

    def sources(self) -> tuple[DataSource, ...]:
        """The data sources the target ingests."""
        ...

    def versions(self) -> list[DataVersion]:
        """Every ingest and rollback, oldest first."""
        ...

    def changes(self, version: int) -> Mapping[str, Sequence[str]]:
        """Document ids per change kind (added, changed, deleted, kept_last_good) of a version."""
        ...

    def document_ids(self) -> list[str]:
        """The ids of the documents served now."""
        ...

    def lineage(self, doc_id: str) -> DocumentLineage | None:
        """Where a served document came from; None when it is not served."""
        ...


class PipelineRun(Protocol):
    """One scripted exercise on a pipeline; `close` leaves the target as it was before."""

    folder: Path  # scratch space of the run, removed by `close`
    synchronous: bool  # an ingest is served once it returns (no index refresh to wait for)
    probe_user: str | None  # who may read the probe documents the exercise writes

    def ingest(self, name: str, sources: Sequence[DataSource]) -> IngestStep:
        """Ingest exactly these sources (a full ingest: what they no longer hold is deleted)."""
        ...

    def mark(self, sources: Sequence[DataSource]) -> object:
        """Remember the served state, so `restore` can go back to it."""
        ...

    def restore(self, token: object, sources: Sequence[DataSource]) -> IngestStep:
        """Serve the state `mark` remembered again (a rollback, or a re-ingest of a copy)."""
        ...

    def ask(self, question: str, user: str | None) -> Answer:
        """Ask the pipeline's system, as it serves the data of this run."""
        ...

    def history(self) -> IngestHistory | None:
        """The per-document view of this run's data; None for a black box."""
        ...

    def invalid_served(self) -> int | None:
        """Served documents that fail the ingest contract; None when that is not visible."""
        ...

    def close(self) -> None:
        """End the run: release it and remove its scratch copies."""
        ...


class DataPipeline(Protocol):
    """Re-ingest the target's data from folders the playbook gives, to exercise its pipeline."""

    label: str  # how tables and charts name this pipeline

    def sources(self) -> tuple[DataSource, ...]:
        """The data sources it ingests, with absolute paths."""
        ...

    def start(self, folder: Path) -> PipelineRun:
        """A run with `folder` as scratch space (created; emptied first)."""
        ...


# ---- faults ------------------------------------------------------------------------------------


class FaultInjection(Protocol):
    """Puts faults in force on a target's upstream hops and counts the calls they receive."""

    route: str  # how faults reach the target, for the reader
    isolated: bool  # cells can be reset apart, so slow cells may run their questions in parallel

    def supports(self, kind: str, stage: str) -> bool:
        """Whether this route can inject `kind` at `stage`."""
        ...

    def apply(self, fault: Fault | None) -> None:
        """Put `fault` in force (None: no fault), restarting its schedule."""
        ...

    def reset(self) -> None:
        """A fresh start for the next experiment, where the target allows one."""
        ...

    def calls(self, stage: str) -> int:
        """Calls made to `stage`'s upstream so far, retries included."""
        ...

    def mark(self) -> int:
        """A position in the record of strikes, for `first_call_struck`."""
        ...

    def first_call_struck(self, mark: int, stage: str) -> bool:
        """Whether the first call at `stage` after `mark` met the fault."""
        ...

    def breaker_state(self) -> str | None:
        """The breaker's state when the target exposes it, else None (inferred from calls)."""
        ...

    def breaker_reset_s(self) -> float | None:
        """How long the breaker stays open, when the target says."""
        ...


# ---- what the target records -------------------------------------------------------------------


class Logs(Protocol):
    """The structured (JSON) log records the target wrote."""

    source: str  # where they are read from, for the reader

    def entries(self) -> list[dict[str, Any]]:
        """The records, oldest first; lines that are not JSON objects are left out."""
        ...

    def lines(self) -> list[str]:
        """Every line as written, JSON or not (what a reader of the log storage sees)."""
        ...


@dataclass(frozen=True)
class HistoryItem:
    """One question someone asked and what they were told, as a history shows it."""

    user: str | None
    question: str
    answer: str
    status: str
    sources: tuple[str, ...]
    time: str


class History(Protocol):
    """What a user can read back of the questions asked."""

    def history(self, user: str | None) -> list[HistoryItem]:
        """The entries `user` is shown (their own, or more when queries are not private)."""
        ...


@dataclass(frozen=True)
class AuthAttempt:
    """One request made with a missing, wrong or malformed credential, and what came back."""

    endpoint: str  # "POST http://host/v1/ask"
    credential: str  # "none", "wrong" or "malformed"
    status: int | None  # the HTTP status; None when the request failed
    body: str  # the reply's text (clipped), to look for data in
    error: str = ""  # why there was no reply


class AuthProbe(Protocol):
    """Requests to every endpoint the engagement names, without a valid credential."""

    def endpoints(self) -> list[str]:
        """The endpoints it probes, as `METHOD url`."""
        ...

    def attempt(self, endpoint: str, credential: str) -> AuthAttempt:
        """One request to `endpoint` with `credential`: `none`, `wrong` or `malformed`."""
        ...


class AccessAdmin(Protocol):
    """Changes to who may read what, to see that a revocation takes effect at once."""

    def set_groups(self, user: str, groups: frozenset[str]) -> None:
        """Give `user` exactly `groups` (the everyone-group aside) from the next question on."""
        ...

    def restore(self) -> None:
        """Undo every change made through `set_groups`."""
        ...


class Contrast(Protocol):
    """The same system in its other profile, for a side-by-side view."""

    label: str  # the other profile's target spec

    def open(self, workdir: Path) -> Target:
        """A target for the other profile, working in `workdir`; the caller closes it."""
        ...


class AsyncClient(Protocol):
    """Asking from an asyncio loop; made inside the loop that uses it, closed by it."""

    async def ask(self, question: str, user: str | None = None) -> Answer:
        """As `Target.ask`: never raises; timings carry `first_token` when the answer streams."""
        ...

    async def aclose(self) -> None: ...


class AsyncAnswers(Protocol):
    """A target that can be asked many questions at once from one asyncio loop."""

    def client(self, concurrency: int) -> AsyncClient:
        """A client for at most `concurrency` requests in flight; call inside the running loop."""
        ...


class CorpusScaling(Protocol):
    """The same system over its own documents plus synthetic ones, in either profile."""

    profiles: tuple[str, ...]  # the target specs it can build, the target's own first

    def open(self, documents: int, spec: str, workdir: Path) -> Target:
        """A target over about `documents` documents in all; the caller closes it."""
        ...

    def text_size(self, target: Target) -> int | None:
        """Characters of document text a target `open` made serves (None: unknown)."""
        ...


class Serving(Protocol):
    """An in-process system served over HTTP from its own process."""

    def open(self, workdir: Path) -> Target:
        """A target for the served copy; closing it stops the server."""
        ...


@dataclass(frozen=True)
class SpanRecord:
    """One finished span, whatever emitted it (OTLP protobuf or JSON, or the SDK in process)."""

    trace_id: str  # 32 hex digits
    span_id: str  # 16 hex digits
    parent_id: str | None
    name: str
    start_ns: int
    end_ns: int
    attributes: Mapping[str, Any] = field(default_factory=dict)
    status: str = "unset"  # "unset", "ok" or "error"
    service: str = ""  # the resource's service.name

    @property
    def seconds(self) -> float:
        return (self.end_ns - self.start_ns) / 1e9


# The stages a RAG answer goes through, each recognised by its GenAI operation name first
# (https://opentelemetry.io/docs/specs/semconv/gen-ai/), by its span name otherwise.
STAGE_OPERATIONS: dict[str, tuple[str, ...]] = {
    "retrieval": ("retrieval", "embeddings"),
    "generation": ("chat", "text_completion", "generate_content"),
}
STAGE_NAMES: dict[str, tuple[str, ...]] = {
    "retrieval": ("retriev", "search", "vector", "rerank"),
    "generation": ("chat", "generat", "completion", "llm", "model"),
}


def stage_of(span: SpanRecord) -> str | None:
    """The RAG stage a span stands for, if any."""
    operation = str(span.attributes.get("gen_ai.operation.name", "")).lower()
    for stage, operations in STAGE_OPERATIONS.items():
        if operation in operations:
            return stage
    name = span.name.lower()
    for stage, fragments in STAGE_NAMES.items():
        if any(fragment in name for fragment in fragments):
            return stage
    return None


class Spans(Protocol):
    """The spans a target has emitted since it started (or since `clear`)."""

    def spans(self) -> list[SpanRecord]: ...

    def clear(self) -> None: ...


class Metrics(Protocol):
    """The target's metrics in the Prometheus text exposition format."""

    def scrape(self) -> str:
        """The exposition now (raises OSError when the endpoint cannot be read)."""
        ...


# ---- asking a target for one -------------------------------------------------------------------

# What an engagement must declare before a team's own system offers each capability.
HOW_TO_OFFER: dict[str, str] = {
    "DataPipeline": "engagement.yaml gives no target.ingest_hook (python:module:callable that "
    "re-ingests the sources it is given)",
    "IngestHistory": "the target's ingest versions and document lineage are not visible from "
    "outside",
    "FaultInjection": "no fault route: for an HTTP service set target.fault_proxy (port, "
    "upstream) and point its model base URL at http://127.0.0.1:<port>; for a Python callable "
    "set target.fault_hook (python:module:callable)",
    "Logs": "no log to read: name the target's JSON-lines log file in engagement.yaml "
    "(field 'target.logs')",
    "History": "the target offers no history the playbook can read",
    "Contrast": "only the reference system has another profile to compare with",
    "AsyncAnswers": "the target is asked from a pool of threads (no asynchronous client)",
    "Spans": "no traces to read: point the service's OTEL_EXPORTER_OTLP_ENDPOINT at the "
    "playbook's receiver (engagement field 'target.otlp_port'), or name OTLP/JSON trace files "
    "in 'target.traces'",
    "AuthProbe": "no endpoint to probe without credentials: an HTTP target is probed on "
    "target.spec (and target.http.history, target.http.protected); a Python callable has no "
    "credentials (serve it over HTTP to test them)",
    "AccessAdmin": "the playbook cannot change the target's group memberships: name a function "
    "that sets a user's groups in engagement.yaml (field 'target.access_hook', "
    "python:module:function called with user and groups)",
    "Metrics": "no metrics endpoint: name the service's Prometheus URL in engagement.yaml "
    "(field 'target.metrics_url')",
    "Serving": "the target is measured as it is given (a service, or a callable in process)",
    "CorpusScaling": "the playbook cannot give a team's own system a larger corpus: measure it "
    "on a copy loaded with production-size data, or state the size in the latency-budget "
    "decision's production_documents",
}


def capability(target: object, kind: type[C]) -> C | None:
    """The capability `kind` of `target`, or None when it does not offer it."""
    offer = getattr(target, "capability", None)
    return offer(kind) if callable(offer) else None


def why_missing(target: object, kind: type[Any]) -> str:
    """What the engagement must declare for `target` to offer `kind` (why it does not now)."""
    explain = getattr(target, "missing_capability", None)
    reason = explain(kind) if callable(explain) else None
    spec = getattr(target, "spec", "the target")
    return reason or f"{spec}: {HOW_TO_OFFER.get(kind.__name__, f'no {kind.__name__}')}"
