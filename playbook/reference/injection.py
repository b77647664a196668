"""The reference system's defence against indirect prompt injection: retrieved text is content,
never instructions. Before generation, each passage loses its invisible characters (Unicode tag
characters smuggle ASCII past a reader; zero-width ones split trigger words) and every sentence
that addresses the assistant rather than the reader (ignore previous instructions, reply only
with, reveal your system prompt, ...)."""

from __future__ import annotations

import re
from dataclasses import replace

from playbook.reference.store import Passage

# Tag characters (U+E0000-U+E007F) and zero-width / bidi controls.
INVISIBLE = re.compile("[\U000e0000-\U000e007f\u200b-\u200f\u2060-\u2064\u202a-\u202e\ufeff]")
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,40}\b(?:instructions?|rules?|prompts?|"
    r"guidelines?|above|previous)\b"
    r"|\b(?:reply|respond|answer|say|print|output)\b[^.!?\n]{0,20}\bonly\b"
    r"|\b(?:system prompt|hidden instructions?|developer mode|debug mode)\b"
    r"|\byou are now\b|\bas an ai\b|\bassistants?[,:]\s"
    r"|\bwhen you (?:summari[sz]e|answer|respond|reply|read)\b|\bbefore answering\b"
    r"|\b(?:to|for) (?:ai|llm|language model|the) (?:assistants?|models?)\b"
    r"|\btool call\b|\bmaintenance mode\b|\badmin mode\b|\bsystem override\b"
    r"|\b(?:assistants?|ai|chatbots?|models?)\s+(?:must|should|need to)\b",
    re.IGNORECASE,
)
_HIDDEN = re.compile(
    r"<!--.*?-->|<(\w+)[^>]*display\s*:\s*none[^>]*>.*?</\1>|^\[//\]:\s*#.*$",
    re.DOTALL | re.MULTILINE | re.IGNORECASE,
)


def without_instructions(text: str) -> str:
    """`text` without invisible characters, hidden markup (HTML and Markdown comments, hidden
    elements), and without any line that gives orders to an assistant: an injection often
    spans sentences, so the whole line goes."""
    visible = _HIDDEN.sub(" ", INVISIBLE.sub("", text))
    kept = [line for line in visible.splitlines() if not _INSTRUCTION.search(line)]
    return "\n".join(line for line in kept if line.strip())


def defended(passages: list[Passage] | tuple[Passage, ...]) -> tuple[Passage, ...]:
    """The passages with their text cleaned (a passage left empty is dropped)."""
    cleaned = (replace(p, body=without_instructions(p.body)) for p in passages)
    return tuple(p for p in cleaned if p.body.strip())
