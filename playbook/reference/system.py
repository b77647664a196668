"""The reference RAG system: one class whose hardening switches make it a prototype or a
production service, so each gap between the two can be measured and switched."""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
import traceback
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from playbook.faults import FaultPlan, altered_output
from playbook.reference.answering import (
    NOT_AUTHORISED_TEXT,
    REFUSAL_TEXT,
    cited_sources,
    extract_answer,
    fallback_answer,
    output_problem,
    relevance,
)
from playbook.reference.faults import failure_mode, strike
from playbook.reference.ingest import IngestReport, run_ingest
from playbook.reference.injection import defended
from playbook.reference.llm import chat
from playbook.reference.redaction import Redactor
from playbook.reference.resilience import (
    ConcurrentCircuitBreaker,
    RetryBudget,
    call_with_budget,
    call_with_retries,
)
from playbook.reference.settings import ReferenceSettings
from playbook.reference.store import Lineage, Passage, Retrieval, Store, VersionInfo, utc_now
from playbook.reference.telemetry import Telemetry, mark_error, trace_id_of
from playbook.reference.terms import term_set
from playbook.sources import DataSource
from playbook.sources.parsed_files import CACHE_FILE, ParsedFileCache
from playbook.targets.base import Answer
from playbook.users import EVERYONE

T = TypeVar("T")
CACHE_SIZE = 1_024
HISTORY_SIZE = 1_000
STORE_FILE = "reference.sqlite3"
MODEL_EXTRACTIVE = "extractive"
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class HistoryEntry:
    """One question someone asked and what they were told."""

    user: str | None
    question: str
    answer: str
    status: str
    sources: tuple[str, ...]
    time: str


@dataclass(frozen=True)
class FaultEvent:
    """A fault that struck: which request, stage, attempt and kind."""

    request: int
    stage: str
    attempt: int
    kind: str


class ReferenceSystem:
    """A small real RAG service over local sources; `ask` never raises."""

    def __init__(self, settings: ReferenceSettings) -> None:
        if settings.workdir is None:
            raise ValueError("the reference system needs a workdir for its store")
        self.settings = settings
        hardening = settings.hardening
        users = settings.users
        self.hardening = hardening
        self.workdir = settings.workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.sources = settings.sources
        self.users = users
        self.budgets = settings.budgets
        self.retry_policy = settings.retry_policy
        self.breaker_settings = settings.breaker
        self.llm = settings.llm
        self.top_k = settings.top_k
        self.store = Store(self.workdir / STORE_FILE, ranks=hardening.index)
        self.parsed_files = ParsedFileCache(settings.parse_cache or self.workdir / CACHE_FILE)
        self.telemetry = Telemetry(hardening.telemetry, settings.log_path)
        self._faults = settings.faults or FaultPlan()
        self._lock = threading.Lock()
        self._ingest_lock = threading.Lock()
        self._requests = 0
        self._upstream: Counter[str] = Counter()
        self.fault_events: list[FaultEvent] = []
        self._cache: OrderedDict[tuple[str, tuple[str, ...]], Answer] = OrderedDict()
        self._histories: dict[str | None, list[HistoryEntry]] = {}
        self._shared_history: list[HistoryEntry] = []
        self._retry_budgets = {
            stage: RetryBudget.of(self.retry_policy) for stage in ("retrieval", "generation")
        }
        self._breaker = (
            ConcurrentCircuitBreaker(
                fail_max=self.breaker_settings.fail_max,
                reset_timeout=self.breaker_settings.reset_timeout,
                name="generation",
            )
            if hardening.circuit_breaker
            else None
        )
        self._executor: ThreadPoolExecutor | None = None
        self._http: Any = None
        self._redactor = (
            Redactor(user.name for user in users.users if user.name)
            if hardening.log_redaction
            else None
        )

    # ---- data ----------------------------------------------------------------------------------

    def ingest(
        self, sources: Sequence[DataSource] | None = None, partial: bool = False
    ) -> IngestReport:
        """Read the sources (default: the system's own) and serve them as a new version.

        A full ingest deletes the documents of those sources that it no longer finds; a
        `partial` one (a delta drop such as corpus_v2/) leaves them as they are.
        """
        with self._ingest_lock:
            report = run_ingest(
                self.store,
                tuple(sources) if sources is not None else self.sources,
                self.users.known_groups,
                validate=self.hardening.ingest_validation,
                keep_last_good=self.hardening.serve_last_good,
                partial=partial,
                parsed=self.parsed_files,
            )
            self.parsed_files.flush()
        self._clear_cache()
        self.telemetry.log(
            "info",
            "ingest",
            version=report.version,
            read=report.read,
            added=report.added,
            changed=report.changed,
            deleted=report.deleted,
            unchanged=report.unchanged,
            quarantined=len(report.quarantined),
            errors=len(report.errors),
            seconds=round(report.seconds, 4),
        )
        return report

    def rollback(self, version: int) -> None:
        """Serve the documents of ingest `version` again (recorded as a new rollback version)."""
        with self._ingest_lock:
            counts = self.store.rollback(version)
        self._clear_cache()
        self.telemetry.log("warning", "rollback", to_version=version, version=counts.version)

    @property
    def served_version(self) -> int | None:
        """The store's current version (a rollback is a version of its own)."""
        return self.store.served_version()

    def versions(self) -> list[VersionInfo]:
        """Every ingest and rollback, oldest first."""
        return self.store.versions()

    def lineage(self, doc_id: str) -> Lineage | None:
        """Source, file and ingest version of a served document."""
        return self.store.lineage(doc_id)

    # ---- faults and observability ----------------------------------------------------------

    def set_faults(self, plan: FaultPlan | None) -> None:
        """Put a fault plan in force and restart request numbering, so its schedule replays."""
        with self._lock:
            self._faults = plan or FaultPlan()
            self._requests = 0
            self.fault_events = []

    def reset(self) -> None:
        """A fresh start for an experiment: empty cache, closed breaker, full retry budgets."""
        self._clear_cache()
        if self._breaker is not None:
            self._breaker.close()
        for budget in self._retry_budgets.values():
            if budget is not None:
                budget.refill()

    @property
    def faults(self) -> FaultPlan:
        """The fault plan in force."""
        return self._faults

    @property
    def upstream_calls(self) -> Mapping[str, int]:
        """Calls made to each stage's upstream so far, retries included."""
        with self._lock:
            return {stage: self._upstream[stage] for stage in ("retrieval", "generation")}

    @property
    def breaker_state(self) -> str:
        """`closed`, `open` or `half-open`; `disabled` without the circuit_breaker switch."""
        return self._breaker.current_state if self._breaker else "disabled"

    @property
    def logs(self) -> list[dict[str, Any] | str]:
        """Log entries: dicts with telemetry on, print-style strings with it off."""
        return self.telemetry.logs

    def spans(self) -> list[Any]:
        """Finished OpenTelemetry spans (none with telemetry off)."""
        return self.telemetry.spans()

    def metrics_text(self) -> str:
        """Prometheus text of the system's private registry ('' with telemetry off)."""
        return self.telemetry.metrics_text()

    def set_user_groups(self, user_id: str, groups: Sequence[str]) -> None:
        """Give `user_id` exactly `groups` from the next question on, as an identity provider's
        change would (the cache is keyed by groups, so no earlier answer is served)."""
        with self._lock:
            self.users = replace(
                self.users,
                users=tuple(
                    replace(user, groups=tuple(groups)) if user.id == user_id else user
                    for user in self.users.users
                ),
            )

    def authenticate(self, token: str) -> str | None:
        """The id of the user holding `token`, or None."""
        user = self.users.by_token(token)
        return user.id if user else None

    def history(self, user: str | None) -> list[HistoryEntry]:
        """What `user` asked; with `user_history` off, everything anyone asked."""
        with self._lock:
            if self.hardening.user_history:
                return list(self._histories.get(user, []))
            return list(self._shared_history)

    # ---- answering -------------------------------------------------------------------------

    def ask(self, question: str, user: str | None = None) -> Answer:
        """Answer `question` for `user`; failures become answers, never exceptions."""
        started = time.perf_counter()
        with self._lock:
            request = self._requests
            self._requests += 1
            plan = self._faults
        question = question if isinstance(question, str) else str(question or "")
        try:
            with self.telemetry.span(
                "invoke_agent reference-assistant",
                {
                    "gen_ai.operation.name": "invoke_agent",
                    "gen_ai.agent.name": "reference-assistant",
                    "gen_ai.request.model": self._model_name(),
                    "enduser.id": user or "",
                },
            ) as root:
                answer, cached = self._answer(question, user, request, plan, started)
                answer = replace(answer, trace_id=trace_id_of(root))
                if root is not None:
                    root.set_attribute("playbook.answer.status", answer.status)
                    root.set_attribute("playbook.cache.hit", cached)
                    if answer.error:
                        mark_error(root, answer.error.split(":", 1)[0])
        except Exception as exc:  # the last line of defence of "never raises"
            answer, cached = self._raw_failure(exc, {}, started), False
        answer = self._scrubbed(answer)
        with contextlib.suppress(Exception):  # a broken log file must not take answers down
            self._record(question, user, answer, cached)
        return answer

    def _answer(
        self, question: str, user: str | None, request: int, plan: FaultPlan, started: float
    ) -> tuple[Answer, bool]:
        person = self.users.get(user)
        if self.hardening.authentication and person is None:
            return (
                Answer(
                    NOT_AUTHORISED_TEXT,
                    status="refused",
                    timings={"total": time.perf_counter() - started},
                    error="not authorised",
                ),
                False,
            )
        groups = person.access_groups if person else frozenset({EVERYONE})
        allowed = groups if self.hardening.access_filter else None
        key = (_SPACES.sub(" ", question.lower()).strip(" ?!.\t"), tuple(sorted(groups)))
        if self.hardening.cache:
            with self._lock:
                hit = self._cache.get(key)
                if hit is not None:
                    self._cache.move_to_end(key)
            if hit is not None:
                self.telemetry.count_cache_hit()
                return replace(hit, timings={"total": time.perf_counter() - started}), True
        answer = self._pipeline(question, allowed, request, plan, started)
        if self.hardening.cache and answer.status in ("ok", "refused"):
            with self._lock:
                self._cache[key] = answer
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
        return answer, False

    def _pipeline(
        self,
        question: str,
        allowed: frozenset[str] | None,
        request: int,
        plan: FaultPlan,
        started: float,
    ) -> Answer:
        timings: dict[str, float] = {}

        def finish(text: str, sources: tuple[str, ...], status: str, error: str | None) -> Answer:
            timings["total"] = time.perf_counter() - started
            return Answer(text, sources, status, dict(timings), None, error)  # type: ignore[arg-type]

        try:
            retrieval: Retrieval = self._stage(
                "retrieval",
                lambda attempt, cancel: self._retrieve(
                    question, allowed, request, plan, attempt, cancel
                ),
                timings,
            )
        except Exception as exc:
            return self._stage_failure(exc, question, (), timings, started)
        if not retrieval.passages:
            self.telemetry.count_empty_retrieval()
        judged = relevance(question, retrieval)
        if not judged.answerable:
            return finish(REFUSAL_TEXT, (), "refused", None)
        passages = retrieval.passages
        if self.hardening.injection_defence:
            passages = defended(passages)
            if not passages:
                return finish(REFUSAL_TEXT, (), "refused", None)
        weights = {term: retrieval.idf(term) for term in term_set(question)}

        def generate() -> object:
            return self._stage(
                "generation",
                lambda attempt, cancel: self._generate(
                    question, passages, weights, request, plan, attempt, cancel
                ),
                timings,
            )

        try:
            text = self._breaker.call(generate) if self._breaker else generate()
        except Exception as exc:
            return self._stage_failure(exc, question, passages, timings, started)
        if self.hardening.output_validation:
            problem = output_problem(text, passages)
            if problem:
                fallback, sources = fallback_answer(question, passages)
                return finish(fallback, sources, "degraded", f"OutputRejected: {problem}")
        shown = text if isinstance(text, str) else repr(text)
        return finish(shown, cited_sources(shown, passages), "ok", None)

    def _stage(
        self, stage: str, work: Callable[[int, threading.Event], T], timings: dict[str, float]
    ) -> T:
        """One stage: counted upstream calls, then the time budget, the retries and a span."""
        started = time.perf_counter()
        attributes = {
            "gen_ai.operation.name": "retrieval" if stage == "retrieval" else "chat",
            "gen_ai.request.model": self._model_name()
            if stage == "generation"
            else "sqlite-fts5"
            if self.hardening.index
            else "python-scan",
        }
        if stage == "generation":
            attributes["gen_ai.provider.name"] = "openai" if self.llm else "playbook"
        name = "retrieval reference-store" if stage == "retrieval" else f"chat {self._model_name()}"

        def attempt(number: int) -> T:
            with self._lock:
                self._upstream[stage] += 1
            self.telemetry.count_upstream(stage)
            if self.hardening.timeouts:
                return call_with_budget(
                    self._pool(), lambda cancel: work(number, cancel), self.budgets.of(stage), stage
                )
            return work(number, threading.Event())

        try:
            with self.telemetry.span(name, attributes) as span:
                if self.hardening.retries:
                    result = call_with_retries(
                        attempt, self.retry_policy, budget=self._retry_budgets[stage]
                    )
                else:
                    result = attempt(0)
                if span is not None and isinstance(result, Retrieval):
                    span.set_attribute(
                        "gen_ai.retrieval.documents", [p.doc_id for p in result.passages]
                    )
                    span.set_attribute("gen_ai.data_source.id", "reference-store")
                return result
        finally:
            elapsed = time.perf_counter() - started
            timings[stage] = elapsed
            self.telemetry.observe(stage, elapsed)

    def _retrieve(
        self,
        question: str,
        allowed: frozenset[str] | None,
        request: int,
        plan: FaultPlan,
        attempt: int,
        cancel: threading.Event,
    ) -> Retrieval:
        fault = plan.fault_for("retrieval", request, attempt)
        if fault is not None:
            self._note_fault(request, "retrieval", attempt, fault.kind)
            strike(fault, cancel, request)
            if fault.kind == "empty_retrieval":
                return Retrieval((), {}, 0)
        if self.hardening.index:
            return self.store.search(question, allowed, self.top_k)
        return self.store.scan(question, allowed, self.top_k)

    def _generate(
        self,
        question: str,
        passages: Sequence[Passage],
        weights: Mapping[str, float],
        request: int,
        plan: FaultPlan,
        attempt: int,
        cancel: threading.Event,
    ) -> object:
        fault = plan.fault_for("generation", request, attempt)
        if fault is not None:
            self._note_fault(request, "generation", attempt, fault.kind)
            strike(fault, cancel, request)
            if fault.kind in ("malformed", "nonsense"):
                return altered_output(fault, request)
        if self.llm is not None:
            return chat(self.llm, self._client(), question, passages)
        return extract_answer(question, passages, weights)

    def _stage_failure(
        self,
        exc: Exception,
        question: str,
        passages: Sequence[Passage],
        timings: dict[str, float],
        started: float,
    ) -> Answer:
        """A failed stage: a labelled fallback when failures are isolated, else the raw error."""
        if not self.hardening.circuit_breaker:
            return self._raw_failure(exc, timings, started)
        text, sources = fallback_answer(question, passages)
        timings["total"] = time.perf_counter() - started
        return Answer(
            text, sources, "degraded", dict(timings), None, f"{type(exc).__name__}: {exc}"
        )

    @staticmethod
    def _raw_failure(exc: Exception, timings: dict[str, float], started: float) -> Answer:
        """What a demo shows when something breaks: the traceback, as the answer."""
        timings["total"] = time.perf_counter() - started
        text = "".join(traceback.format_exception(exc)).strip()
        return Answer(text, (), "error", dict(timings), None, f"{type(exc).__name__}: {exc}")

    # ---- bookkeeping ------------------------------------------------------------------------

    def _record(self, question: str, user: str | None, answer: Answer, cached: bool) -> None:
        self.telemetry.count_request(answer.status)
        if answer.error and answer.error != "not authorised":
            self.telemetry.count_error(failure_mode(answer.error))
        if answer.error != "not authorised":
            entry = HistoryEntry(
                user,
                _storable(question),
                _storable(answer.text),
                answer.status,
                answer.sources,
                utc_now(),
            )
            with self._lock:
                if self.hardening.user_history:
                    own = self._histories.setdefault(user, [])
                    own.append(entry)
                    del own[:-HISTORY_SIZE]
                else:
                    self._shared_history.append(entry)
                    del self._shared_history[:-HISTORY_SIZE]
        query = self._redactor.redact(question) if self._redactor else question
        level = "error" if answer.status == "error" else "info"
        self.telemetry.log(
            level,
            "answer",
            trace_id=answer.trace_id,
            user=user,
            query=query,
            status=answer.status,
            **{"error.type": answer.error.split(":", 1)[0] if answer.error else None},
            sources=list(answer.sources),
            cached=cached,
            timings={stage: round(seconds, 6) for stage, seconds in answer.timings.items()},
        )

    def _note_fault(self, request: int, stage: str, attempt: int, kind: str) -> None:
        with self._lock:
            self.fault_events.append(FaultEvent(request, stage, attempt, kind))

    def _clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    def _secrets(self) -> list[str]:
        if self.llm is None or not self.llm.api_key_env:
            return []
        value = os.environ.get(self.llm.api_key_env)
        return [value] if value else []

    def _scrubbed(self, answer: Answer) -> Answer:
        """The answer with any API key value cut out of its text and error."""
        secrets = self._secrets()
        if not secrets:
            return answer
        text, error = answer.text, answer.error
        for secret in secrets:
            text = text.replace(secret, "[REDACTED]")
            error = error.replace(secret, "[REDACTED]") if error else error
        return replace(answer, text=text, error=error)

    def _model_name(self) -> str:
        return self.llm.model if self.llm else MODEL_EXTRACTIVE

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=16, thread_name_prefix="stage")
            return self._executor

    def _client(self) -> Any:
        with self._lock:
            if self._http is None:
                import httpx

                self._http = httpx.Client()
            return self._http

    def close(self) -> None:
        """Stop workers, close the HTTP client, the store and the tracer provider."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        if self._http is not None:
            self._http.close()
        self.store.close()
        self.parsed_files.close()
        self.telemetry.close()

    def __enter__(self) -> ReferenceSystem:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _storable(text: str) -> str:
    """Text that round-trips through JSON: a lone surrogate (not Unicode) becomes '?', so one
    odd question can never make a user's history unreadable."""
    return text.encode("utf-8", errors="replace").decode("utf-8")
