"""Metrics: what the target's Prometheus endpoint exposes, and what it said during a short load.

Names differ between teams, so the series are found by what they are (a counter of requests by
status, a latency histogram, counters of errors, empty retrievals and cache hits) rather than by
an agreed name; the table says which series stood for what.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd
from prometheus_client.parser import text_string_to_metric_families

Series = dict[tuple[str, tuple[tuple[str, str], ...]], float]  # (sample name, labels) -> value
ERROR_VALUES = ("error", "failed", "failure", "5xx", "timeout")
STATUS_LABELS = ("status", "code", "outcome", "result")


@dataclass(frozen=True)
class Exposed:
    """The series a target exposes, sorted by what they measure (None: not found)."""

    requests: str | None = None  # a counter of answered requests (sample name)
    status_label: str | None = None  # its label that says how each ended
    errors: str | None = None  # a counter of errors (by type where labelled)
    latency: str | None = None  # a latency histogram's family name
    empty_retrievals: str | None = None
    cache_hits: str | None = None
    families: tuple[str, ...] = ()

    @property
    def found(self) -> dict[str, str | None]:
        return {
            "requests": self.requests,
            "errors by type": self.errors or (self.requests if self.status_label else None),
            "latency": self.latency,
            "empty retrievals": self.empty_retrievals,
            "cache hits": self.cache_hits,
        }


def parse(text: str) -> tuple[Series, list]:
    """The samples of an exposition, and its families; ValueError if it is not Prometheus text."""
    families = list(text_string_to_metric_families(text))
    series: Series = {}
    for family in families:
        for sample in family.samples:
            series[(sample.name, tuple(sorted(sample.labels.items())))] = float(sample.value)
    return series, families


def discover(text: str) -> Exposed:
    """Which series stand for requests, errors, latency, empty retrievals and cache hits."""
    _, families = parse(text)
    requests = status = errors = latency = empty = cache = None
    for family in families:
        name = family.name.lower()
        labels = {key for sample in family.samples for key in sample.labels}
        sample_name = next((s.name for s in family.samples if s.name.endswith("_total")), None)
        if sample_name is None and family.type == "counter":
            sample_name = f"{family.name}_total"  # a labelled counter with no sample yet
        sample_name = sample_name or (family.samples[0].name if family.samples else family.name)
        if family.type == "histogram" and ("second" in name or "latency" in name):
            latency = latency or family.name
        elif family.type == "counter":
            if "empty" in name and "retriev" in name:
                empty = empty or sample_name
            elif "cache" in name and "hit" in name:
                cache = cache or sample_name
            elif "error" in name or "fail" in name:
                errors = errors or sample_name
            elif ("request" in name or "answer" in name) and requests is None:
                requests = sample_name
                status = next((label for label in STATUS_LABELS if label in labels), None)
    return Exposed(requests, status, errors, latency, empty, cache, tuple(f.name for f in families))


def total(series: Series, name: str | None, **labels: str) -> float:
    """The sum of a sample name's values, over the series whose labels include `labels`."""
    if name is None:
        return 0.0
    wanted = set(labels.items())
    return sum(
        value
        for (sample, found), value in series.items()
        if sample == name and wanted <= set(found)
    )


def histogram_quantile(before: Series, after: Series, family: str, q: float) -> float | None:
    """The q-quantile (0..1) of a histogram's observations between two scrapes, from its
    cumulative buckets summed over every other label (as PromQL's histogram_quantile does)."""
    buckets: dict[float, float] = {}
    for (sample, labels), value in after.items():
        if sample != f"{family}_bucket":
            continue
        bound = dict(labels).get("le")
        if bound is None:
            continue
        upper = math.inf if bound in ("+Inf", "inf") else float(bound)
        buckets[upper] = buckets.get(upper, 0.0) + value - before.get((sample, labels), 0.0)
    if not buckets:
        return None
    ordered = sorted(buckets.items())
    count = ordered[-1][1]
    if count <= 0:
        return None
    rank = q * count
    lower, below = 0.0, 0.0
    for upper, cumulative in ordered:
        if cumulative >= rank:
            if math.isinf(upper):
                return lower
            share = (rank - below) / (cumulative - below) if cumulative > below else 1.0
            return lower + (upper - lower) * share
        lower, below = upper, cumulative
    return lower


@dataclass(frozen=True)
class Window:
    """What the metrics say between two scrapes."""

    seconds: float
    requests: float
    errors: float
    errors_by_type: dict[str, float]
    p95_s: float | None
    empty_retrievals: float
    cache_hits: float

    @property
    def request_rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests else None


def window(exposed: Exposed, before: Series, after: Series, seconds: float) -> Window:
    """Requests, errors (by type), latency, empty retrievals and cache hits between scrapes."""

    def delta(name: str | None, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    by_type: dict[str, float] = {}
    if exposed.status_label and not exposed.errors:  # a typed errors counter says it better
        for (sample, labels), value in after.items():
            found = dict(labels)
            status = found.get(exposed.status_label, "")
            if sample == exposed.requests and status.lower() in ERROR_VALUES:
                by_type[status] = by_type.get(status, 0.0) + value - before.get((sample, labels), 0)
    if exposed.errors:
        for (sample, labels), value in after.items():
            if sample == exposed.errors:
                kind = next((v for k, v in labels if k in ("type", "error_type", "kind")), "error")
                by_type[kind] = by_type.get(kind, 0.0) + value - before.get((sample, labels), 0.0)
    p95 = histogram_quantile(before, after, exposed.latency, 0.95) if exposed.latency else None
    return Window(
        seconds=seconds,
        requests=delta(exposed.requests),
        errors=sum(by_type.values()),
        errors_by_type={kind: count for kind, count in by_type.items() if count},
        p95_s=p95,
        empty_retrievals=delta(exposed.empty_retrievals),
        cache_hits=delta(exposed.cache_hits),
    )


@dataclass
class Scrapes:
    """Scrapes taken every `every_s` while something ran (bounded), and the first error."""

    times: list[float] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    exposed: Exposed | None = None
    error: str | None = None

    def windows(self) -> list[Window]:
        if self.exposed is None:
            return []
        return [
            window(
                self.exposed, self.series[n - 1], self.series[n], self.times[n] - self.times[n - 1]
            )
            for n in range(1, len(self.series))
        ]

    def whole(self) -> Window | None:
        if self.exposed is None or len(self.series) < 2:
            return None
        return window(self.exposed, self.series[0], self.series[-1], self.times[-1] - self.times[0])


def scrape_during(
    scrape: Callable[[], str], work: Callable[[], object], every_s: float = 0.5, limit: int = 240
) -> Scrapes:
    """Scrape before `work`, every `every_s` while it runs (at most `limit` times), and after."""
    scrapes = Scrapes()
    origin = time.monotonic()

    def take() -> None:
        try:
            text = scrape()
            series, _ = parse(text)
        except (OSError, ValueError) as exc:
            scrapes.error = scrapes.error or f"{type(exc).__name__}: {exc}"
            return
        if scrapes.exposed is None:
            scrapes.exposed = discover(text)
        scrapes.times.append(time.monotonic() - origin)
        scrapes.series.append(series)

    take()
    done = threading.Event()

    def keep_scraping() -> None:
        while not done.wait(every_s) and len(scrapes.series) < limit:
            take()

    thread = threading.Thread(target=keep_scraping, name="playbook-scrape", daemon=True)
    thread.start()
    try:
        work()
    finally:
        done.set()
        thread.join(every_s * 4)
    take()
    return scrapes


def exposed_table(exposed: Exposed | None) -> pd.DataFrame:
    rows = [
        {"measures": what, "series": name or "-", "found": name is not None}
        for what, name in (exposed.found.items() if exposed else [])
    ]
    return pd.DataFrame(rows, columns=["measures", "series", "found"])


def windows_table(windows: Sequence[Window]) -> pd.DataFrame:
    rows = []
    at = 0.0
    for item in windows:
        at += item.seconds
        rows.append(
            {
                "at_s": round(at, 2),
                "requests/s": round(item.request_rate, 2),
                "error rate": None if item.error_rate is None else round(item.error_rate, 3),
                "p95_ms": None if item.p95_s is None else round(item.p95_s * 1000, 1),
                "empty retrievals": item.empty_retrievals,
                "cache hits": item.cache_hits,
            }
        )
    columns = ["at_s", "requests/s", "error rate", "p95_ms", "empty retrievals", "cache hits"]
    return pd.DataFrame(rows, columns=columns)
