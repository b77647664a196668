"""Spans, metrics and logs of the reference system: structured and traced, or print-style."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Span, Status, StatusCode
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

SERVICE = "reference-assistant"
SERVICE_NAME = "playbook-reference"  # the resource's service.name, as exported spans carry it
OTLP_ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
LATENCY_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
MAX_LOG_ENTRIES = 10_000  # the in-memory tail; the file, when given, keeps everything


class Telemetry:
    """Per-system observability: a local tracer provider, a private metrics registry, logs.

    With `structured` off there are no spans and no metrics, and log entries are plain lines
    without trace ids: what a prototype prints. With it on, spans are also exported over OTLP/HTTP
    when the environment names an endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT` or
    `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, read as the SDK's exporter reads them), in batches,
    flushed when the system closes.
    """

    def __init__(self, structured: bool, log_path: Path | None = None) -> None:
        self.structured = structured
        self.log_path = Path(log_path) if log_path else None
        self.logs: list[dict[str, Any] | str] = []
        self._lock = threading.Lock()
        self._exporter = InMemorySpanExporter()
        self._provider: TracerProvider | None = None
        self.registry = CollectorRegistry()
        if structured:
            # a local provider: the global one can be set once per process (a notebook kernel)
            self._provider = TracerProvider(
                resource=Resource.create({"service.name": SERVICE_NAME})
            )
            self._provider.add_span_processor(SimpleSpanProcessor(self._exporter))
            if any(os.environ.get(name, "").strip() for name in OTLP_ENDPOINT_VARIABLES):
                self._provider.add_span_processor(_otlp_processor())
            self.tracer = self._provider.get_tracer("playbook.reference")
            self.requests = Counter(
                "reference_requests", "Answers by status", ["status"], registry=self.registry
            )
            self.stage_seconds = Histogram(
                "reference_stage_seconds",
                "Seconds per stage of a request",
                ["stage"],
                buckets=LATENCY_BUCKETS,
                registry=self.registry,
            )
            self.upstream = Counter(
                "reference_upstream_calls",
                "Calls made to each stage's upstream, retries included",
                ["stage"],
                registry=self.registry,
            )
            self.cache_hits = Counter(
                "reference_cache_hits", "Answers served from the cache", registry=self.registry
            )
            self.errors = Counter(
                "reference_errors",
                "Failed or degraded answers by failure mode",
                ["type"],
                registry=self.registry,
            )
            self.empty_retrievals = Counter(
                "reference_empty_retrievals",
                "Questions for which retrieval found no passage",
                registry=self.registry,
            )

    @contextmanager
    def span(self, name: str, attributes: Mapping[str, Any] | None = None) -> Iterator[Span | None]:
        """A span when structured, else nothing; records `error.type` if the block raises."""
        if not self.structured:
            yield None
            return
        with self.tracer.start_as_current_span(
            name,
            attributes=dict(attributes or {}),
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                yield span
            except BaseException as exc:
                mark_error(span, type(exc).__name__)
                raise

    def spans(self) -> list[ReadableSpan]:
        """Finished spans, oldest first."""
        return list(self._exporter.get_finished_spans())

    def clear_spans(self) -> None:
        """Forget finished spans (a notebook measuring one phase at a time)."""
        self._exporter.clear()

    def metrics_text(self) -> str:
        """The Prometheus exposition of the private registry ('' with telemetry off)."""
        return generate_latest(self.registry).decode() if self.structured else ""

    def observe(self, stage: str, seconds: float) -> None:
        """Record one stage duration."""
        if self.structured:
            self.stage_seconds.labels(stage=stage).observe(seconds)

    def count_request(self, status: str) -> None:
        """Count one answer by status."""
        if self.structured:
            self.requests.labels(status=status).inc()

    def count_upstream(self, stage: str) -> None:
        """Count one upstream call of a stage."""
        if self.structured:
            self.upstream.labels(stage=stage).inc()

    def count_error(self, failure_mode: str) -> None:
        """Count one failed or degraded answer by its failure mode."""
        if self.structured:
            self.errors.labels(type=failure_mode).inc()

    def count_empty_retrieval(self) -> None:
        """Count one question for which retrieval found nothing."""
        if self.structured:
            self.empty_retrievals.inc()

    def count_cache_hit(self) -> None:
        """Count one answer served from the cache."""
        if self.structured:
            self.cache_hits.inc()

    def log(self, level: str, event: str, **fields: Any) -> None:
        """One log event: a JSON-able dict when structured, else a print-style line."""
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        if self.structured:
            entry: dict[str, Any] | str = {"time": now, "level": level, "event": event, **fields}
            line = json.dumps(entry, ensure_ascii=False, default=str)
        else:
            details = " ".join(
                f"{key}={value!r}" for key, value in fields.items() if key != "trace_id"
            )
            entry = line = f"{now[:19].replace('T', ' ')} {level.upper()} {event} {details}"
        with self._lock:
            self.logs.append(entry)
            del self.logs[:-MAX_LOG_ENTRIES]
            if self.log_path:
                self.log_path.parent.mkdir(parents=True, exist_ok=True)
                with self.log_path.open("a", encoding="utf-8") as stream:
                    stream.write(line + "\n")

    def close(self) -> None:
        """Shut the local tracer provider down (an OTLP exporter sends what it holds first)."""
        if self._provider is not None:
            self._provider.shutdown()


def _otlp_processor() -> BatchSpanProcessor:
    """A batch processor exporting over OTLP/HTTP to the endpoint the environment names."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return BatchSpanProcessor(OTLPSpanExporter())


def mark_error(span: Span | None, error_type: str) -> None:
    """Set `error.type` and the error status on a span (no-op without one)."""
    if span is not None:
        span.set_attribute("error.type", error_type)
        span.set_status(Status(StatusCode.ERROR, error_type))


def trace_id_of(span: Span | None) -> str | None:
    """The 32-hex-digit trace id of a span, or None."""
    if span is None:
        return None
    return format(span.get_span_context().trace_id, "032x")
