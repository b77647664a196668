"""Hardening switches: the named differences between the prototype and the production profile."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace

from playbook.errors import PlaybookError

PROFILES = ("prototype", "production")

SWITCH_HELP: dict[str, str] = {
    "ingest_validation": "validates every document (ids, titles, bodies, dates, groups) and "
    "quarantines failures instead of indexing whatever it reads",
    "serve_last_good": "keeps serving a document's last valid version when its new version fails "
    "validation or its file cannot be read, instead of dropping it",
    "index": "retrieves with a BM25 index (SQLite FTS5; scores precomputed with bm25s from 20k "
    "passages) instead of scanning every document on each query, so query cost stops growing "
    "with the corpus",
    "cache": "answers a repeated question from a cache keyed by the question and the user's "
    "access groups, without calling retrieval or generation again",
    "timeouts": "gives each stage a time budget and stops waiting when it is spent, so a hung "
    "upstream cannot hold the user",
    "retries": "retries rate limits and server errors a bounded number of times with jittered "
    "backoff, honouring Retry-After",
    "circuit_breaker": "stops calling a failing generation stage for a while and answers with a "
    "labelled fallback instead",
    "output_validation": "rejects generated text that cites no retrieved document or does not "
    "match the retrieved text, and falls back to a labelled passage",
    "authentication": "refuses callers that are not known users instead of serving anyone",
    "access_filter": "restricts retrieval to the documents of the user's groups, inside the SQL "
    "query before the top-k limit",
    "user_history": "keeps each user's question history private instead of one shared list",
    "log_redaction": "replaces personal data (emails, phone numbers, card numbers, names of known "
    "users) in logged queries",
    "injection_defence": "treats retrieved text as content, never instructions: drops invisible "
    "characters and sentences addressed to the assistant from passages before generation",
    "telemetry": "emits OpenTelemetry spans, Prometheus metrics and structured JSON logs with "
    "trace ids instead of print-style lines",
}


@dataclass(frozen=True)
class Hardening:
    """One bool per hardening switch; `preset` gives a profile, `with_switches` varies it."""

    ingest_validation: bool = False
    serve_last_good: bool = False
    index: bool = False
    cache: bool = False
    timeouts: bool = False
    retries: bool = False
    circuit_breaker: bool = False
    output_validation: bool = False
    authentication: bool = False
    access_filter: bool = False
    user_history: bool = False
    log_redaction: bool = False
    injection_defence: bool = False
    telemetry: bool = False

    @classmethod
    def preset(cls, profile: str) -> Hardening:
        """Every switch off for `prototype`, every switch on for `production`."""
        if profile not in PROFILES:
            raise PlaybookError(
                f"unknown reference profile {profile!r}: expected one of {PROFILES}"
            )
        on = profile == "production"
        return cls(**{name: on for name in SWITCHES})

    def with_switches(self, switches: Mapping[str, bool] | None) -> Hardening:
        """A copy with the named switches set; an unknown name or a non-bool is a PlaybookError."""
        switches = dict(switches or {})
        if (problem := unknown_switches(switches)) is not None:
            raise PlaybookError(f"target.switches: {problem}")
        wrong = sorted(name for name, value in switches.items() if not isinstance(value, bool))
        if wrong:
            raise PlaybookError(
                f"target.switches: {', '.join(map(repr, wrong))} must be true or false"
            )
        return replace(self, **switches)

    def as_dict(self) -> dict[str, bool]:
        """The switches by name, in declaration order."""
        return asdict(self)

    @property
    def profile(self) -> str:
        """`prototype` or `production` when the switches match a preset, else `custom`."""
        for name in PROFILES:
            if self == Hardening.preset(name):
                return name
        return "custom"


SWITCHES: tuple[str, ...] = tuple(field.name for field in fields(Hardening))


def unknown_switches(names: Iterable[str]) -> str | None:
    """What is wrong with switch `names` that are not hardening switches (None: nothing)."""
    unknown = sorted(set(names) - set(SWITCHES))
    if not unknown:
        return None
    return (
        f"unknown hardening switch {', '.join(map(repr, unknown))}: expected some of "
        f"{', '.join(SWITCHES)}"
    )
