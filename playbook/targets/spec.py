"""Target specs as written on the command line and in engagement.yaml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from playbook.errors import PlaybookError

TargetKind = Literal["reference", "http", "python"]
REFERENCE_PROFILES = ("prototype", "production")
SPEC_HELP = (
    "expected reference:prototype, reference:production, http://host:port/path "
    "or python:module:callable"
)
_PYTHON_SPEC = re.compile(r"^python:([A-Za-z_][\w.]*):([A-Za-z_]\w*)$")


@dataclass(frozen=True)
class TargetSpec:
    """A parsed target spec: its kind and the part after the kind."""

    kind: TargetKind
    value: str  # profile name, URL, or module:callable
    text: str

    def __str__(self) -> str:
        return self.text


def parse_spec(text: str) -> TargetSpec:
    """Parse a target spec, or raise PlaybookError saying what forms are accepted."""
    text = (text or "").strip()
    if text.startswith("reference:"):
        profile = text.split(":", 1)[1]
        if profile not in REFERENCE_PROFILES:
            raise PlaybookError(
                f"unknown reference profile {profile!r}: expected one of {REFERENCE_PROFILES}"
            )
        return TargetSpec("reference", profile, text)
    if text.startswith(("http://", "https://")):
        return TargetSpec("http", text, text)
    match = _PYTHON_SPEC.match(text)
    if match:
        return TargetSpec("python", f"{match.group(1)}:{match.group(2)}", text)
    raise PlaybookError(f"unknown target spec {text!r}: {SPEC_HELP}")
