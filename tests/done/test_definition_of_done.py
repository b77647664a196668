"""The definition of done: automated items met by the run's evidence, attested items met by a
signature, half points for an attestation, a verdict that also needs the gate,
a strict file, a form."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
import yaml

from playbook.definition_of_done import (
    ATTESTED_POINTS,
    AttestedItem,
    AutomatedItem,
    DefinitionOfDone,
    attestation_form,
    backup_path,
    definition_location,
    evaluate_definition,
    load_definition,
    save_definition,
)
from playbook.engagement import (
    CLIENT_TEMPLATE,
    DEMO_TEMPLATE,
    TEMPLATES_DIR,
    create_engagement,
    load_engagement,
)
from playbook.errors import PlaybookError

from .conftest import evidence_of, result, scorecard_of

DEMO_DEFINITION = DEMO_TEMPLATE / "definition_of_done.yaml"
TODAY = dt.date(2026, 11, 30)


def automated(item_id: str, *checks: str, status: str = "pass", required: bool = True):
    return AutomatedItem(id=item_id, title=item_id, checks=checks, status=status, required=required)


def attested(item_id: str, who: str = "", date: dt.date | None = None, link: str = "", **extra):
    return AttestedItem(id=item_id, title=item_id, attested_by=who, date=date, link=link, **extra)


def verdict_of(definition: DefinitionOfDone, *checks, in_scope=None):
    evidence = evidence_of(*checks)
    return evaluate_definition(definition, evidence, scorecard_of(evidence, in_scope), TODAY)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "definition_of_done.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# -- the templates ------------------------------------------------------------------------------


def test_the_demo_covers_every_gap_area_and_has_two_of_five_attestations_signed():
    definition = load_definition(DEMO_DEFINITION)
    areas = {check.split(".")[0] for item in definition.automated for check in item.checks}
    assert {"data", "failure", "latency", "observability", "security"} <= areas
    named = {check for item in definition.automated for check in item.checks}
    assert {
        "data.freshness",
        "failure.no_raw_failures",
        "latency.p95_within_budget",
        "observability.golden_regression",
        "security.access_filter",
        "security.authentication",
    } <= named
    assert [item.id for item in definition.attested] == [
        "owner-named",
        "runbook-written",
        "on-call-agreed",
        "rollback-rehearsed",
        "handover-done",
    ]
    signed = [item for item in definition.attested if item.attested_by and item.date and item.link]
    assert [item.id for item in signed] == ["owner-named", "runbook-written"]
    unsigned = [item for item in definition.attested if not item.attested_by and not item.date]
    assert len(unsigned) == 3


def test_the_client_template_is_valid_with_nothing_attested_yet():
    definition = load_definition(CLIENT_TEMPLATE / "definition_of_done.yaml")
    assert definition.automated and len(definition.attested) == 5
    assert not any(item.attested_by or item.date for item in definition.attested)


@pytest.mark.parametrize("template", [CLIENT_TEMPLATE, DEMO_TEMPLATE])
def test_playbook_new_puts_the_definition_into_the_new_engagement(tmp_path: Path, template: Path):
    folder = create_engagement(tmp_path / "new", template=template)
    copied = folder / "definition_of_done.yaml"
    assert copied.read_bytes() == (template / "definition_of_done.yaml").read_bytes()
    assert load_definition(copied).items


# -- automated items ----------------------------------------------------------------------------


def test_an_automated_item_is_met_only_when_every_check_reaches_its_least_status():
    definition = DefinitionOfDone(
        automated=(
            automated("both-pass", "data.freshness", "data.validation"),
            automated("one-warns", "data.freshness", "data.recovery"),
            automated("warn-is-enough", "data.freshness", "data.recovery", status="warn"),
            automated("one-fails", "data.freshness", "data.lineage", status="warn"),
        )
    )
    verdict = verdict_of(
        definition,
        result("data.freshness", "pass"),
        result("data.validation", "pass"),
        result("data.recovery", "warn", observed=0.9, expected=">= 0.99"),
        result("data.lineage", "fail", observed=3, unit="untraced citations", expected="0"),
    )
    met = {item.id: item.met for item in verdict.items}
    assert met == {
        "both-pass": True,
        "one-warns": False,
        "warn-is-enough": True,
        "one-fails": False,
    }
    reasons = {item.id: item.reason for item in verdict.items}
    assert (
        "data.recovery warn, the item needs pass (observed 0.9, expected >= 0.99)"
        in reasons["one-warns"]
    )
    assert reasons["one-fails"] == "data.lineage fail (observed 3 untraced citations, expected 0)"


@pytest.mark.parametrize(
    ("recorded", "says"),
    [
        ([], "not measured: latency.p95_within_budget has no evidence in this run"),
        (
            [result("latency.p95_within_budget", "skip", detail="no load generator")],
            "not measured: latency.p95_within_budget was skipped (no load generator)",
        ),
        (
            [result("latency.p95_within_budget", "error", detail="target timed out")],
            "not measured: latency.p95_within_budget could not run (target timed out)",
        ),
    ],
)
def test_a_check_missing_skipped_or_in_error_leaves_its_item_unmet_as_not_measured(recorded, says):
    definition = DefinitionOfDone(
        automated=(automated("fast", "latency.p95_within_budget", status="warn"),)
    )
    [item] = verdict_of(definition, result("latency.p99_within_budget", "pass"), *recorded).items
    assert not item.met and item.earned == 0
    assert item.reason == says


# -- attested items -----------------------------------------------------------------------------


def test_an_attested_item_needs_a_name_and_a_date_and_recommends_a_link():
    definition = DefinitionOfDone(
        attested=(
            attested("signed", "Priya Raman", dt.date(2026, 11, 6), "https://wiki/ownership"),
            attested("no-link", "Tomás Berg", dt.date(2026, 11, 20)),
            attested("no-date", "Tomás Berg"),
            attested("no-name", date=dt.date(2026, 11, 20)),
            attested("not-yet"),
            attested("in-the-future", "Ada Okafor", dt.date(2027, 1, 5), "https://x"),
        )
    )
    items = {item.id: item for item in verdict_of(definition).items}
    assert {name: item.met for name, item in items.items()} == {
        "signed": True,
        "no-link": True,
        "no-date": False,
        "no-name": False,
        "not-yet": False,
        "in-the-future": False,
    }
    assert items["signed"].reason == (
        "attested by Priya Raman on 2026-11-06 (https://wiki/ownership)"
    )
    assert "no link to the proof" in items["no-link"].reason
    assert items["no-date"].reason == "not attested: date empty"
    assert items["not-yet"].reason == "not attested: attested_by and date empty"
    assert "after today" in items["in-the-future"].reason


# -- points and the verdict ---------------------------------------------------------------------


def test_an_attested_item_earns_half_the_points_of_an_automated_one():
    definition = DefinitionOfDone(
        automated=(automated("a", "data.freshness"), automated("b", "data.validation")),
        attested=(attested("c", "Priya", dt.date(2026, 11, 6)), attested("d")),
    )
    verdict = verdict_of(
        definition, result("data.freshness", "pass"), result("data.validation", "fail")
    )
    assert ATTESTED_POINTS == 0.5
    assert (verdict.earned, verdict.possible) == (1.5, 3.0)
    assert verdict.score == pytest.approx(0.5)
    table = verdict.table()
    assert list(table.index) == ["a", "b", "c", "d"]
    assert list(table["points"]) == ["1 / 1", "0 / 1", "0.5 / 0.5", "0 / 0.5"]


def test_done_needs_every_required_item_and_the_gate_an_optional_item_only_counts_points():
    definition = DefinitionOfDone(
        automated=(
            automated("fresh", "data.freshness"),
            automated("traced", "data.lineage", required=False),
        ),
        attested=(attested("owner", "Priya", dt.date(2026, 11, 6), "https://x"),),
    )
    checks = (
        result("data.freshness", "pass"),
        result("data.lineage", "fail"),
        result("data.validation", "pass"),
    )
    verdict = verdict_of(definition, *checks)
    assert verdict.gate == "fail"  # data scores 2 of 3, below 0.8
    assert not verdict.done
    assert verdict.verdict().startswith("Not done: the readiness gate is fail;")

    passing = (result("data.freshness", "pass"), result("data.lineage", "fail"))
    passing += tuple(
        result(f"data.{name}", "pass")
        for name in ("validation", "recovery", "schema_drift", "change_detection", "upstream_drill")
    )
    verdict = verdict_of(definition, *passing)
    assert verdict.gate == "pass" and verdict.unmet_required == ()
    assert verdict.done, verdict.verdict()
    assert verdict.score == pytest.approx(1.5 / 2.5)
    assert verdict.to_contract()["done"] is True

    unsigned = definition.with_attestation("owner", "", None, "")
    verdict = verdict_of(unsigned, *passing)
    assert not verdict.done
    assert "1 required item(s) not met (owner)" in verdict.verdict()


def test_an_unmeasured_area_keeps_the_gate_incomplete_and_the_system_not_done():
    definition = DefinitionOfDone(automated=(automated("fresh", "data.freshness"),))
    verdict = verdict_of(
        definition, result("data.freshness", "pass"), in_scope=["data", "security"]
    )
    assert verdict.items[0].met
    assert verdict.gate == "incomplete" and not verdict.done


# -- the file -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        ("automated:\n  - {id: a, title: A, checks: [data.freshness], colour: red}\n",
         "automated[0].colour", "unknown field"),
        ("automated:\n  - {id: a, title: A, checks: [data.freshness], status: fail}\n",
         "automated[0].status", "expected 'pass' or 'warn' (got 'fail')"),
        ("automated:\n  - {id: a, title: A, checks: [data.freshnes]}\n",
         "automated[0].checks[0]", "did you mean data.freshness?"),
        ("automated:\n  - {id: a, title: A, checks: []}\n",
         "automated[0].checks", "expected at least one item"),
        ("automated: 5\n", "automated", "expected a list (got 5)"),
        ("automated:\n  - {id: a, title: A}\n", "automated[0].checks", "missing"),
        ("automated:\n  - {id: Not Kebab, title: A, checks: [data.freshness]}\n",
         "automated[0].id", "pattern"),
        ("automated:\n  - {id: a, title: A, checks: [data.freshness], required: 1}\n",
         "automated[0].required", "expected a valid boolean"),
        ("attested:\n  - {id: a, title: A, attested_by: x, date: 2026-02-30}\n",
         "attested[0].date", "day value is outside expected range"),
        ("attested:\n  - {id: a, title: A, date: 20261106}\n",
         "attested[0].date", "expected a date written YYYY-MM-DD, got 20261106"),
        ("attested:\n  - {id: a, title: A}\n  - {id: a, title: B}\n",
         "(top level)", "item id 'a' is used twice"),
        ("attested:\n  - {id: a, title: 7}\n", "attested[0].title", "expected a valid string"),
    ],
)  # fmt: skip
def test_every_mistake_names_the_file_the_field_and_what_was_expected(
    tmp_path: Path, text: str, field: str, expected: str
):
    path = write(tmp_path, text)
    with pytest.raises(PlaybookError) as caught:
        load_definition(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert "Tuple" not in message and "at least 1 item" not in message
    assert f"field '{field}'" in message
    assert expected in message


def test_a_file_that_is_not_a_mapping_or_not_safe_yaml_is_refused_with_its_reason(tmp_path: Path):
    with pytest.raises(PlaybookError, match="expected a mapping with the lists"):
        load_definition(write(tmp_path, "- a\n- b\n"))
    with pytest.raises(PlaybookError, match="alias"):
        load_definition(write(tmp_path, "automated: &x []\nattested: *x\n"))
    with pytest.raises(PlaybookError, match="definition of done not found"):
        load_definition(tmp_path / "absent.yaml")
    assert load_definition(write(tmp_path, "# nothing defined yet\n")) == DefinitionOfDone()


def test_saving_round_trips_the_items_in_their_order_and_keeps_a_backup(tmp_path: Path):
    path = tmp_path / "definition_of_done.yaml"
    shutil.copy(DEMO_DEFINITION, path)
    before = path.read_bytes()
    definition = load_definition(path)
    signed = definition.with_attestation(
        "rollback-rehearsed", "  Tomás Berg  ", dt.date(2026, 11, 27), "https://wiki/rollback"
    )
    save_definition(signed, path)
    again = load_definition(path)
    assert again == signed
    assert [item.id for item in again.items] == [item.id for item in definition.items]
    assert again.attested[3].attested_by == "Tomás Berg"
    assert backup_path(path).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "definition_of_done.yaml",
        "definition_of_done.yaml.bak",
    ]  # no temporary file left behind
    text = path.read_text(encoding="utf-8")
    assert "checks: [data.freshness, data.validation, data.recovery]" in text
    assert yaml.safe_load(text)["attested"][2]["date"] is None


# -- where it lives and the form ----------------------------------------------------------------


def test_a_run_of_the_bundled_demo_saves_into_the_run_folder_a_team_saves_in_place(tmp_path: Path):
    demo = load_engagement(DEMO_TEMPLATE)
    location = definition_location(demo, tmp_path / "run")
    assert location.bundled and location.source == DEMO_DEFINITION
    assert location.path == tmp_path / "run" / "definition" / "definition_of_done.yaml"
    assert location.current() == load_definition(DEMO_DEFINITION)

    team = load_engagement(create_engagement(tmp_path / "team", template=DEMO_TEMPLATE))
    location = definition_location(team, tmp_path / "run")
    assert not location.bundled and location.path == location.source
    assert location.source == team.folder / "definition_of_done.yaml"


def test_the_form_shows_each_attestation_and_save_writes_what_it_shows(tmp_path: Path):
    path = tmp_path / "run" / "definition" / "definition_of_done.yaml"
    form = attestation_form(path, source=DEMO_DEFINITION)
    assert list(form.who) == [item.id for item in load_definition(DEMO_DEFINITION).attested]
    assert form.who["owner-named"].value == "Priya Raman, head of member services"
    assert form.date["owner-named"].value == dt.date(2026, 11, 6)
    assert form.who["on-call-agreed"].value == "" and form.date["on-call-agreed"].value is None
    assert "pb-attest-on-call-agreed-who" in form.who["on-call-agreed"]._dom_classes
    assert not path.exists()

    form.who["on-call-agreed"].value = "Northwind platform on-call lead"
    form.date["on-call-agreed"].value = dt.date(2026, 11, 25)
    form.link["on-call-agreed"].value = "https://wiki/on-call"
    form.save_button.click()

    saved = load_definition(path)
    assert saved.attested[2].attested_by == "Northwind platform on-call lead"
    assert saved.attested[2].date == dt.date(2026, 11, 25)
    assert saved.automated == load_definition(DEMO_DEFINITION).automated
    assert DEMO_DEFINITION.read_bytes() != path.read_bytes()  # the template was not written
    assert "Saved" in form.status.value and "3 of 5 attestations complete" in form.status.value
    assert "Northwind platform on-call lead" in form.saved.value
    assert form.definition == saved
    assert attestation_form(path).who["on-call-agreed"].value == "Northwind platform on-call lead"


def test_headless_the_form_only_reads_the_file(tmp_path: Path):
    form = attestation_form(
        tmp_path / "definition_of_done.yaml", DEMO_DEFINITION, interactive=False
    )
    assert form.widget is None and form.who == {}
    assert form.definition == load_definition(DEMO_DEFINITION)
    table = form.table()
    assert list(table["met"]) == [True, True, False, False, False]
    assert form.values() == form.definition and form.save() is None
    assert not (tmp_path / "definition_of_done.yaml").exists()


def test_without_a_file_the_form_says_where_it_comes_from_and_cannot_save(tmp_path: Path):
    form = attestation_form(tmp_path / "definition_of_done.yaml")
    assert form.definition is None
    assert "templates/client/definition_of_done.yaml" in form.status.value
    assert form.save_button.disabled and form.save() is None


# -- the reference page -------------------------------------------------------------------------


def test_every_field_of_the_file_is_on_the_reference_page():
    page = (TEMPLATES_DIR / "formats.md").read_text(encoding="utf-8")
    section = page.split("## definition_of_done.yaml", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([A-Za-z_][\w.-]*)`", section))
    for model in (DefinitionOfDone, AutomatedItem, AttestedItem):
        missing = set(model.model_fields) - documented
        assert not missing, f"{model.__name__}: {sorted(missing)} not in templates/formats.md"
