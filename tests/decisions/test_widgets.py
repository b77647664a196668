"""The decisions form: bound to the model, inline messages as in the file, safe Save and Load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from playbook.decisions import Decisions, backup_path, load_decisions
from playbook.widgets import DecisionsForm, decisions_form, form_fields

from .conftest import DEMO_DECISIONS


@pytest.fixture()
def form(tmp_path: Path) -> DecisionsForm:
    path = tmp_path / "team" / "decisions.yaml"
    path.parent.mkdir()
    shutil.copy(DEMO_DECISIONS, path)
    return DecisionsForm(path, tmp_path / "team" / "adr")


def test_every_field_has_a_stable_unique_css_class():
    specs = form_fields()
    classes = [spec.css for spec in specs]
    assert len(set(classes)) == len(classes)
    assert "pb-field-latency-budget-p95-ms" in classes
    assert "pb-field-failure-policy-policies-timeout" in classes
    assert "pb-field-access-model-document-groups" in classes
    kinds = {spec.kind for spec in specs}
    assert {"dropdown", "slider", "textarea", "checkbox", "text"} <= kinds


def test_the_form_shows_the_values_on_file(form: DecisionsForm, demo: Decisions):
    assert form.controls["latency-budget.p95_ms"].value == 2500
    assert form.controls["access-model.document_groups"].value is True
    assert form.controls["access-model.query_privacy"].value == "per-user"
    assert form.controls["failure-policy.target_graceful_share"].value == 0.99
    assert "pb-field-latency-budget-p95-ms" in form.controls["latency-budget.p95_ms"]._dom_classes
    decisions, problems = form.validate()
    assert problems == []
    assert decisions == demo


def test_an_invalid_value_gets_the_same_message_as_in_a_file(form: DecisionsForm, tmp_path: Path):
    form.controls["update-cadence.warn_after_hours"].value = -1.0
    message = form.messages["update-cadence.warn_after_hours"].value
    assert "expected greater than 0" in message
    path = tmp_path / "by-hand.yaml"
    path.write_text("update-cadence: {warn_after_hours: -1.0}\n", encoding="utf-8")
    [from_file] = [m for f, m in load_decisions(path).problems if f.endswith("warn_after_hours")]
    assert from_file in message.replace("&#x27;", "'")


def test_save_refuses_invalid_input_and_leaves_the_file_alone(form: DecisionsForm):
    before = form.path.read_bytes()
    form.controls["latency-budget.confirmed_by"].value = "latency.p95_within_budget, not a check"
    assert form.save() == []
    assert "Not saved" in form.status.value
    assert "check id" in form.messages["latency-budget.confirmed_by"].value
    assert form.path.read_bytes() == before
    assert not backup_path(form.path).exists()


def test_save_writes_the_file_a_backup_and_the_records(form: DecisionsForm):
    before = form.path.read_text(encoding="utf-8")
    form.controls["latency-budget.p95_ms"].value = 3000
    form.controls["access-model.query_privacy"].value = "shared"
    form.controls["ownership.maintainer_after_handover"].value = "Ops guild"
    form.controls["data-location.context"].value = "Two lines\nof context"
    written = form.save()
    assert written[0] == form.path and len(written) == 9
    saved = load_decisions(form.path)
    assert saved.ok
    assert saved.decisions.latency_budget.p95_ms == 3000
    assert saved.decisions.access_model.query_privacy == "shared"
    assert saved.decisions.ownership.maintainer_after_handover == "Ops guild"
    assert saved.decisions.data_location.context == "Two lines\nof context"
    # option details the form does not edit (pros, cons) survive a save
    assert saved.decisions.data_location.options[0].pros
    assert backup_path(form.path).read_text(encoding="utf-8") == before
    record = (form.adr_folder / "0005-latency-budget.md").read_text(encoding="utf-8")
    assert "| p95 end to end (ms) | 3000 |" in record
    assert "Saved" in form.status.value


def test_the_consistency_panel_reacts_to_a_contradiction(form: DecisionsForm):
    assert "every consistency check passes" in form.consistency.value
    form.controls["latency-budget.p95_ms"].value = 1000
    assert "decisions.latency_budget_sum" in form.consistency.value
    form.controls["latency-budget.p95_ms"].value = 2500
    assert "every consistency check passes" in form.consistency.value


def test_load_fills_the_form_from_a_damaged_file_and_names_each_problem(form: DecisionsForm):
    form.path.write_text(
        "latency-budget: {status: accepted, p95_ms: fast, retrieval_ms: 250}\n", encoding="utf-8"
    )
    loaded = form.load()
    assert form.controls["latency-budget.retrieval_ms"].value == 250
    assert form.controls["latency-budget.p95_ms"].value == Decisions().latency_budget.p95_ms
    assert "valid integer" in form.messages["latency-budget.p95_ms"].value
    assert "not made yet" in form.messages["ownership"].value
    assert f"{len(loaded.problems)} problem(s)" in form.status.value
    # editing the field clears its load message; the others stay until fixed
    form.controls["latency-budget.p95_ms"].value = 2000
    assert form.messages["latency-budget.p95_ms"].value == ""
    assert "not made yet" in form.messages["ownership"].value


def test_extra_decisions_are_edited_as_yaml(form: DecisionsForm):
    form.controls["extra"].value = "- id: answer-language\n  title: [unclosed\n"
    assert "not valid YAML" in form.messages["extra"].value
    form.controls["extra"].value = "- id: Bad_Id\n  title: x\n"
    assert "kebab-case" in form.messages["extra"].value
    form.controls[
        "extra"
    ].value = "- id: answer-language\n  title: Answers in the asker's language\n"
    assert form.messages["extra"].value == ""
    form.save()
    assert [d.id for d in load_decisions(form.path).decisions.extra] == ["answer-language"]


def test_the_demo_form_reads_the_template_but_saves_into_the_run(tmp_path: Path):
    from playbook.decisions import decisions_location
    from playbook.engagement import DEMO_TEMPLATE, load_engagement

    location = decisions_location(load_engagement(DEMO_TEMPLATE), tmp_path / "run")
    form = decisions_form(location)
    assert form.controls["system"].value == "Northwind Mutual support assistant"
    form.controls["latency-budget.p95_ms"].value = 2200
    form.save()
    assert location.path.is_file() and (tmp_path / "run") in location.path.parents
    assert load_decisions(DEMO_DECISIONS).decisions.latency_budget.p95_ms == 2500
    assert load_decisions(location.path).decisions.latency_budget.p95_ms == 2200
