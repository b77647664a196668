"""The source data contract: value kinds, drift against a stored contract, its file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from playbook.engagement import load_engagement
from playbook.errors import PlaybookError
from playbook.gaps import data
from playbook.sources import SourceRecord
from playbook.targets import connect

from .world import (
    BUDGET,
)

# ---- the contract ------------------------------------------------------------------------------


def test_value_kinds_tell_dates_lists_and_empty_text_apart() -> None:
    assert data.value_kind("2026-10-03T09:15:00Z") == "iso-datetime"
    assert data.value_kind("24/11/2026 09:15") == "text"
    assert data.value_kind("  ") == "empty text"
    assert data.value_kind(["hr"]) == "list"
    assert data.value_kind(dt.datetime(2026, 1, 1, tzinfo=dt.UTC)) == "datetime"
    assert data.value_kind(3) == "number" and data.value_kind(None) == "null"


def test_drift_names_missing_new_and_changed_fields_against_the_contract() -> None:
    good = SourceRecord("records", "a.json", {"id": "A", "body": "text", "groups": ["hr"]})
    contract = data.infer_contract([good, good])
    assert contract.sources["records"].fields["body"].required
    drifted = SourceRecord("records", "b.json", {"id": "B", "content": "text", "groups": "hr"})
    rows = data.compare_contract(contract, [drifted, good], [("records", "c.json")])
    found = {(row.field, row.change, row.observed) for row in rows}
    assert found == {
        ("body", "missing", "absent"),
        ("content", "new", "text"),
        ("groups", "kind", "text"),
        ("(file)", "unreadable", "unreadable"),
    }
    assert data.compare_contract(contract, [good], []) == []


def test_a_contract_file_round_trips_and_a_bad_one_names_file_and_field(tmp_path: Path) -> None:
    good = SourceRecord("wiki", "a.html", {"id": "A", "title": "T"})
    contract = data.infer_contract([good])
    path = data.save_contract(tmp_path / "contract.json", contract)
    assert data.load_contract(path) == contract
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"sources": {"wiki": {"documents": "many", "fields": {}}}}))
    with pytest.raises(PlaybookError, match=r"bad\.json.*sources\.wiki\.documents"):
        data.load_contract(bad)
    with pytest.raises(PlaybookError, match="missing.json"):
        data.load_contract(tmp_path / "missing.json")


def test_a_stored_contract_is_used_instead_of_inferring_one(world: Path, tmp_path: Path) -> None:
    strict = data.DataContract(
        sources={
            "handbook": data.SourceContract(
                documents=1,
                fields={"reviewer": data.FieldContract(kinds=("text",), required=True)},
            )
        }
    )
    path = data.save_contract(tmp_path / "strict.json", strict)
    engagement = load_engagement(world)
    target = connect("reference:production", engagement, workdir=tmp_path / "t")
    try:
        exercise = data.run_exercise(
            target, engagement, tmp_path / "w", BUDGET, str(world / "drop"), str(path)
        )
    finally:
        target.close()
    assert isinstance(exercise, data.PipelineExercise) and exercise.contract_path is None
    assert ("handbook", "reviewer", "missing") in {
        (d.source, d.field, d.change) for d in exercise.drift
    }
