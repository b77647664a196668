"""Small worlds for the definition-of-done tests: a few checks' evidence and its scorecard."""

from __future__ import annotations

from collections.abc import Iterable

from playbook.evidence import CheckResult, Evidence
from playbook.notebooks import SEQUENCE
from playbook.scorecard import Scorecard, build_scorecard

NOTEBOOK_OF = {info.area: info.name for info in SEQUENCE}


def result(check_id: str, status: str, **extra: object) -> CheckResult:
    """One check result; the area is the id's prefix."""
    area = check_id.split(".", 1)[0]
    return CheckResult(area=area, id=check_id, title=check_id, status=status, **extra)


def evidence_of(*checks: CheckResult) -> list[Evidence]:
    """The checks grouped into one evidence file per area, as the notebooks record them."""
    by_area: dict[str, list[CheckResult]] = {}
    for check in checks:
        by_area.setdefault(check.area, []).append(check)
    return [
        Evidence(area=area, notebook=NOTEBOOK_OF[area], target="t", checks=tuple(found))
        for area, found in by_area.items()
    ]


def scorecard_of(
    evidence: Iterable[Evidence], in_scope: Iterable[str] | None = None, gate: float = 0.8
) -> Scorecard:
    """The scorecard of the evidence; by default the areas in scope are the ones measured."""
    evidence = list(evidence)
    scope = (
        list(in_scope) if in_scope is not None else list(dict.fromkeys(e.area for e in evidence))
    )
    return build_scorecard(evidence, gate, in_scope=scope)
