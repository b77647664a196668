"""decisions.yaml: a damaged or partly filled file loads what is valid and names each invalid
field; saving keeps a backup; a run reads and saves where the engagement allows."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from playbook.decisions.files import (
    NOT_MADE,
    backup_path,
    decisions_location,
    decisions_yaml,
    load_decisions,
    save_decisions,
)
from playbook.decisions.model import REQUIRED_DECISIONS, Decisions
from playbook.engagement import DEMO_TEMPLATE, Engagement, load_engagement
from playbook.errors import PlaybookError

from .conftest import DEMO_DECISIONS, changed

DAMAGED = """\
system: Acme assistant
latency-budget:
  status: accepted
  p95_ms: fast
  retrieval_ms: 250
  confirmed_by: [latency.p95_within_budget, "not a check id"]
  colour: red
failure-policy:
  policies: {timeout: pray, server_error: refuse}
  target_graceful_share: 1.5
access-model:
  date: 2026-13-01
  identity_source: Okta
extra:
  - {title: a decision without an id}
  - {id: answer-language, title: Answers in the question's language, status: accepted}
"""


def problems_by_field(text: str, tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "decisions.yaml"
    path.write_text(text, encoding="utf-8")
    return dict(load_decisions(path).problems)


def test_damaged_file_keeps_every_valid_value(tmp_path: Path):
    path = tmp_path / "decisions.yaml"
    path.write_text(DAMAGED, encoding="utf-8")
    decisions = load_decisions(path).decisions
    assert decisions.system == "Acme assistant"
    assert decisions.latency_budget.status == "accepted"
    assert decisions.latency_budget.retrieval_ms == 250
    assert decisions.latency_budget.confirmed_by == ("latency.p95_within_budget",)
    assert decisions.failure_policy.policies.server_error == "refuse"
    assert decisions.access_model.identity_source == "Okta"
    assert [extra.id for extra in decisions.extra] == ["answer-language"]


def test_damaged_file_names_each_invalid_field_and_uses_its_default(tmp_path: Path):
    problems = problems_by_field(DAMAGED, tmp_path)
    assert "valid integer" in problems["latency-budget.p95_ms"]
    assert "'fast'" in problems["latency-budget.p95_ms"]
    assert "check id" in problems["latency-budget.confirmed_by[1]"]
    assert "unknown field" in problems["latency-budget.colour"]
    assert (
        "'retry', 'fallback', 'refuse' or 'degrade'" in problems["failure-policy.policies.timeout"]
    )
    assert "less than or equal to 1" in problems["failure-policy.target_graceful_share"]
    assert "date" in problems["access-model.date"]
    assert "id" in problems["extra[0]"]
    assert problems["data-location"] == NOT_MADE
    path = tmp_path / "decisions.yaml"
    decisions = load_decisions(path).decisions
    assert decisions.latency_budget.p95_ms == Decisions().latency_budget.p95_ms
    assert decisions.failure_policy.policies.timeout == "retry"
    assert decisions.failure_policy.target_graceful_share == 0.99
    assert decisions.access_model.date is None


def test_a_valid_file_has_no_problems():
    assert load_decisions(DEMO_DECISIONS).problems == ()


def test_missing_file_says_so_and_uses_defaults(tmp_path: Path):
    loaded = load_decisions(tmp_path / "nowhere" / "decisions.yaml")
    assert loaded.decisions == Decisions()
    [(field, message)] = loaded.problems
    assert field == "(file)" and "not found" in message and "nowhere" in message


def test_invalid_yaml_names_the_line_and_uses_defaults(tmp_path: Path):
    problems = problems_by_field("latency-budget:\n  p95_ms: [1, 2\n", tmp_path)
    assert list(problems) == ["(file)"]
    assert "not valid YAML at line" in problems["(file)"]


def test_empty_file_names_every_decision_as_not_made(tmp_path: Path):
    problems = problems_by_field("", tmp_path)
    assert list(problems) == list(REQUIRED_DECISIONS)


def test_a_list_instead_of_a_mapping_is_named(tmp_path: Path):
    problems = problems_by_field("- data-location\n", tmp_path)
    assert "mapping of decision ids" in problems["(file)"]
    problems = problems_by_field("latency-budget: [1, 2]\n", tmp_path)
    assert "mapping of fields" in problems["latency-budget"]


def test_unknown_decision_id_points_to_extra(tmp_path: Path):
    problems = problems_by_field("cost-budget: {status: accepted}\n", tmp_path)
    assert "put other decisions under 'extra'" in problems["cost-budget"]


def test_saving_keeps_the_previous_version_as_a_backup(demo: Decisions, tmp_path: Path):
    path = tmp_path / "decisions.yaml"
    path.write_text("# the team's first version\n", encoding="utf-8")
    save_decisions(demo, path)
    assert backup_path(path).read_text(encoding="utf-8") == "# the team's first version\n"
    assert load_decisions(path).decisions == demo
    second = changed(demo, "latency_budget", p95_ms=4000)
    save_decisions(second, path)
    assert load_decisions(backup_path(path)).decisions == demo
    assert load_decisions(path).decisions == second


def test_a_failed_save_leaves_the_previous_file_whole(
    demo: Decisions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = tmp_path / "decisions.yaml"
    save_decisions(demo, path)
    before = path.read_bytes()
    real_replace = os.replace

    def replace_fails_for_the_main_file(source, destination):
        if Path(destination) == path:
            raise OSError(28, "No space left on device")
        return real_replace(source, destination)

    monkeypatch.setattr(os, "replace", replace_fails_for_the_main_file)
    with pytest.raises(PlaybookError, match=r"decisions.yaml: cannot write decisions"):
        save_decisions(changed(demo, "latency_budget", p95_ms=4000), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["decisions.yaml", "decisions.yaml.bak"]


def test_written_file_starts_with_a_header_and_keeps_decision_ids_as_keys(demo: Decisions):
    text = decisions_yaml(demo)
    assert text.startswith("# Architecture decisions")
    for decision_id in REQUIRED_DECISIONS:
        assert f"\n{decision_id}:\n" in text


def test_decisions_survive_a_round_trip_through_yaml(demo: Decisions, tmp_path: Path):
    edited = changed(demo, "latency_budget", p95_ms=3100, time_to_first_token_ms=700)
    edited = changed(edited, "data_location", context="line one\nline two: with a colon")
    path = save_decisions(edited, tmp_path / "decisions.yaml")
    loaded = load_decisions(path)
    assert loaded.ok, loaded.problems
    assert loaded.decisions == edited
    assert loaded.decisions != demo
    assert "context: |-\n    line one\n    line two: with a colon" in path.read_text()


def test_a_team_engagement_saves_into_its_own_folder(engagement: Engagement, tmp_path: Path):
    location = decisions_location(engagement, tmp_path / "run")
    assert not location.bundled
    assert location.path == location.source == engagement.folder / "decisions.yaml"
    assert location.adr == engagement.folder / "adr"


def test_current_decisions_prefer_the_saved_copy(demo: Decisions, tmp_path: Path):
    location = decisions_location(load_engagement(DEMO_TEMPLATE), tmp_path / "run")
    assert location.current().decisions == demo
    saved = changed(demo, "latency_budget", p95_ms=4100)
    save_decisions(saved, location.path)
    assert location.current().decisions == saved
