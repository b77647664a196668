"""The engagement: which system, which users and data, which gate (a model of engagement.yaml)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.json_schema import SkipJsonSchema

from playbook.errors import PlaybookError, describe_validation_error
from playbook.notebooks import normalise_notebook_key
from playbook.safe_files import FileProblem, parse_yaml, read_config
from playbook.sources import SAMPLES_PREFIX, DataSource, confined_path
from playbook.targets.spec import parse_spec

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLES_DIR = REPO_ROOT / "data_samples"
TEMPLATES_DIR = REPO_ROOT / "templates"
DEMO_TEMPLATE = TEMPLATES_DIR / "engagement"  # the bundled demo: the reference system, sample data
CLIENT_TEMPLATE = TEMPLATES_DIR / "client"  # a new client's engagement: placeholders to replace
# a real public corpus: the Python docs as Debian's python3.11-doc installs them
PYTHON_DOCS_TEMPLATE = TEMPLATES_DIR / "python-docs"
ENGAGEMENT_TEMPLATES = {
    "client": CLIENT_TEMPLATE,
    "demo": DEMO_TEMPLATE,
    "python-docs": PYTHON_DOCS_TEMPLATE,
}
ENGAGEMENT_FILE = "engagement.yaml"

Depth = Literal["quick", "standard", "thorough"]
PATH_SETTINGS = frozenset({"upstream_drop", "data_contract"})  # notebook settings naming paths


@dataclass(frozen=True)
class DepthBudget:
    """How much work one run may do at a depth: every notebook sizes its samples from this."""

    questions: int  # golden questions per experiment
    requests: int  # requests per load or fault phase, at most
    seconds: float  # wall time per load phase, at most
    corpus_sizes: tuple[int, ...]  # synthetic corpus sizes for scaling measurements
    asking_s: float | None = None  # see `probe_seconds`; None: ten times `seconds`

    @property
    def probe_seconds(self) -> float:
        """Wall time a series of questions may take before it stops early (a slow target gets
        fewer questions, and the check says how many)."""
        return self.seconds * 10 if self.asking_s is None else self.asking_s


DEPTH_BUDGETS: dict[str, DepthBudget] = {
    # quick: a prototype re-reading 500 real pages for every question (1 s each) spent minutes of
    # a quick run in series of questions of 30 s each; 10 s keeps a run near a minute
    "quick": DepthBudget(
        questions=20, requests=60, seconds=3.0, corpus_sizes=(1_000, 10_000), asking_s=10.0
    ),
    "standard": DepthBudget(
        questions=60, requests=300, seconds=15.0, corpus_sizes=(1_000, 10_000, 30_000)
    ),
    "thorough": DepthBudget(
        questions=200, requests=2_000, seconds=60.0, corpus_sizes=(1_000, 10_000, 100_000)
    ),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HttpAuth(_Strict):
    """How to authenticate as each engagement user; tokens come from environment variables.

    A bearer token (`Authorization: Bearer <token>`, the default), an API key in any header with
    no scheme (`header: X-Api-Key`, `scheme: ""`), or an API key in a query parameter
    (`query_param: api_key`, which replaces the header).
    """

    header: str = Field(default="Authorization", description="the header that carries the token")
    scheme: str = Field(
        default="Bearer", description="written before the token ('' for a bare API key)"
    )
    query_param: str | None = Field(
        default=None, description="send the token in this query parameter instead of a header"
    )
    token_env: dict[str, str] = Field(
        default_factory=dict,
        description="user id -> the environment variable holding that user's token",
    )


def readable_path(value: str | None, examples: str = "") -> str | None:
    """`value` when it is a JMESPath (None passes); else the error a field validator raises."""
    if value is not None:
        try:
            jmespath.compile(value)
        except JMESPathError:
            raise ValueError(
                f"cannot read path {value!r} (expected a JMESPath{examples})"
            ) from None
    return value


class HttpResponseMap(_Strict):
    """Where the answer's parts sit in the response JSON (dotted paths, `[*]` for lists)."""

    answer: str = Field(default="answer", description="JMESPath to the answer text")
    sources: str | None = Field(
        default="sources", description="JMESPath to the cited document ids (or objects with id)"
    )
    status: str | None = Field(
        default=None, description="JMESPath to a status (ok, degraded, refused, error or synonyms)"
    )
    trace_id: str | None = Field(default=None, description="JMESPath to the request's trace id")

    @field_validator("answer", "sources", "status", "trace_id")
    @classmethod
    def _jmespath(cls, value: str | None) -> str | None:
        return readable_path(value, " such as 'result.refs[*].doc' or 'choices[0].message.content'")


class HttpStream(_Strict):
    """Where and how a team's API streams its answer, so time to first token can be measured.

    Server-Sent Events (`sse`): each event's JSON data holds a text chunk at `delta`, and an
    optional `done_event` carries the final reply, mapped like a plain reply (`response`); a
    `data: [DONE]` line (OpenAI style) also ends the stream. `text`: the chunked body is the answer.
    """

    url: str | None = Field(
        default=None,
        description="where to post for a streamed answer: a URL or a path on target.spec's host "
        "(default: target.spec's URL with /stream appended)",
    )
    format: Literal["sse", "text"] = Field(
        default="sse",
        description="sse (Server-Sent Events) or text (the chunked body is the answer)",
    )
    delta: str = Field(
        default="text",
        description="sse: JMESPath to the text chunk in each event's JSON data (data that is not "
        "JSON is the chunk itself)",
    )
    done_event: str = Field(
        default="done",
        min_length=1,
        pattern=r"^[^\r\n]+$",
        description="sse: the event whose JSON data is the final reply, mapped with "
        "target.http.response (without one the answer is the chunks joined)",
    )

    @field_validator("delta")
    @classmethod
    def _jmespath(cls, value: str) -> str:
        return readable_path(value, " such as 'text' or 'choices[0].delta.content'") or value


class HttpHistoryConfig(_Strict):
    """Where a user reads back their questions, so query privacy can be tested over HTTP."""

    url: str = Field(
        min_length=1,
        description="a URL or a path on target.spec's host; {user} stands for the user whose "
        "history is asked for (then another user's is asked for too)",
    )
    method: Literal["GET", "POST"] = Field(default="GET", description="GET or POST")
    entries: str = Field(default="entries", description="JMESPath to the list of entries")
    question: str = Field(default="question", description="JMESPath to an entry's question")
    answer: str | None = Field(default="answer", description="JMESPath to an entry's answer")

    @field_validator("entries", "question", "answer")
    @classmethod
    def _jmespath(cls, value: str | None) -> str | None:
        return readable_path(value)


class HttpTarget(_Strict):
    """Field mapping and limits for a team's own HTTP API, so it can be measured without code."""

    request: dict[str, Any] = Field(
        default_factory=lambda: {"question": "{question}"},
        description="the JSON body; {question} and {user} are filled in at any depth",
    )
    response: HttpResponseMap = Field(
        default_factory=HttpResponseMap, description="where the answer's parts are in the reply"
    )
    auth: HttpAuth | None = Field(default=None, description="how each user authenticates")
    timeout_s: float = Field(default=10.0, gt=0, description="seconds before a request gives up")
    headers: dict[str, str] = Field(
        default_factory=dict, description="headers sent with every request (no secrets here)"
    )
    stream: HttpStream | None = Field(
        default=None,
        description="ask for a streamed answer, to measure time to first token ({} for defaults)",
    )
    history: HttpHistoryConfig | None = Field(
        default=None, description="the endpoint a user reads their question history from"
    )
    protected: list[str] = Field(
        default_factory=list,
        description="more endpoints that must refuse callers without valid credentials, as "
        "'METHOD path-or-URL' (e.g. 'GET /v1/admin/documents')",
    )

    @field_validator("protected")
    @classmethod
    def _endpoints(cls, values: list[str]) -> list[str]:
        for value in values:
            method, _, where = value.strip().partition(" ")
            if method.upper() not in ("GET", "POST", "PUT", "PATCH", "DELETE") or not where.strip():
                raise ValueError(
                    f"{value!r}: expected 'METHOD path-or-URL', e.g. 'GET /v1/admin/documents'"
                )
        return values


class FaultProxySettings(_Strict):
    """Where the fault proxy sits: the team's service sends its model calls to 127.0.0.1:port."""

    port: int = Field(ge=1, le=65535, description="the loopback port the proxy listens on")
    upstream: str = Field(min_length=1, description="the real endpoint the proxy forwards to")
    stage: Literal["generation", "retrieval"] = Field(
        default="generation", description="the stage behind that hop"
    )


class TargetConfig(_Strict):
    """The system under test, how to reach it, and what it lets the playbook do to it."""

    spec: str = Field(
        default="reference:prototype",
        description="reference:prototype, reference:production, http(s)://host:port/path or "
        "python:module:callable",
    )
    http: HttpTarget | None = Field(default=None, description="http targets: request, reply, auth")
    switches: dict[str, bool] = Field(
        default_factory=dict, description="reference only: hardening switches turned on or off"
    )
    ingest_hook: str | None = Field(
        default=None,
        description="python:module:callable that re-ingests the target's data from given folders",
    )
    fault_proxy: FaultProxySettings | None = Field(
        default=None, description="http targets: the fault proxy on the hop to the model"
    )
    fault_hook: str | None = Field(
        default=None,
        description="python targets: python:module:callable handed a fault switchboard",
    )
    logs: str | None = Field(
        default=None, description="a JSON-lines log file the target writes (trace ids, errors)"
    )
    access_hook: str | None = Field(
        default=None,
        description="python:module:callable(user, groups) that sets a user's access groups in the "
        "target (to test that a revocation takes effect)",
    )
    otlp_port: int | None = Field(
        default=None,
        ge=1024,
        le=65535,
        description="the loopback port of the playbook's OTLP/HTTP receiver: set the service's "
        "OTEL_EXPORTER_OTLP_ENDPOINT to http://127.0.0.1:<port>",
    )
    traces: str | None = Field(
        default=None, description="an OTLP/JSON trace file, or a folder of them, the target wrote"
    )
    metrics_url: str | None = Field(
        default=None,
        description="the target's Prometheus endpoint, e.g. http://127.0.0.1:8080/metrics",
    )

    @field_validator("logs", "traces")
    @classmethod
    def _logs_stay_inside(cls, value: str | None) -> str | None:
        return None if value is None else confined_path(value)

    @field_validator("metrics_url")
    @classmethod
    def _metrics_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r}: expected an http(s) URL of a Prometheus endpoint")
        return value

    @field_validator("ingest_hook", "fault_hook", "access_hook")
    @classmethod
    def _python_callable(cls, value: str | None) -> str | None:
        if value is not None and parse_spec(value).kind != "python":
            raise ValueError(f"{value!r}: expected python:module:callable")
        return value

    @field_validator("switches")
    @classmethod
    def _known_switches(cls, value: dict[str, bool]) -> dict[str, bool]:
        # refused here, once, naming the field: the reference system would otherwise fail
        # every answer with it
        from playbook.reference.switches import unknown_switches

        if (problem := unknown_switches(value)) is not None:
            raise ValueError(problem)
        return value

    @field_validator("spec")
    @classmethod
    def _known_spec(cls, value: str) -> str:
        try:
            parse_spec(value)
        except PlaybookError as exc:
            raise ValueError(str(exc)) from None
        return value


class Gate(_Strict):
    """The readiness the system must reach for the run to pass."""

    min_readiness: float = Field(
        default=0.8, ge=0.0, le=1.0, description="the lowest area score the gate accepts"
    )


class LoadSettings(_Strict):
    """How `playbook load` drives the target with Locust (the scale-out path of notebook 04)."""

    users: int = Field(default=20, ge=1, le=100_000, description="simulated users in all")
    spawn_rate: float = Field(default=5.0, gt=0, description="users started per second")
    run_time_s: float = Field(default=30.0, gt=0, le=86_400, description="seconds the load runs")
    wait_s: float = Field(
        default=1.0, ge=0, description="seconds each user waits between two questions"
    )
    workers: int = Field(
        default=0, ge=0, le=64, description="Locust worker processes on this machine (0: one)"
    )


class SecuritySettings(_Strict):
    """Probe files notebook 06 adds to the probes it builds from the engagement's documents."""

    probes: str | None = Field(
        default=None,
        description="JSON Lines of access probes: doc_id, groups, fact, question",
    )
    pii_questions: str | None = Field(
        default=None,
        description="JSON Lines of questions carrying synthetic personal data: id, user, "
        "question, pii (a list of {type, value})",
    )
    injection_probes: str | None = Field(
        default=None,
        description="JSON Lines of direct prompt injections: id, user, prompt, success_marker",
    )
    poisoned: str | None = Field(
        default=None,
        description="a folder of Markdown documents carrying indirect injections, each with a "
        "'canary' in its front matter",
    )

    system_prompt_marker: str | None = Field(
        default=None,
        min_length=8,
        description="a phrase of the target's system prompt: its presence in an answer means "
        "the prompt leaked (OWASP LLM07)",
    )

    @field_validator("probes", "pii_questions", "injection_probes", "poisoned")
    @classmethod
    def _inside(cls, value: str | None) -> str | None:
        return None if value is None else confined_path(value)


class Engagement(_Strict):
    """A validated engagement.yaml, with paths resolved against its folder."""

    name: str = Field(
        min_length=1,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="a short id: letters, digits, dot, underscore, hyphen",
    )
    client: str = Field(default="", description="the client's name, shown in the report")
    depth: Depth = Field(
        default="standard", description="quick (workshops), standard or thorough: sample sizes"
    )
    target: TargetConfig = Field(default_factory=TargetConfig, description="the system measured")
    data_sources: list[DataSource] = Field(
        default_factory=list, description="the folders or files the system answers from"
    )
    users: str | None = Field(default=None, description="path of the users file (users.yaml)")
    golden_set: str | None = Field(
        default=None, description="path of the golden set (JSON Lines, one question per line)"
    )
    decisions: str = Field(default="decisions.yaml", description="path of the decisions file")
    query_log: str | None = Field(
        default=None,
        description="path of a CSV of past questions (columns user, question_id naming golden "
        "ids): the repeated-question mix of the cache measurement",
    )
    load: LoadSettings = Field(
        default_factory=LoadSettings, description="how `playbook load` runs Locust"
    )
    gate: Gate = Field(default_factory=Gate, description="what the run must reach to pass")
    security: SecuritySettings = Field(
        default_factory=SecuritySettings, description="probe files for notebook 06"
    )
    notebooks: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="per-notebook settings, e.g. {'02': {upstream_drop: x}}"
    )
    folder: SkipJsonSchema[Path] = Field(default=Path("."), exclude=True)

    @field_validator("users", "golden_set", "decisions", "query_log")
    @classmethod
    def _paths_stay_inside(cls, value: str | None) -> str | None:
        return None if value is None else confined_path(value)

    @field_validator("notebooks")
    @classmethod
    def _known_notebooks(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        normalised = {}
        for key, settings in value.items():
            try:
                name = normalise_notebook_key(str(key))
            except PlaybookError as exc:
                raise ValueError(str(exc)) from None
            settings = settings or {}
            for setting in PATH_SETTINGS & set(settings):
                if isinstance(settings[setting], str) and settings[setting]:
                    confined_path(settings[setting])
            normalised[name] = settings
        return normalised

    def resolve(self, value: str) -> Path:
        """A path from the file: `samples:` means the bundled data_samples, relative means ours."""
        if value.startswith(SAMPLES_PREFIX):
            return SAMPLES_DIR / value[len(SAMPLES_PREFIX) :]
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.folder / path

    def resolved_sources(self) -> list[DataSource]:
        """The data sources with absolute paths, as readers and targets use them."""
        return [
            source.model_copy(update={"path": str(self.resolve(source.path))})
            for source in self.data_sources
        ]

    @property
    def file(self) -> Path:
        return self.folder / ENGAGEMENT_FILE

    @property
    def budget(self) -> DepthBudget:
        return DEPTH_BUDGETS[self.depth]

    @property
    def decisions_path(self) -> Path:
        return self.resolve(self.decisions)

    def settings_for(self, notebook: str) -> dict[str, Any]:
        """The per-notebook settings the engagement gives for `notebook`."""
        return dict(self.notebooks.get(normalise_notebook_key(notebook), {}))

    def with_overrides(self, **changes: Any) -> Engagement:
        """A copy with fields replaced and validated again (for --target, --depth)."""
        data = self.model_dump(mode="python")
        for dotted, value in changes.items():
            if value is None:
                continue
            node = data
            *parents, leaf = dotted.split("__")
            for part in parents:
                node = node[part]
            node[leaf] = value
        try:
            updated = Engagement.model_validate(data)
        except ValidationError as exc:
            raise describe_validation_error("command line", exc) from None
        return updated.model_copy(update={"folder": self.folder})


def engagement_file(location: Path) -> Path:
    """The engagement.yaml of a folder, or the file itself."""
    location = Path(location)
    return location / ENGAGEMENT_FILE if location.is_dir() or not location.suffix else location


def load_engagement(location: Path) -> Engagement:
    """Read and validate engagement.yaml; every problem is a PlaybookError naming file and field."""
    path = engagement_file(location)
    if not path.exists():
        raise PlaybookError(f"{path}: not found (create one with `playbook new DIR`)")
    text = read_config(path, "engagement file")
    try:
        data = parse_yaml(text)
    except FileProblem as exc:
        raise PlaybookError(f"{path}: {exc}") from None
    if not isinstance(data, dict):
        raise PlaybookError(
            f"{path}: expected a mapping of fields (name, target, ...) at top level"
        )
    try:
        engagement = Engagement.model_validate(data)
    except ValidationError as exc:
        raise describe_validation_error(path, exc) from None
    return engagement.model_copy(update={"folder": path.parent.resolve()})


def create_engagement(folder: Path, force: bool = False, template: Path = CLIENT_TEMPLATE) -> Path:
    """Create an engagement folder from a template, with the JSON Schemas its editor validates
    against; refuse a non-empty folder unless forced."""
    from playbook.schemas import SCHEMA_FOLDER, with_schema_line, write_schemas

    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise PlaybookError(f"{folder}: exists and is not a folder")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise PlaybookError(f"{folder}: folder is not empty (use --force to write over it)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for item in template.iterdir():
            destination = folder / item.name
            if item.is_dir():
                shutil.copytree(item, destination, dirs_exist_ok=True)
            elif item.name in SCHEMA_KINDS:
                text = item.read_text(encoding="utf-8")
                destination.write_text(with_schema_line(text, SCHEMA_KINDS[item.name]), "utf-8")
            else:
                shutil.copy2(item, destination)
        write_schemas(folder / SCHEMA_FOLDER)
    except OSError as exc:
        raise PlaybookError(f"{folder}: cannot write ({exc.strerror})") from None
    return folder


# The files `playbook new` writes that an editor can validate, and the schema of each.
SCHEMA_KINDS = {
    "engagement.yaml": "engagement",
    "decisions.yaml": "decisions",
    "users.yaml": "users",
}
