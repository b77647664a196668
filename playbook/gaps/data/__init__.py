"""Data pipelines (notebook 02): is the data fresh, validated, versioned and recoverable?

A prototype runs against a static snapshot; production needs data that is current, validated and
recoverable when an upstream source changes. Every check here measures the target's data path
through its capabilities: its `DataPipeline` (the reference system exercises a twin of itself
over copied sources; a team's system its ingest hook) and its `IngestHistory` (the reference
system's versions and lineage). A target that offers neither is measured through its declared
source files and the sources its answers cite; the drill is then `skip`, with what to declare.

The stages live in their own modules: `contract` (the source data contract and drift),
`exercise` (the scripted ingest sequence), `freshness`, `lineage`, `tables`, `checks`;
`playbook.charts.data` draws them. The names a notebook uses are gathered here.
"""

from playbook.gaps.data.checks import (
    CHECKS,
    check_change_detection,
    check_format_drill,
    check_freshness,
    check_lineage,
    check_recovery,
    check_schema_drift,
    check_validation,
    data_checks,
)
from playbook.gaps.data.contract import (
    CONTRACT_FILE,
    ISO_UTC,
    DataContract,
    Drift,
    FieldContract,
    SourceContract,
    compare_contract,
    infer_contract,
    load_contract,
    save_contract,
    value_kind,
)
from playbook.gaps.data.exercise import (
    ARRIVAL_ATTEMPTS,
    DEFAULT_DROP,
    INVALID_PROBES,
    PHASES,
    PROBE_QUESTION,
    PROBE_SOURCE,
    AskedQuestion,
    ChangeArrival,
    Exercise,
    ExerciseLimits,
    Outcome,
    PipelineExercise,
    ProbeResult,
    Unavailable,
    companion_exercise,
    lineage_source,
    run_exercise,
    served_documents,
)
from playbook.gaps.data.freshness import freshness_table
from playbook.gaps.data.lineage import CitationTrace, LineageRecord, trace_citations
from playbook.gaps.data.tables import (
    drift_table,
    lineage_table,
    probes_table,
    quality_table,
    steps_table,
)
from playbook.targets.capabilities import IngestStep, Quarantined

AREA = CHECKS.area

__all__ = [
    "AREA",
    "ARRIVAL_ATTEMPTS",
    "CHECKS",
    "CONTRACT_FILE",
    "DEFAULT_DROP",
    "INVALID_PROBES",
    "ISO_UTC",
    "PHASES",
    "PROBE_QUESTION",
    "PROBE_SOURCE",
    "AskedQuestion",
    "ChangeArrival",
    "CitationTrace",
    "DataContract",
    "Drift",
    "Exercise",
    "ExerciseLimits",
    "FieldContract",
    "IngestStep",
    "LineageRecord",
    "Outcome",
    "PipelineExercise",
    "ProbeResult",
    "Quarantined",
    "SourceContract",
    "Unavailable",
    "check_change_detection",
    "check_format_drill",
    "check_freshness",
    "check_lineage",
    "check_recovery",
    "check_schema_drift",
    "check_validation",
    "companion_exercise",
    "compare_contract",
    "data_checks",
    "drift_table",
    "freshness_table",
    "infer_contract",
    "lineage_source",
    "lineage_table",
    "load_contract",
    "probes_table",
    "quality_table",
    "run_exercise",
    "save_contract",
    "served_documents",
    "steps_table",
    "trace_citations",
    "value_kind",
]
