"""What notebook 06 measures, in one pass: the probes built from the engagement's documents, then
each attack in turn (document access, query privacy, authentication, personal data, prompt
injection, revocation), every one through the target's answers and the capabilities it offers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from playbook.gaps.security.access import AccessRun, run_access
from playbook.gaps.security.auth import AuthRun, run_auth
from playbook.gaps.security.injection import (
    InjectionRun,
    built_attacks,
    extraction_attacks,
    load_injection_probes,
    run_injection,
)
from playbook.gaps.security.pii import PiiRun, generated_questions, load_pii_questions, run_pii
from playbook.gaps.security.privacy import PrivacyRun, run_privacy
from playbook.gaps.security.probes import (
    AccessProbe,
    Document,
    build_probes,
    documents_of,
    load_probe_file,
)
from playbook.gaps.security.revocation import RevocationRun, run_revocation
from playbook.golden import GoldenItem
from playbook.sources.parsed_files import read_sources_through
from playbook.sources.records import SourceRecord, scalar_text
from playbook.targets.base import Target
from playbook.users import User, UserDirectory

if TYPE_CHECKING:
    from playbook.engagement import DepthBudget, Engagement


@dataclass
class SecurityRun:
    target: str
    users: list[User]
    documents: list[Document]
    probes: list[AccessProbe]
    access: AccessRun
    privacy: PrivacyRun
    auth: AuthRun
    pii: PiiRun
    injection: InjectionRun
    revocation: RevocationRun
    problems: list[str] = field(default_factory=list)  # files that could not be read

    @property
    def restricted(self) -> list[Document]:
        return [document for document in self.documents if document.restricted]


def telltales(documents: list[Document], probes: list[AccessProbe]) -> set[str]:
    """What a reply given without credentials must not hold: restricted ids and their facts."""
    found = {document.id for document in documents if document.restricted}
    return found | {fact for probe in probes for fact in probe.facts}


def engagement_users(engagement: Engagement) -> list[User]:
    if not engagement.users:
        return []
    return list(UserDirectory.load(engagement.resolve(engagement.users)).users)


def single_document_files(records: Sequence[SourceRecord]) -> dict[str, Path]:
    """Document id -> the file that holds only that document (the ones a deletion can remove)."""
    per_file: dict[str, list[str]] = {}
    for record in records:
        doc_id = scalar_text(record.fields.get("id")) or record.fallback_id
        per_file.setdefault(record.path, []).append(doc_id)
    return {ids[0]: Path(path) for path, ids in per_file.items() if len(ids) == 1 and ids[0]}


def security_probes(engagement: Engagement, documents: list[Document]) -> list[AccessProbe]:
    """Probes built from the documents, then the engagement's probe file's (which it may add)."""
    probes = build_probes(documents)
    settings = engagement.security
    if settings.probes:
        known = {document.id: document for document in documents}
        extra = load_probe_file(engagement.resolve(settings.probes), known)
        have = {probe.doc_id for probe in probes}
        probes += [probe for probe in extra if probe.doc_id not in have]
    return probes


def run_security(
    target: Target,
    engagement: Engagement,
    items: list[GoldenItem],
    budget: DepthBudget,
    workdir: Path,
    parse_cache: Path | None = None,
) -> SecurityRun:
    """Every experiment of notebook 06; `parse_cache`: the run's, so the corpus read for the
    probes costs no parse the run has done before."""
    users = engagement_users(engagement)
    # read once: the probes' documents and the files a deletion can remove
    records, errors = read_sources_through(engagement.resolved_sources(), parse_cache)
    documents, problems = documents_of(records, errors)
    probes = security_probes(engagement, documents)
    # every restricted document asked about at least once, time permitting
    outsider_asks = max(budget.requests, len(probes))
    access = run_access(target, probes, users, outsider_asks, budget.probe_seconds)
    topic = next((item.question for item in items if item.answerable), "How do I get help?")
    privacy = run_privacy(
        target, users, probes, topic, salt=engagement.name, filter_leaks=bool(access.leaks)
    )
    auth = run_auth(target, workdir, telltales(documents, probes))
    settings = engagement.security
    if settings.pii_questions:
        pii_file = engagement.resolve(settings.pii_questions)
        pii_questions, origin = load_pii_questions(pii_file), str(settings.pii_questions)
    else:
        pii_questions, origin = generated_questions(items, users), "generated from the golden set"
    pii = run_pii(target, pii_questions, users, origin)
    attacks = built_attacks(probes, users)
    if settings.system_prompt_marker:
        attacks += extraction_attacks(settings.system_prompt_marker, users)
    if settings.injection_probes:
        attacks = load_injection_probes(engagement.resolve(settings.injection_probes)) + attacks
    poisoned = engagement.resolve(settings.poisoned) if settings.poisoned else None
    injection = run_injection(target, attacks, poisoned, workdir, users, salt=engagement.name)
    revocation = run_revocation(target, probes, users, single_document_files(records), workdir)
    return SecurityRun(
        target=target.spec,
        users=users,
        documents=documents,
        probes=probes,
        access=access,
        privacy=privacy,
        auth=auth,
        pii=pii,
        injection=injection,
        revocation=revocation,
        problems=list(problems),
    )
