"""Failure handling (notebook 03): inject faults, classify what users see, hold it to policy.

A fault matrix crosses fault kinds (hang, added latency, exception, 429 with Retry-After, 5xx,
malformed output, nonsense output, empty retrieval) with the stage they strike (retrieval,
generation) and a rate; each cell asks a seeded sample of golden questions and classifies every
answer. Faults reach the target through its `FaultInjection` capability: the reference system's
injection points, the fault proxy on an HTTP service's model hop, or the switchboard a Python
target routes its upstream calls through. A target that offers none is recorded as `skip`, with
what its engagement must declare.

Without any fault route the area still measures what users meet (`probes`): hostile and edge
inputs, and golden questions the documents cannot answer.

The stages live in their own modules: `classify` (what the user was shown), `probes`, `matrix`
(the fault matrix), `breaker` (the breaker episode), `tables` (what it amounts to), `checks`;
`playbook.charts.failure` draws them. The names a notebook uses are gathered here.
"""

from playbook.gaps.failure.breaker import BreakerEpisode, BreakerPoint, run_breaker_episode
from playbook.gaps.failure.checks import (
    CHECKS,
    MIN_RECOVERED_SHARE,
    check_circuit_breaker,
    check_graceful_degradation,
    check_hostile_inputs,
    check_latency_under_fault,
    check_log_completeness,
    check_no_raw_failures,
    check_output_validation,
    check_retry_amplification,
    check_transient_recovery,
    check_unanswerable_refused,
    failure_checks,
)
from playbook.gaps.failure.classify import (
    GRACEFUL,
    KIND_LABELS,
    KINDS,
    OUTCOME_LABELS,
    OUTCOMES,
    Outcome,
    classify,
    raw_failure_reason,
)
from playbook.gaps.failure.matrix import (
    CellResult,
    FaultMatrix,
    FaultSettings,
    Observation,
    contrast_matrix,
    control_questions,
    fault_settings,
    planned_cells,
    route_table,
    run_fault_matrices,
    run_fault_matrix,
)
from playbook.gaps.failure.probes import EDGE_INPUTS, ProbeAnswer, Probes, run_probes
from playbook.gaps.failure.tables import (
    graceful_shares,
    latency_under_fault,
    outcome_table,
    policy_table,
    probes_table,
    retry_amplification,
)

AREA = CHECKS.area

__all__ = [
    "AREA",
    "CHECKS",
    "EDGE_INPUTS",
    "GRACEFUL",
    "KINDS",
    "KIND_LABELS",
    "MIN_RECOVERED_SHARE",
    "OUTCOMES",
    "OUTCOME_LABELS",
    "BreakerEpisode",
    "BreakerPoint",
    "CellResult",
    "FaultMatrix",
    "FaultSettings",
    "Observation",
    "Outcome",
    "ProbeAnswer",
    "Probes",
    "check_circuit_breaker",
    "check_graceful_degradation",
    "check_hostile_inputs",
    "check_latency_under_fault",
    "check_log_completeness",
    "check_no_raw_failures",
    "check_output_validation",
    "check_retry_amplification",
    "check_transient_recovery",
    "check_unanswerable_refused",
    "classify",
    "contrast_matrix",
    "control_questions",
    "failure_checks",
    "fault_settings",
    "graceful_shares",
    "latency_under_fault",
    "outcome_table",
    "planned_cells",
    "policy_table",
    "probes_table",
    "raw_failure_reason",
    "retry_amplification",
    "route_table",
    "run_breaker_episode",
    "run_fault_matrices",
    "run_fault_matrix",
    "run_probes",
]
