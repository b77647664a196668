"""Targets: the systems under test, and `connect`, which builds one from a spec and an engagement.

The adapters are imported inside `connect`: `playbook.engagement` imports `targets.spec`, so
importing the engagement here at module level would be circular.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from playbook.targets.base import ANSWER_STATUSES, Answer, AnswerStatus, Target
from playbook.targets.capabilities import capability, why_missing
from playbook.targets.spec import TargetSpec, parse_spec

if TYPE_CHECKING:
    from playbook.engagement import Engagement

__all__ = [
    "ANSWER_STATUSES",
    "Answer",
    "AnswerStatus",
    "Target",
    "TargetSpec",
    "capability",
    "connect",
    "parse_spec",
    "why_missing",
]


def connect(spec: str | None, engagement: Engagement, workdir: Path | None = None) -> Target:
    """The target `spec` names (the engagement's own when None), configured from the engagement."""
    parsed = parse_spec(spec if spec is not None else engagement.target.spec)
    if parsed.kind == "http":
        from playbook.targets.http import HttpTarget

        return HttpTarget(
            parsed.text, engagement.target.http, source=engagement.file, engagement=engagement
        )
    if parsed.kind == "python":
        from playbook.targets.python_callable import PythonTarget

        return PythonTarget(parsed.text, search_path=engagement.folder, engagement=engagement)
    from playbook.targets.reference import ReferenceTarget

    return ReferenceTarget.from_engagement(
        engagement, parsed.value, workdir=workdir, switches=engagement.target.switches
    )
