"""Personal data out of logged queries: presidio pattern recognizers, no NLP model, offline."""

from __future__ import annotations

from collections.abc import Iterable

from playbook.pii import ENTITIES, MIN_SCORE, PiiFinder

__all__ = ["ENTITIES", "MIN_SCORE", "Redactor"]


class Redactor:
    """Replaces personal data in text with `<ENTITY>` placeholders (see `playbook.pii`); the
    names of the directory's users are matched as a deny list."""

    def __init__(self, person_names: Iterable[str] = ()) -> None:
        self._finder = PiiFinder(person_names)

    def redact(self, text: str) -> str:
        """`text` with every recognised personal datum replaced by `<ENTITY>`."""
        if not text:
            return text
        redacted = []
        cursor = 0
        for finding in self._finder.find(text):
            if finding.start < cursor:
                continue  # overlapping findings: the earliest, longest one already covers it
            redacted.append(text[cursor : finding.start])
            redacted.append(f"<{finding.entity}>")
            cursor = finding.end
        redacted.append(text[cursor:])
        return "".join(redacted)
