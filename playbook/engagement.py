"""The engagement: which system, which users and data, which gate (a model of engagement.yaml)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from playbook.errors import PlaybookError, describe_validation_error
from playbook.notebooks import normalise_notebook_key
from playbook.sources import DataSource
from playbook.targets.spec import parse_spec

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLES_DIR = REPO_ROOT / "data_samples"
TEMPLATES_DIR = REPO_ROOT / "templates"
DEMO_TEMPLATE = TEMPLATES_DIR / "engagement"
ENGAGEMENT_FILE = "engagement.yaml"
SAMPLES_PREFIX = "samples:"

Depth = Literal["quick", "standard", "thorough"]


@dataclass(frozen=True)
class DepthBudget:
    """How much work one run may do at a depth: every notebook sizes its samples from this."""

    questions: int  # golden questions per experiment
    requests: int  # requests per load or fault phase, at most
    seconds: float  # wall time per load phase, at most
    corpus_sizes: tuple[int, ...]  # synthetic corpus sizes for scaling measurements


DEPTH_BUDGETS: dict[str, DepthBudget] = {
    "quick": DepthBudget(questions=20, requests=60, seconds=3.0, corpus_sizes=(200, 1_000)),
    "standard": DepthBudget(
        questions=60, requests=300, seconds=15.0, corpus_sizes=(200, 1_000, 10_000)
    ),
    "thorough": DepthBudget(
        questions=200, requests=2_000, seconds=60.0, corpus_sizes=(200, 1_000, 10_000, 100_000)
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

    header: str = "Authorization"
    scheme: str = "Bearer"
    query_param: str | None = None
    token_env: dict[str, str] = Field(default_factory=dict)  # user id -> environment variable


class HttpResponseMap(_Strict):
    """Where the answer's parts sit in the response JSON (dotted paths, `[*]` for lists)."""

    answer: str = "answer"
    sources: str | None = "sources"
    status: str | None = None
    trace_id: str | None = None


class HttpTarget(_Strict):
    """Field mapping and limits for a team's own HTTP API, so it can be measured without code."""

    request: dict[str, Any] = Field(default_factory=lambda: {"question": "{question}"})
    response: HttpResponseMap = Field(default_factory=HttpResponseMap)
    auth: HttpAuth | None = None
    timeout_s: float = Field(default=10.0, gt=0)
    headers: dict[str, str] = Field(default_factory=dict)


class FaultProxySettings(_Strict):
    """Where the fault proxy sits: the team's service sends its model calls to 127.0.0.1:port."""

    port: int = Field(ge=1, le=65535)
    upstream: str = Field(min_length=1)  # the real endpoint the proxy forwards to
    stage: Literal["generation", "retrieval"] = "generation"  # the stage behind that hop


class TargetConfig(_Strict):
    """The system under test, how to reach it, and what it lets the playbook do to it."""

    spec: str = "reference:prototype"
    http: HttpTarget | None = None
    switches: dict[str, bool] = Field(default_factory=dict)  # reference only
    ingest_hook: str | None = None  # python:module:callable that re-ingests the target's data
    fault_proxy: FaultProxySettings | None = None  # http targets: faults on the model hop
    fault_hook: str | None = None  # python targets: python:module:callable given a switchboard
    logs: str | None = None  # a JSON-lines log file the target writes, for black-box checks

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

    min_readiness: float = Field(default=0.8, ge=0.0, le=1.0)


class Engagement(_Strict):
    """A validated engagement.yaml, with paths resolved against its folder."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    client: str = ""
    depth: Depth = "standard"
    target: TargetConfig = Field(default_factory=TargetConfig)
    data_sources: list[DataSource] = Field(default_factory=list)
    users: str | None = None
    golden_set: str | None = None
    decisions: str = "decisions.yaml"
    gate: Gate = Field(default_factory=Gate)
    notebooks: dict[str, dict[str, Any]] = Field(default_factory=dict)
    folder: Path = Field(default=Path("."), exclude=True)

    @field_validator("notebooks")
    @classmethod
    def _known_notebooks(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        normalised = {}
        for key, settings in value.items():
            try:
                normalised[normalise_notebook_key(str(key))] = settings or {}
            except PlaybookError as exc:
                raise ValueError(str(exc)) from None
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
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlaybookError(f"{path}: not found (create one with `playbook new DIR`)") from None
    except OSError as exc:
        raise PlaybookError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise PlaybookError(f"{path}: not valid YAML{where}: {problem}") from None
    if not isinstance(data, dict):
        raise PlaybookError(
            f"{path}: expected a mapping of fields (name, target, ...) at top level"
        )
    try:
        engagement = Engagement.model_validate(data)
    except ValidationError as exc:
        raise describe_validation_error(path, exc) from None
    return engagement.model_copy(update={"folder": path.parent.resolve()})


def create_engagement(folder: Path, force: bool = False, template: Path = DEMO_TEMPLATE) -> Path:
    """Create an engagement folder from the templates; refuse a non-empty folder unless forced."""
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
            else:
                shutil.copy2(item, destination)
    except OSError as exc:
        raise PlaybookError(f"{folder}: cannot write ({exc.strerror})") from None
    return folder
