"""Architecture decisions: the model, decisions.yaml, decision records (MADR) and their checks.

One module per stage: `model` (what a team decides), `files` (decisions.yaml, read leniently),
`records` (one Markdown record per decision), `consistency` (notebook 01's checks, `CHECKS`) and
`compare` (tables, and several teams side by side). The names below are the ones code outside the
package uses.
"""

from __future__ import annotations

from playbook.atomic import backup_path
from playbook.decisions.compare import (
    compare_decisions,
    compare_named,
    compare_styler,
    decisions_table,
    settings_table,
)
from playbook.decisions.consistency import (
    CHECKS,
    check_confirmed_by_checks,
    check_file_valid,
    check_freshness_vs_cadence,
    check_groups_need_identity,
    check_latency_budget_sum,
    check_owner_after_handover,
    check_required_made,
    check_retry_vs_amplification,
    consistency_checks,
)
from playbook.decisions.files import (
    FILE_FIELD,
    NOT_MADE,
    DecisionsLoad,
    DecisionsLocation,
    Problem,
    decisions_from_data,
    decisions_location,
    decisions_yaml,
    load_decisions,
    load_decisions_text,
    save_decisions,
)
from playbook.decisions.model import (
    DECISION_STATUSES,
    EVALUATION_CADENCES,
    FAILURE_ACTIONS,
    FAILURE_MODES,
    QUERY_PRIVACIES,
    REQUIRED_DECISIONS,
    REQUIRED_TYPES,
    UPDATE_MECHANISMS,
    Decisions,
    UpdateCadence,
)
from playbook.decisions.records import (
    latest_statuses,
    load_records,
    parse_record,
    update_records_after_run,
    write_records,
)

__all__ = [
    "CHECKS",
    "DECISION_STATUSES",
    "EVALUATION_CADENCES",
    "FAILURE_ACTIONS",
    "FAILURE_MODES",
    "FILE_FIELD",
    "NOT_MADE",
    "QUERY_PRIVACIES",
    "REQUIRED_DECISIONS",
    "REQUIRED_TYPES",
    "UPDATE_MECHANISMS",
    "Decisions",
    "DecisionsLoad",
    "DecisionsLocation",
    "Problem",
    "UpdateCadence",
    "backup_path",
    "check_confirmed_by_checks",
    "check_file_valid",
    "check_freshness_vs_cadence",
    "check_groups_need_identity",
    "check_latency_budget_sum",
    "check_owner_after_handover",
    "check_required_made",
    "check_retry_vs_amplification",
    "compare_decisions",
    "compare_named",
    "compare_styler",
    "consistency_checks",
    "decisions_from_data",
    "decisions_location",
    "decisions_table",
    "decisions_yaml",
    "latest_statuses",
    "load_decisions",
    "load_decisions_text",
    "load_records",
    "parse_record",
    "save_decisions",
    "settings_table",
    "update_records_after_run",
    "write_records",
]
