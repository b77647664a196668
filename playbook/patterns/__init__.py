"""The catalogue of known production failure patterns, and their remedies."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, TypeAdapter

CATALOGUE_FILE = Path(__file__).with_name("catalogue.yaml")


class Pattern(BaseModel):
    """A way production systems fail, and what fixes it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    area: str
    title: str
    symptom: str
    remedy: str
    effort: Literal["S", "M", "L"]


@cache
def catalogue() -> dict[str, Pattern]:
    """Every pattern by id (read once per process: the file ships with the package)."""
    entries = yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8"))
    patterns = TypeAdapter(list[Pattern]).validate_python(entries)
    return {pattern.id: pattern for pattern in patterns}


def pattern(pattern_id: str) -> Pattern | None:
    """The pattern with this id, or None when the id is unknown."""
    return catalogue().get(pattern_id)
