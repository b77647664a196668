"""Exercises for trainees: each scenario breaks one hardening switch of the production reference
system; the trainee finds which from the evidence, fixes it in engagement.yaml, and the notebook's
self-check confirms.

A scenario runs `reference:production` with its switch turned off, unless `engagement.yaml` sets
that switch itself: the trainee's fix (`target.switches: {<switch>: true}`) wins, so the same
notebook run with the same parameter shows the check pass again. The answers are in
`templates/workshop/answers/`, not here: a notebook shows only the symptom.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from IPython.display import Markdown

from playbook.errors import PlaybookError
from playbook.evidence import CheckResult

SCENARIO_TARGET = "reference:production"


@dataclass(frozen=True)
class Scenario:
    name: str
    notebook: str  # the notebook it belongs to
    switch: str  # the hardening switch it turns off (the answer; never shown before the fix)
    check: str  # the check that fails while it is broken
    symptom: str  # what the trainee is told to look for


SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario(
            "upstream_format_change",
            "02_data_pipelines",
            "serve_last_good",
            "data.upstream_drill",
            "An upstream export changed format overnight. Some answers lost their documents.",
        ),
        Scenario(
            "retry_storm",
            "03_failure_handling",
            "circuit_breaker",
            "failure.circuit_breaker",
            "The model endpoint had an outage and the assistant kept hammering it.",
        ),
        Scenario(
            "slow_tail",
            "04_latency",
            "index",
            "latency.corpus_scaling",
            "Users say the assistant gets slower every time documents are added.",
        ),
        Scenario(
            "blind_service",
            "05_observability",
            "telemetry",
            "observability.trace_coverage",
            "A bad answer was reported and nobody could say what the system did.",
        ),
        Scenario(
            "acl_after_topk",
            "06_security_access",
            "access_filter",
            "security.access_filter",
            "An agent quoted a salary band they should never have seen.",
        ),
        Scenario(
            "pii_in_logs",
            "06_security_access",
            "log_redaction",
            "security.pii_exposure",
            "An auditor found customers' card numbers in the log storage.",
        ),
    )
}


def scenario_for(name: str, notebook: str) -> Scenario:
    """The scenario `name` of `notebook`; a PlaybookError lists the ones it has."""
    found = SCENARIOS.get(name)
    if found is None or found.notebook != notebook:
        mine = [s.name for s in SCENARIOS.values() if s.notebook == notebook]
        raise PlaybookError(
            f"scenario {name!r} (parameter 'scenario'): expected one of "
            f"{', '.join(mine) or 'none for this notebook'}"
        )
    return found


def broken_switches(scenario: Scenario, configured: dict[str, bool]) -> dict[str, bool]:
    """The switches a scenario runs with: its own turned off, unless engagement.yaml sets it."""
    return {scenario.switch: False, **configured}


def self_check(scenario: Scenario | None, checks: Iterable[CheckResult]) -> Markdown | None:
    """Whether the trainee has fixed the scenario, from this run's checks."""
    if scenario is None:
        return None
    result = next((check for check in checks if check.id == scenario.check), None)
    if result is None:
        return Markdown(f"**Scenario `{scenario.name}`:** `{scenario.check}` was not recorded.")
    if result.status == "pass":
        return Markdown(
            f"**Scenario `{scenario.name}`: fixed.** `{scenario.check}` passes again "
            f"({result.detail[:160]})."
        )
    return Markdown(
        f"**Scenario `{scenario.name}`: still broken.** {scenario.symptom} `{scenario.check}` is "
        f"`{result.status}`: {result.detail[:200]}. Find the cause in the evidence above, fix "
        "it in `engagement.yaml` (`target.switches`), and run this notebook again."
    )
