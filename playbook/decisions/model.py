"""The decision models: what a team decides, typed, with the values later notebooks test.

A decision made early is a constraint that shapes the system; written here it becomes an assertion
the later notebooks test (the latency budget, the freshness window, the access model).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from playbook.errors import PlaybookError

DecisionStatus = Literal["proposed", "accepted", "superseded"]
DECISION_STATUSES: tuple[DecisionStatus, ...] = ("proposed", "accepted", "superseded")
FailureAction = Literal["retry", "fallback", "refuse", "degrade"]
FAILURE_ACTIONS: tuple[FailureAction, ...] = ("retry", "fallback", "refuse", "degrade")
FailureMode = Literal[
    "timeout",
    "rate_limit",
    "server_error",
    "malformed_output",
    "nonsense_output",
    "empty_retrieval",
]
FAILURE_MODES: tuple[FailureMode, ...] = (
    "timeout",
    "rate_limit",
    "server_error",
    "malformed_output",
    "nonsense_output",
    "empty_retrieval",
)
UpdateMechanism = Literal["scheduled-full", "scheduled-incremental", "event-driven", "manual"]
UPDATE_MECHANISMS: tuple[UpdateMechanism, ...] = (
    "scheduled-full",
    "scheduled-incremental",
    "event-driven",
    "manual",
)
QueryPrivacy = Literal["per-user", "shared"]
QUERY_PRIVACIES: tuple[QueryPrivacy, ...] = ("per-user", "shared")
EvaluationCadence = Literal["per-change", "daily", "weekly", "per-release", "monthly"]
EVALUATION_CADENCES: tuple[EvaluationCadence, ...] = (
    "per-change",
    "daily",
    "weekly",
    "per-release",
    "monthly",
)

CHECK_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
DECISION_ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _check_id(value: str) -> str:
    value = value.strip()
    if not CHECK_ID_PATTERN.match(value):
        raise ValueError("expected a check id like 'latency.p95_within_budget' (area.name)")
    return value


def _decision_id(value: str) -> str:
    value = value.strip()
    if not DECISION_ID_PATTERN.match(value):
        raise ValueError("expected a kebab-case decision id like 'answer-language'")
    return value


def _one_or_many(value: object) -> object:
    # A single name written without brackets (`deciders: Dana`) means a list of one.
    return [value] if isinstance(value, str) else value


def _option_from_text(value: object) -> object:
    return {"name": value} if isinstance(value, str) else value


CheckId = Annotated[str, AfterValidator(_check_id)]
# The schema says what a user may write: one text, or a list of them.
Lines = Annotated[
    tuple[str, ...], BeforeValidator(_one_or_many, json_schema_input_type=str | list[str])
]


class Option(BaseModel):
    """One option considered for a decision, with its pros and cons (MADR)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1)
    summary: str = ""
    pros: Lines = ()
    cons: Lines = ()


OptionItem = Annotated[
    Option, BeforeValidator(_option_from_text, json_schema_input_type=str | Option)
]


class Decision(BaseModel):
    """What every decision record carries: status, who, why, options, outcome and checks."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    id: str
    title: str = ""
    status: DecisionStatus = "proposed"
    date: dt.date | None = None
    deciders: Lines = ()
    context: str = ""
    drivers: Lines = ()
    options: tuple[OptionItem, ...] = ()
    choice: str = ""
    rationale: str = ""
    consequences: Lines = ()
    confirmed_by: Annotated[
        tuple[CheckId, ...],
        BeforeValidator(_one_or_many, json_schema_input_type=str | list[str]),
    ] = ()
    superseded_by: str | None = None

    @classmethod
    def setting_names(cls) -> tuple[str, ...]:
        """The topic-specific fields (the values later notebooks test), in declaration order."""
        return tuple(name for name in cls.model_fields if name not in Decision.model_fields)

    def settings(self) -> dict[str, Any]:
        """The topic-specific values, flattened to dotted names (`policies.timeout`)."""
        flat: dict[str, Any] = {}
        for name in self.setting_names():
            value = getattr(self, name)
            if isinstance(value, BaseModel):
                for inner, inner_value in value.model_dump(mode="json").items():
                    flat[f"{name}.{inner}"] = inner_value
            else:
                flat[name] = value.isoformat() if isinstance(value, dt.date) else value
        return flat

    @classmethod
    def setting_label(cls, dotted: str) -> str:
        """A reader's label for a flattened setting name, from the field's description."""
        name, _, inner = dotted.partition(".")
        field = cls.model_fields.get(name)
        label = (field.description if field else None) or name.replace("_", " ")
        return f"{label}: {inner.replace('_', ' ')}" if inner else label


class DataLocation(Decision):
    """Where the data lives and which system is the record of truth."""

    id: Literal["data-location"] = Field(default="data-location", exclude=True)
    title: str = "Where the data lives and which system is its record"
    system_of_record: str = Field(default="", description="system of record")
    location: str = Field(default="", description="where the source data lives")
    index_store: str = Field(default="", description="where the search index lives")
    residency: str = Field(default="", description="data residency constraint")


class UpdateCadence(Decision):
    """How the data is updated, how often, and how old it may get before users are misled."""

    id: Literal["update-cadence"] = Field(default="update-cadence", exclude=True)
    title: str = "How and how often the data is updated"
    mechanism: UpdateMechanism = Field(default="scheduled-full", description="update mechanism")
    cadence_hours: float = Field(default=24.0, gt=0, description="hours between updates")
    warn_after_hours: float = Field(default=24.0, gt=0, description="warn when older than (h)")
    error_after_hours: float = Field(default=72.0, gt=0, description="error when older than (h)")


class FailurePolicies(BaseModel):
    """The action for each known failure mode."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timeout: FailureAction = "retry"
    rate_limit: FailureAction = "retry"
    server_error: FailureAction = "fallback"
    malformed_output: FailureAction = "degrade"
    nonsense_output: FailureAction = "refuse"
    empty_retrieval: FailureAction = "refuse"


class FailurePolicy(Decision):
    """What the system does under each known failure mode, and how much degradation is tolerated."""

    id: Literal["failure-policy"] = Field(default="failure-policy", exclude=True)
    title: str = "What the system does when a dependency or the model fails"
    policies: FailurePolicies = Field(
        default_factory=FailurePolicies, description="policy per failure mode"
    )
    target_graceful_share: float = Field(
        default=0.99, ge=0.0, le=1.0, description="target share of gracefully handled faults"
    )
    max_retry_amplification: float = Field(
        default=2.0, ge=1.0, description="max retry amplification (calls per request)"
    )

    def action_for(self, mode: str) -> FailureAction:
        """The decided action for a failure mode (`timeout`, `rate_limit`, ...)."""
        if mode not in FAILURE_MODES:
            raise PlaybookError(f"unknown failure mode {mode!r}: expected one of {FAILURE_MODES}")
        return getattr(self.policies, mode)


class AccessModel(Decision):
    """Who the users are, what each may see, and who may read what they asked."""

    id: Literal["access-model"] = Field(default="access-model", exclude=True)
    title: str = "Who may see which documents, answers, queries and logs"
    identity_source: str = Field(default="", description="identity source")
    document_groups: bool = Field(default=True, description="documents restricted by group")
    query_privacy: QueryPrivacy = Field(default="per-user", description="query privacy")
    log_viewers: str = Field(default="", description="who may see logs")


class LatencyBudget(Decision):
    """How long a user waits: the end-to-end p95 and its split over the stages."""

    id: Literal["latency-budget"] = Field(default="latency-budget", exclude=True)
    title: str = "How long a user may wait for an answer"
    p95_ms: int = Field(default=2500, gt=0, description="p95 end to end (ms)")
    retrieval_ms: int = Field(default=300, gt=0, description="p95 retrieval stage (ms)")
    generation_ms: int = Field(default=1800, gt=0, description="p95 generation stage (ms)")
    time_to_first_token_ms: int | None = Field(
        default=None, gt=0, description="time to first token (ms), when streamed"
    )
    p99_ms: int | None = Field(
        default=None, gt=0, description="p99 end to end (ms); default twice the p95"
    )
    peak_rps: float = Field(default=2.0, gt=0, description="questions a second at the peak hour")
    capacity_headroom: float = Field(
        default=1.5, ge=1.0, description="capacity needed, as a multiple of the peak rate"
    )
    max_error_rate: float = Field(
        default=0.01, ge=0.0, le=1.0, description="share of requests that may fail under load"
    )
    production_documents: int | None = Field(
        default=None,
        gt=0,
        description="documents the system will hold in production (latency is measured at "
        "that size where the target can be scaled)",
    )
    daily_users: int = Field(default=0, ge=0, description="people who ask on a working day")
    questions_per_user_day: float = Field(
        default=0.0, ge=0.0, description="questions each of them asks a day"
    )

    @property
    def stages(self) -> dict[str, int]:
        """Per-stage p95 budgets in ms, keyed like the targets' timing stages."""
        return {"retrieval": self.retrieval_ms, "generation": self.generation_ms}

    @property
    def p99_budget_ms(self) -> int:
        """The decided p99, else twice the p95."""
        return self.p99_ms if self.p99_ms is not None else 2 * self.p95_ms


class Observability(Decision):
    """What is traced and measured, and how often answer quality is evaluated."""

    id: Literal["observability"] = Field(default="observability", exclude=True)
    title: str = "How the system is observed and its quality evaluated"
    stack: str = Field(default="", description="observability stack")
    evaluation_cadence: EvaluationCadence = Field(
        default="per-release", description="golden-set evaluation cadence"
    )
    golden_regression_tolerance: float = Field(
        default=0.05, ge=0.0, le=1.0, description="tolerated golden-set score drop"
    )
    min_hit_rate: float = Field(
        default=0.8, ge=0.0, le=1.0, description="quality floor: gold document cited (hit@5)"
    )
    min_answer_f1: float = Field(
        default=0.3, ge=0.0, le=1.0, description="quality floor: answer token F1 vs reference"
    )
    min_refusal_correctness: float = Field(
        default=0.8, ge=0.0, le=1.0, description="quality floor: unanswerable questions refused"
    )


class Ownership(Decision):
    """Who owns the system and who maintains it once the delivery team hands it over."""

    id: Literal["ownership"] = Field(default="ownership", exclude=True)
    title: str = "Who owns and maintains the system after hand-over"
    owner: str = Field(default="", description="owner")
    maintainer_after_handover: str = Field(default="", description="maintainer after hand-over")
    handover_date: dt.date | None = Field(default=None, description="hand-over date")
    on_call: str = Field(default="", description="on-call rota")


class ExtraDecision(Decision):
    """A free-form decision beyond the required ones (its own id, title and choice)."""

    id: Annotated[str, AfterValidator(_decision_id)]


REQUIRED_TYPES: dict[str, type[Decision]] = {
    "data-location": DataLocation,
    "update-cadence": UpdateCadence,
    "failure-policy": FailurePolicy,
    "access-model": AccessModel,
    "latency-budget": LatencyBudget,
    "observability": Observability,
    "ownership": Ownership,
}
REQUIRED_DECISIONS: tuple[str, ...] = tuple(REQUIRED_TYPES)


def attribute_name(decision_id: str) -> str:
    """The `Decisions` attribute that holds a decision (`latency-budget` -> `latency_budget`)."""
    return decision_id.replace("-", "_")


class Decisions(BaseModel):
    """Every architecture decision of an engagement; the values feed the gap notebooks' checks."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        str_strip_whitespace=True,
    )

    system: str = ""
    data_location: DataLocation = Field(default_factory=DataLocation, alias="data-location")
    update_cadence: UpdateCadence = Field(default_factory=UpdateCadence, alias="update-cadence")
    failure_policy: FailurePolicy = Field(default_factory=FailurePolicy, alias="failure-policy")
    access_model: AccessModel = Field(default_factory=AccessModel, alias="access-model")
    latency_budget: LatencyBudget = Field(default_factory=LatencyBudget, alias="latency-budget")
    observability: Observability = Field(default_factory=Observability, alias="observability")
    ownership: Ownership = Field(default_factory=Ownership, alias="ownership")
    extra: tuple[ExtraDecision, ...] = ()

    @property
    def freshness(self) -> UpdateCadence:
        """The freshness window (`warn_after_hours`, `error_after_hours`) and the update cadence."""
        return self.update_cadence

    def required(self) -> tuple[Decision, ...]:
        """The required decisions, in record order."""
        return tuple(
            getattr(self, attribute_name(decision_id)) for decision_id in REQUIRED_DECISIONS
        )

    def all_decisions(self) -> tuple[Decision, ...]:
        """Required decisions first, then the extra ones: the order of the records."""
        return (*self.required(), *self.extra)

    def get(self, decision_id: str) -> Decision:
        """One decision by its id, or a PlaybookError naming the known ids."""
        for decision in self.all_decisions():
            if decision.id == decision_id:
                return decision
        known = ", ".join(decision.id for decision in self.all_decisions())
        raise PlaybookError(f"unknown decision {decision_id!r}: expected one of {known}")

    def to_data(self) -> dict[str, Any]:
        """The YAML-shaped mapping (decision ids as keys), as written to decisions.yaml."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
