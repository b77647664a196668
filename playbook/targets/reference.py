"""The embedded reference system as a Target, with every capability, built from the engagement.

This adapter is the only place where the engagement and the decisions meet the reference system:
`reference_settings` turns them into the system's own `ReferenceSettings` (its sources, users,
switches, and stage budgets taken from the latency-budget decision).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playbook.faults import STAGE_ONLY, Fault, FaultPlan
from playbook.sources import DataSource, location_file
from playbook.sources.parsed_files import run_cache_beside
from playbook.targets.base import Answer, Target
from playbook.targets.capabilities import (
    AccessAdmin,
    Contrast,
    CorpusScaling,
    DataPipeline,
    DataVersion,
    DocumentLineage,
    FaultInjection,
    History,
    HistoryItem,
    IngestHistory,
    IngestStep,
    Logs,
    Metrics,
    PipelineRun,
    Quarantined,
    Serving,
    SpanRecord,
    Spans,
)
from playbook.targets.spec import REFERENCE_PROFILES
from playbook.users import EVERYONE, UserDirectory

if TYPE_CHECKING:
    from playbook.engagement import Engagement
    from playbook.reference.settings import ReferenceSettings
    from playbook.reference.system import ReferenceSystem


def reference_settings(
    engagement: Engagement,
    profile: str,
    workdir: Path | None = None,
    switches: Mapping[str, bool] | None = None,
    **options: Any,
) -> ReferenceSettings:
    """The reference system's settings for `profile` over the engagement's sources and users.

    `switches` (default: the engagement's `target.switches`) override single switches of the
    profile's preset; stage budgets come from the latency-budget decision; `options` set any
    other field of `ReferenceSettings` (a model endpoint, a breaker, a retry policy).
    """
    from playbook.decisions import load_decisions
    from playbook.reference.resilience import StageBudgets
    from playbook.reference.settings import ReferenceSettings
    from playbook.reference.switches import Hardening

    chosen = engagement.target.switches if switches is None else switches
    if "budgets" not in options:
        budget = load_decisions(engagement.decisions_path).decisions.latency_budget
        options["budgets"] = StageBudgets(
            retrieval=budget.retrieval_ms / 1000.0, generation=budget.generation_ms / 1000.0
        )
    if "log_path" not in options and engagement.target.logs:
        options["log_path"] = engagement.resolve(engagement.target.logs)
    users = (
        UserDirectory.load(engagement.resolve(engagement.users))
        if engagement.users
        else UserDirectory()
    )
    return ReferenceSettings(
        workdir=workdir,
        hardening=Hardening.preset(profile).with_switches(chosen),
        sources=tuple(engagement.resolved_sources()),
        users=users,
        **options,
    )


class ReferenceTarget:
    """`reference:prototype` or `reference:production` in-process, offering every capability.

    Nothing is built until first use. The workdir is a temporary folder (removed on close)
    unless the caller passes one, which is kept.
    """

    def __init__(
        self,
        engagement: Engagement,
        profile: str = "prototype",
        workdir: Path | None = None,
        switches: Mapping[str, bool] | None = None,
        **options: Any,
    ) -> None:
        from playbook.errors import PlaybookError

        if profile not in REFERENCE_PROFILES:
            raise PlaybookError(
                f"unknown reference profile {profile!r}: expected one of {REFERENCE_PROFILES}"
            )
        self.spec = f"reference:{profile}"
        self.profile = profile
        self.engagement = engagement
        self.switches = dict(engagement.target.switches if switches is None else switches)
        from playbook.reference.switches import Hardening

        Hardening.preset(profile).with_switches(self.switches)  # a bad name stops here, once
        self._workdir = Path(workdir) if workdir else None
        self._scratch: str | None = None
        self._options = options
        self._settings: ReferenceSettings | None = None
        self._system: ReferenceSystem | None = None
        self._lock = threading.RLock()

    @classmethod
    def from_engagement(
        cls,
        engagement: Engagement,
        profile: str,
        workdir: Path | None = None,
        switches: Mapping[str, bool] | None = None,
        **options: Any,
    ) -> ReferenceTarget:
        """The target for `profile` over the engagement; `switches` None means the engagement's."""
        return cls(engagement, profile, workdir, switches, **options)

    def __repr__(self) -> str:
        return f"ReferenceTarget(spec={self.spec!r}, switches={self.switches})"

    @property
    def settings(self) -> ReferenceSettings:
        """The system's settings, without its folder (built once; a bad users file raises)."""
        with self._lock:
            if self._settings is None:
                self._settings = reference_settings(
                    self.engagement, self.profile, None, self.switches, **self._options
                )
            return self._settings

    def derived_options(self) -> dict[str, Any]:
        """The options of a target made from this one: the same, and its parse cache."""
        cache = self.parse_cache
        return {**self._options, **({"parse_cache": cache} if cache is not None else {})}

    @property
    def parse_cache(self) -> Path | None:
        """Where the files this target reads are kept parsed, shared with the targets made from
        it (the other profile, larger corpora): the run's, so a run parses each file once. None
        for a target in a scratch folder, whose parent is no run's (a shared temporary folder)."""
        explicit = self._options.get("parse_cache")
        if explicit is not None:
            return Path(explicit)
        if self._workdir is None or self._scratch is not None:
            return None
        return run_cache_beside(self._workdir)

    @property
    def system(self) -> ReferenceSystem:
        """The running system, built and ingested on first access (for this adapter and tests)."""
        with self._lock:
            if self._system is None:
                from playbook.reference.system import ReferenceSystem

                if self._workdir is None:
                    self._scratch = tempfile.mkdtemp(prefix="playbook-reference-")
                    self._workdir = Path(self._scratch)
                settings = self.settings.but(workdir=self._workdir)
                if settings.parse_cache is None:
                    settings = settings.but(parse_cache=self.parse_cache)
                system = ReferenceSystem(settings)
                try:
                    system.ingest()
                except BaseException:
                    system.close()
                    raise
                self._system = system
            return self._system

    def ask(self, question: str, user: str | None = None) -> Answer:
        """Ask the reference system; a failure to even build it is an error answer."""
        try:
            system = self.system
        except Exception as exc:  # the Target contract: ask never raises
            return Answer(
                text=f"{type(exc).__name__}: {exc}",
                status="error",
                error=f"{type(exc).__name__}: {exc}",
            )
        return system.ask(question, user)

    def capability(self, kind: type) -> Any:
        """Every capability, from the running system (the pipeline from a twin of it)."""
        if kind is DataPipeline:
            return ReferencePipeline(self.settings, self.spec)
        if kind is Contrast:
            return ReferenceContrast(self)
        if kind is CorpusScaling:
            return ReferenceScaling(self)
        if kind is Serving:
            return ReferenceServing(self)
        offers = {
            IngestHistory: SystemHistory,
            FaultInjection: ReferenceFaults,
            Logs: ReferenceLogs,
            History: ReferenceQueries,
            Spans: ReferenceSpans,
            Metrics: ReferenceMetrics,
            AccessAdmin: ReferenceAccessAdmin,
        }
        offer = offers.get(kind)
        return offer(self.system) if offer is not None else None

    def close(self) -> None:
        """Close the system and remove the temporary workdir this target made."""
        with self._lock:
            if self._system is not None:
                self._system.close()
                self._system = None
            if self._scratch is not None:
                shutil.rmtree(self._scratch, ignore_errors=True)
                self._scratch = None
                self._workdir = None


# ---- data --------------------------------------------------------------------------------------


class SystemHistory:
    """The ingest versions and document lineage of a reference system's store."""

    def __init__(self, system: ReferenceSystem) -> None:
        self._system = system

    def sources(self) -> tuple[DataSource, ...]:
        return self._system.sources

    def versions(self) -> list[DataVersion]:
        return [
            DataVersion(
                info.version,
                info.kind,
                info.finished_at,
                tuple(info.origins),
                info.rolled_back_to,
            )
            for info in self._system.versions()
        ]

    def changes(self, version: int) -> Mapping[str, Sequence[str]]:
        return self._system.store.changes(version)

    def document_ids(self) -> list[str]:
        return list(self._system.store.document_ids())

    def lineage(self, doc_id: str) -> DocumentLineage | None:
        found = self._system.lineage(doc_id)
        if found is None:
            return None
        return DocumentLineage(doc_id, found.origin, found.path, found.content_hash, found.version)


class ReferencePipeline:
    """The reference pipeline, exercised on a twin: same settings, copied sources, own store."""

    synchronous = True

    def __init__(self, settings: ReferenceSettings, spec: str) -> None:
        self._settings = settings
        preset = settings.hardening.profile
        self.label = f"reference:{preset}" if preset != "custom" else f"{spec} (custom switches)"

    def sources(self) -> tuple[DataSource, ...]:
        return self._settings.sources

    def start(self, folder: Path) -> PipelineRun:
        return ReferenceRun(self._settings, Path(folder))


class ReferenceRun:
    """One exercise on a twin system in `folder`; the target's own system is never touched."""

    synchronous = True

    def __init__(self, settings: ReferenceSettings, folder: Path) -> None:
        from playbook.reference.system import ReferenceSystem

        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.folder = folder
        self.twin = ReferenceSystem(
            settings.but(workdir=folder / "system", log_path=None, faults=None)
        )
        users = self.twin.users.users
        self.probe_user = users[0].id if users else None
        self._history = SystemHistory(self.twin)

    def ingest(self, name: str, sources: Sequence[DataSource]) -> IngestStep:
        report = self.twin.ingest(sources)
        return IngestStep(
            name=name,
            version=report.version,
            read=report.read,
            added=report.added,
            changed=report.changed,
            deleted=report.deleted,
            unchanged=report.unchanged,
            quarantined=len(report.quarantined),
            kept_last_good=report.kept_last_good,
            duplicates=report.duplicates,
            errors=tuple(location_file(error.path) for error in report.errors),
            quarantine=tuple(
                Quarantined(entry.path, entry.doc_id, entry.check, entry.reason, entry.version)
                for entry in report.quarantined
            ),
            changes=self._changes(report.version),
            seconds=report.seconds,
        )

    def _changes(self, version: int) -> dict[str, tuple[str, ...]]:
        return {kind: tuple(ids) for kind, ids in self.twin.store.changes(version).items()}

    def mark(self, sources: Sequence[DataSource]) -> object:
        return self.twin.served_version

    def restore(self, token: object, sources: Sequence[DataSource]) -> IngestStep:
        started = time.perf_counter()
        self.twin.rollback(int(str(token)))
        info = self.twin.versions()[-1]
        return IngestStep(
            name="rollback",
            version=info.version,
            read=None,
            added=info.added,
            changed=info.changed,
            deleted=info.deleted,
            unchanged=info.unchanged,
            quarantined=None,
            changes=self._changes(info.version),
            seconds=time.perf_counter() - started,
        )

    def ask(self, question: str, user: str | None) -> Answer:
        return self.twin.ask(question, user)

    def history(self) -> IngestHistory:
        return self._history

    def invalid_served(self) -> int:
        """Served documents that fail the ingest contract's pandera schema, checked afresh."""
        import pandas as pd
        from pandera.errors import SchemaErrors

        from playbook.contract import document_schema

        store = self.twin.store
        rows = [
            {
                "id": doc.id,
                "title": doc.title,
                "body": doc.body,
                "updated_at": doc.updated_at,
                "groups": list(doc.groups),
            }
            for doc in (store.document(doc_id) for doc_id in store.document_ids())
            if doc is not None
        ]
        if not rows:
            return 0
        try:
            document_schema(self.twin.users.known_groups).validate(
                pd.DataFrame(rows, dtype=object), lazy=True
            )
        except SchemaErrors as exc:
            return int(exc.failure_cases["index"].dropna().nunique())
        return 0

    def close(self) -> None:
        self.twin.close()
        for scratch in ("sources", "system"):
            shutil.rmtree(self.folder / scratch, ignore_errors=True)


# ---- faults, logs, history, contrast -----------------------------------------------------------


class ReferenceFaults:
    """The reference system's own injection points (`FaultPlan`) and upstream call counters."""

    isolated = True

    def __init__(self, system: ReferenceSystem) -> None:
        self.system = system
        self.route = "the reference system's injection points (retrieval, generation)"

    def supports(self, kind: str, stage: str) -> bool:
        return STAGE_ONLY.get(kind, stage) == stage

    def apply(self, fault: Fault | None) -> None:
        self.system.set_faults(FaultPlan.of(fault) if fault else None)

    def reset(self) -> None:
        self.system.reset()

    def calls(self, stage: str) -> int:
        return self.system.upstream_calls[stage]

    def mark(self) -> int:
        return len(self.system.fault_events)

    def first_call_struck(self, mark: int, stage: str) -> bool:
        events = self.system.fault_events[mark:]
        return any(event.stage == stage and event.attempt == 0 for event in events)

    def breaker_state(self) -> str | None:
        return self.system.breaker_state

    def breaker_reset_s(self) -> float | None:
        return self.system.breaker_settings.reset_timeout


class ReferenceLogs:
    """The reference system's in-memory log (JSON records with telemetry on, strings without)."""

    source = "the reference system's log"

    def __init__(self, system: ReferenceSystem) -> None:
        self._system = system

    def entries(self) -> list[dict[str, Any]]:
        return [entry for entry in self._system.logs if isinstance(entry, dict)]

    def lines(self) -> list[str]:
        return [
            entry if isinstance(entry, str) else json.dumps(entry, ensure_ascii=False, default=str)
            for entry in self._system.logs
        ]


class ReferenceSpans:
    """The spans of the reference system's local tracer provider, as SpanRecords.

    Offered in both profiles: with telemetry off the system emits no spans and `spans()` is
    empty, which is the finding (the target is not instrumented), not a capability missing.
    """

    source = "the reference system's tracer provider"

    def __init__(self, system: ReferenceSystem) -> None:
        self._system = system

    def spans(self) -> list[SpanRecord]:
        from playbook.otlp import spans_from_sdk

        return spans_from_sdk(self._system.spans())

    def clear(self) -> None:
        self._system.telemetry.clear_spans()


class ReferenceMetrics:
    """The reference system's Prometheus registry, as its `/metrics` endpoint serves it.

    Offered in both profiles: with telemetry off the exposition is empty, which is the finding.
    """

    source = "the reference system's metrics registry"

    def __init__(self, system: ReferenceSystem) -> None:
        self._system = system

    def scrape(self) -> str:
        return self._system.metrics_text()


class ReferenceAccessAdmin:
    """Group memberships changed in the running system, as its identity provider would."""

    def __init__(self, system: ReferenceSystem) -> None:
        self._system = system
        self._original = system.users

    def set_groups(self, user: str, groups: frozenset[str]) -> None:
        self._system.set_user_groups(user, sorted(groups - {EVERYONE}))

    def restore(self) -> None:
        self._system.users = self._original


class ReferenceQueries:
    """The reference system's question history, as each user is shown it."""

    def __init__(self, system: ReferenceSystem) -> None:
        self._system = system

    def history(self, user: str | None) -> list[HistoryItem]:
        return [
            HistoryItem(e.user, e.question, e.answer, e.status, e.sources, e.time)
            for e in self._system.history(user)
        ]


class ReferenceContrast:
    """The other profile as shipped: production for a prototype or a custom mix, else prototype."""

    def __init__(self, target: ReferenceTarget) -> None:
        self._target = target
        exact = target.settings.hardening.profile
        self.profile = "prototype" if exact == "production" else "production"
        self.label = f"reference:{self.profile}"

    def open(self, workdir: Path) -> ReferenceTarget:
        base = self._target
        return ReferenceTarget(
            base.engagement, self.profile, Path(workdir), {}, **base.derived_options()
        )


class ReferenceScaling:
    """The reference system over its engagement's documents plus synthetic ones: what latency
    does when the corpus grows to its production size."""

    SOURCE = "synthetic"

    def __init__(self, target: ReferenceTarget) -> None:
        self._target = target
        other = ReferenceContrast(target)
        own = target.spec
        if target.settings.hardening.profile == "custom":  # not to be read as the shipped one
            own = f"{target.spec} (custom switches)"
        self.profiles = (own, other.label)
        # spec -> (profile, switches) of the system each label stands for
        self._built = {own: (target.profile, target.switches), other.label: (other.profile, {})}

    def open(self, documents: int, spec: str, workdir: Path) -> ReferenceTarget:
        from playbook.errors import PlaybookError
        from playbook.reference.synthetic import write_synthetic_corpus
        from playbook.sources import DataSource

        if spec not in self.profiles:
            raise PlaybookError(f"corpus scaling: {spec!r} is not one of {self.profiles}")
        base = self._target
        workdir = Path(workdir)
        own = base.system.store.document_count()
        extra = max(0, documents - own)
        folder = workdir / f"{self.SOURCE}-{extra}"
        if not (folder / "records.jsonl").is_file():
            write_synthetic_corpus(folder, extra, groups=base.settings.users.known_groups)
        sources = [*base.engagement.data_sources]
        if extra:
            sources.append(DataSource(name=self.SOURCE, path=str(folder), format="json"))
        scaled = base.engagement.model_copy(update={"data_sources": sources})
        profile, switches = self._built[spec]
        return ReferenceTarget(
            scaled,
            profile,
            workdir / f"{profile if not switches else 'custom'}-{documents}",
            switches,
            **base.derived_options(),
        )

    def text_size(self, target: Target) -> int | None:
        """What a scan reads per question: the served documents' text, in characters."""
        if not isinstance(target, ReferenceTarget):
            return None
        return target.system.store.text_size()


class ReferenceServing:
    """The reference system behind `playbook serve`, in its own process, on 127.0.0.1.

    An in-process system shares the interpreter with the load generator: a target that keeps
    the CPU busy (the prototype's scan) would delay the generator's schedule and the
    measurement would blame the generator. Served, the system queues requests as a deployed
    one does, and the generator keeps its schedule.
    """

    START_S = 120.0  # building and ingesting a large corpus before the first answer

    def __init__(self, target: ReferenceTarget) -> None:
        self._target = target

    def open(self, workdir: Path) -> ServedTarget:
        import os
        import subprocess
        import sys

        import yaml

        from playbook.atomic import write_text_atomic
        from playbook.engagement import HttpAuth, HttpHistoryConfig, HttpResponseMap, HttpStream
        from playbook.engagement import HttpTarget as HttpTargetConfig
        from playbook.loopback import listen
        from playbook.targets.http import HttpTarget

        base = self._target
        engagement = base.engagement
        folder = Path(workdir) / "served"
        folder.mkdir(parents=True, exist_ok=True)
        served = {
            "name": f"{engagement.name}-served",
            "target": {"spec": base.spec, "switches": dict(base.switches)},
            "data_sources": [
                source.model_dump(mode="json") for source in engagement.resolved_sources()
            ],
            "decisions": str(engagement.decisions_path),
        }
        users = base.settings.users
        minted_users_file = None
        if engagement.users and all(user.token for user in users.users):
            served["users"] = str(engagement.resolve(engagement.users))
        elif users.users:
            # A client's users file names no demo tokens (its own service has real ones), yet
            # the served copy authenticates every question: each user without a token gets one
            # for this server's life. The file it is read from is removed once it has started.
            users = _with_session_tokens(users)
            minted_users_file = folder / "users.yaml"
            _write_private(minted_users_file, yaml.safe_dump(users.to_mapping()))
            served["users"] = str(minted_users_file)
        write_text_atomic(folder / "engagement.yaml", yaml.safe_dump(served, sort_keys=False))
        probe = listen("127.0.0.1", 0)
        port = probe.getsockname()[1]
        probe.close()
        log = (folder / "serve.log").open("wb")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "playbook.cli",
                "serve",
                str(folder),
                "--profile",
                base.profile,
                "--port",
                str(port),
                *(["--parse-cache", str(base.parse_cache)] if base.parse_cache else []),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, process, self.START_S, folder / "serve.log")
        except BaseException:
            _stop(process)
            log.close()
            raise
        finally:
            if minted_users_file is not None:
                minted_users_file.unlink(missing_ok=True)
        # the served copy's users are the engagement's: their tokens go to the HTTP target
        # through variables of this process only, never written anywhere
        variables = {}
        for user in users.users:
            if user.token:
                variable = f"PLAYBOOK_SERVED_TOKEN_{len(variables)}"
                os.environ[variable] = user.token
                variables[user.id] = variable
        config = HttpTargetConfig(
            request={"question": "{question}"},
            response=HttpResponseMap(
                answer="answer", sources="sources[*].id", status="status", trace_id="trace_id"
            ),
            auth=HttpAuth(token_env=variables) if variables else None,
            timeout_s=60,
            stream=HttpStream(),  # /v1/ask/stream: the first words are timed too
            history=HttpHistoryConfig(url="/v1/history", entries="entries"),
        )
        http = HttpTarget(f"{url}/v1/ask", config)
        return ServedTarget(http, process, log, list(variables.values()))


def _with_session_tokens(users: UserDirectory) -> UserDirectory:
    """The directory with a fresh random token for every user who has none."""
    import dataclasses
    import secrets

    return dataclasses.replace(
        users,
        users=tuple(
            user if user.token else dataclasses.replace(user, token=secrets.token_urlsafe(24))
            for user in users.users
        ),
    )


def _write_private(path: Path, text: str) -> None:
    """Write `text` to a new file that only this user can read."""
    import os

    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


class ServedTarget:
    """An HTTP target whose server this process started; closing it stops the server."""

    def __init__(self, http: Any, process: Any, log: Any, variables: list[str]) -> None:
        self._http = http
        self._process = process
        self._log = log
        self._variables = variables
        self.spec = http.spec

    def ask(self, question: str, user: str | None = None) -> Answer:
        return self._http.ask(question, user)

    def capability(self, kind: type) -> Any:
        return self._http.capability(kind)

    def missing_capability(self, kind: type) -> str:
        return self._http.missing_capability(kind)

    def close(self) -> None:
        import os

        self._http.close()
        _stop(self._process)
        self._log.close()
        for variable in self._variables:
            os.environ.pop(variable, None)


def _wait_healthy(url: str, process: Any, seconds: float, log: Path) -> None:
    import httpx

    from playbook.errors import PlaybookError

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(encoding="utf-8", errors="replace")[-400:]
            raise PlaybookError(f"the served reference system stopped at start: {tail}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise PlaybookError(f"the served reference system did not answer on {url} in {seconds:g} s")


def _stop(process: Any) -> None:
    import signal
    import subprocess

    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def serve_engagement(
    engagement: Engagement,
    profile: str,
    host: str = "127.0.0.1",
    port: int = 8080,
    parse_cache: Path | None = None,
) -> None:
    """`playbook serve`: the reference system for `profile` over the engagement, over HTTP;
    `parse_cache` is a parse cache to share (default: its own, beside its store)."""
    from playbook.reference.server import serve

    if profile not in REFERENCE_PROFILES:
        from playbook.errors import PlaybookError

        raise PlaybookError(
            f"unknown reference profile {profile!r}: expected one of {REFERENCE_PROFILES}"
        )
    settings = reference_settings(engagement, profile)
    if parse_cache is not None:
        settings = settings.but(parse_cache=Path(parse_cache))
    changed = "" if settings.hardening.profile == profile else " with changed switches"
    serve(settings, host=host, port=port, name=f"reference:{profile}{changed}")
