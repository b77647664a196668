"""The reference page of file formats names every field the playbook accepts, and says what
groups_required means."""

from __future__ import annotations

import re

from pydantic import BaseModel

from playbook.decisions.model import REQUIRED_TYPES, Decision, Decisions, FailurePolicies, Option
from playbook.definition_of_done import AttestedItem, AutomatedItem, DefinitionOfDone
from playbook.engagement import (
    TEMPLATES_DIR,
    Engagement,
    FaultProxySettings,
    Gate,
    HttpAuth,
    HttpResponseMap,
    HttpStream,
    HttpTarget,
    LoadSettings,
    TargetConfig,
)
from playbook.golden import GoldenItem
from playbook.sources import DataSource, SourceDefaults
from playbook.users import UserEntry, UsersFile

PAGE = (TEMPLATES_DIR / "formats.md").read_text(encoding="utf-8")
DOCUMENTED = set(re.findall(r"`([A-Za-z_][\w.-]*)`", PAGE))


def fields(model: type[BaseModel]) -> set[str]:
    """The names a user writes: a decision's id and title are fixed by the playbook."""
    fixed = {"id", "title"} if issubclass(model, Decision) else set()
    return {
        info.alias or name
        for name, info in model.model_fields.items()
        if not info.exclude and name not in fixed
    }


def test_every_field_of_every_file_is_on_the_reference_page():
    models = [
        Engagement,
        TargetConfig,
        HttpTarget,
        HttpResponseMap,
        HttpAuth,
        HttpStream,
        LoadSettings,
        FaultProxySettings,
        Gate,
        DataSource,
        SourceDefaults,
        UsersFile,
        UserEntry,
        GoldenItem,
        Decision,
        Option,
        FailurePolicies,
        Decisions,
        *REQUIRED_TYPES.values(),
        DefinitionOfDone,
        AutomatedItem,
        AttestedItem,
    ]
    missing = {f"{model.__name__}.{name}" for model in models for name in fields(model)} - {
        f"{model.__name__}.{name}" for model in models for name in fields(model) & DOCUMENTED
    }
    assert not missing, f"fields missing from templates/formats.md: {sorted(missing)}"


def test_the_page_says_what_groups_required_means():
    line = next(line for line in PAGE.splitlines() if "`groups_required`" in line)
    assert "must belong to every one" in line and "scope.users_known" in line
