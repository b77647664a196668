"""Security and access (notebook 06): attack the target the way its users and an adversary could.

Probes are built from the engagement's own restricted documents (`probes`); each attack has its
module: `access` (document leaks by citation, retrieval or answer text), `privacy` (another
user's queries through history, answers or a shared cache), `auth` (endpoints without valid
credentials), `pii` (seeded personal data in logs, spans, metric labels, others' history),
`injection` (direct, debug-access, indirect, ASCII smuggling), `revocation` (group removal and
deletion take effect at once). `experiment.run_security` runs them all; `checks` turns them into
evidence; `playbook.charts.security` draws them.
"""

from playbook.gaps.security.access import leak_matrix, leaks_table, probes_table
from playbook.gaps.security.auth import auth_table
from playbook.gaps.security.checks import (
    AREA,
    CHECKS,
    check_access_filter,
    check_allowed_access,
    check_authentication,
    check_pii_exposure,
    check_prompt_injection,
    check_query_privacy,
    check_revocation,
    security_checks,
)
from playbook.gaps.security.experiment import SecurityRun, run_security
from playbook.gaps.security.injection import family_table, successes_table
from playbook.gaps.security.pii import detected_table, exposure_table
from playbook.gaps.security.privacy import privacy_table
from playbook.gaps.security.probes import AccessProbe, Document, build_probes, leaked_facts
from playbook.gaps.security.revocation import trials_table

__all__ = [
    "AREA",
    "CHECKS",
    "AccessProbe",
    "Document",
    "SecurityRun",
    "auth_table",
    "build_probes",
    "check_access_filter",
    "check_allowed_access",
    "check_authentication",
    "check_pii_exposure",
    "check_prompt_injection",
    "check_query_privacy",
    "check_revocation",
    "detected_table",
    "exposure_table",
    "family_table",
    "leak_matrix",
    "leaked_facts",
    "leaks_table",
    "privacy_table",
    "probes_table",
    "run_security",
    "security_checks",
    "successes_table",
    "trials_table",
]
