"""Notebook 02's checks on a small world: each proven on a pipeline that has the property and on
one that lacks it, with the upstream format-change drill on both reference profiles."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from playbook.decisions import UpdateCadence
from playbook.engagement import DEPTH_BUDGETS, Engagement, load_engagement
from playbook.errors import PlaybookError
from playbook.gaps import data
from playbook.reference.sources import SourceRecord
from playbook.reference.system import ReferenceSystem
from playbook.targets import connect

BUDGET = DEPTH_BUDGETS["quick"]
WINDOW = UpdateCadence(cadence_hours=24, warn_after_hours=24, error_after_hours=72)
TOLERANCE = 0.05
DATE = "2026-10-03T09:15:00Z"

USERS = {
    "groups": {"all-staff": "everyone", "engineering": "engineers"},
    "users": [
        {"id": "u-ana", "name": "Ana Lind", "role": "agent", "groups": [], "token": "tok-ana"},
        {
            "id": "u-eli",
            "name": "Eli Novak",
            "role": "engineer",
            "groups": ["engineering"],
            "token": "tok-eli",
        },
    ],
}
HANDBOOK = {
    "leave.md": (
        "HB-1",
        "Annual leave policy",
        "Every employee receives 27 days of annual leave per calendar year. Up to five unused "
        "days carry over into the next year.",
    ),
    "expenses.md": (
        "HB-2",
        "Expense claims",
        "Submit expense claims within 30 days with the receipts attached. Meals on business "
        "travel are reimbursed up to 60 euros per day.",
    ),
    "parental.md": (
        "HB-3",
        "Parental leave",
        "Parents receive 20 weeks of paid parental leave, to be taken within two years.",
    ),
}
WIKI = {
    "vpn.html": (
        "WK-1",
        "Gatehouse VPN setup",
        "Gatehouse VPN error GV-12 means the laptop clock is wrong; turn on automatic time sync.",
        "all-staff",
    ),
    "deploy.html": (
        "WK-2",
        "Deployment runbook",
        "Deployments to production run every Tuesday through the release pipeline.",
        "engineering",
    ),
}
RECORDS = {
    "hours.json": (
        "RC-1",
        "Office opening hours",
        "The Lisbon office is open from 8:00 to 19:00 on weekdays.",
    ),
    "parking.json": (
        "RC-2",
        "Parking permits",
        "Parking permits for the staff car park are renewed every January at reception.",
    ),
}
GOLDEN = [
    ("g1", "How many days of annual leave does an employee receive?", "u-ana", "HB-1"),
    ("g2", "Within how many days must expense claims be submitted?", "u-ana", "HB-2"),
    ("g3", "How many weeks of paid parental leave do parents receive?", "u-ana", "HB-3"),
    ("g4", "What does Gatehouse VPN error GV-12 mean?", "u-ana", "WK-1"),
    ("g5", "On which day do deployments to production run?", "u-eli", "WK-2"),
    ("g6", "When is the Lisbon office open?", "u-ana", "RC-1"),
    ("g7", "When are parking permits for the staff car park renewed?", "u-ana", "RC-2"),
]


def markdown(doc_id: str | None, title: str, body: str, **meta: object) -> str:
    """A handbook page in the ingest contract's markdown format (None drops the id)."""
    front = {"id": doc_id, "title": title, "source": "handbook", "owner": "people-team"}
    front |= {"updated_at": DATE, "groups": ["all-staff"], **meta}
    if doc_id is None:
        del front["id"]
    return "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n\n" + body + "\n"


def html(doc_id: str, title: str, body: str, groups: str, template: str = "v1") -> str:
    """A wiki page; the v2 template renames the id meta and moves the content out of <article>."""
    id_meta = "doc-id" if template == "v1" else "document-id"
    content = (
        f"<article><h1>{title}</h1><p>{body}</p></article>"
        if template == "v1"
        else f'<div class="page-body"><h1>{title}</h1><p>{body}</p></div>'
    )
    return (
        f'<!doctype html><html><head><title>{title}</title><meta name="{id_meta}" '
        f'content="{doc_id}"><meta name="owner" content="platform"><meta name="updated-at" '
        f'content="{DATE}"><meta name="groups" content="{groups}"><meta name="source" '
        f'content="wiki"></head><body><nav>Home | Search | Sign in to the wiki | Popular pages '
        f"| Recently viewed</nav>{content}<footer>Copyright Northwind wiki team. Report a "
        "broken page.</footer></body></html>"
    )


def record(doc_id: str, title: str, body: str) -> dict[str, object]:
    """A record in the contract's json format."""
    return {
        "id": doc_id,
        "title": title,
        "body": body,
        "owner": "facilities",
        "updated_at": DATE,
        "groups": ["all-staff"],
        "source": "records",
    }


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def build_world(root: Path, target: str = "reference:prototype", **target_extra) -> Path:
    """Sources in three formats, a v2 drop that changes each format, users, golden set."""
    for name, (doc_id, title, body) in HANDBOOK.items():
        write(root / "corpus" / "handbook" / name, markdown(doc_id, title, body))
    for name, (doc_id, title, body, groups) in WIKI.items():
        write(root / "corpus" / "wiki" / name, html(doc_id, title, body, groups))
    for name, (doc_id, title, body) in RECORDS.items():
        write(root / "corpus" / "records" / name, json.dumps(record(doc_id, title, body)))
    # the v2 drop: an empty handbook page, a wiki page in the new template, a renamed record body
    write(root / "drop" / "handbook" / "leave.md", markdown("HB-1", HANDBOOK["leave.md"][1], ""))
    doc_id, title, body, groups = WIKI["vpn.html"]
    write(root / "drop" / "wiki" / "vpn.html", html(doc_id, title, body, groups, "v2"))
    doc_id, title, body = RECORDS["hours.json"]
    changed = record(doc_id, title, body)
    changed["content"] = changed.pop("body")
    changed |= {"updated_at": "24/11/2026 09:15", "groups": "all-staff"}
    write(root / "drop" / "records" / "hours.json", json.dumps(changed))
    write(root / "users.yaml", yaml.safe_dump(USERS, sort_keys=False))
    golden = [
        {"id": gid, "question": q, "user": user, "gold_docs": [doc], "reference_answer": ""}
        for gid, q, user, doc in GOLDEN
    ]
    golden.append(
        {
            "id": "g8",
            "question": "What is the dress code on Mars?",
            "user": "u-ana",
            "gold_docs": [],
            "answerable": False,
        }
    )
    write(root / "golden.jsonl", "".join(json.dumps(item) + "\n" for item in golden))
    engagement = {
        "name": "data-world",
        "depth": "quick",
        "target": {"spec": target, **target_extra},
        "data_sources": [
            {"name": "handbook", "path": "corpus/handbook", "format": "markdown"},
            {"name": "wiki", "path": "corpus/wiki", "format": "html"},
            {"name": "records", "path": "corpus/records", "format": "json"},
        ],
        "users": "users.yaml",
        "golden_set": "golden.jsonl",
    }
    write(root / "engagement.yaml", yaml.safe_dump(engagement, sort_keys=False))
    return root


def exercise_of(root: Path, spec: str, **switches: bool) -> data.Exercise:
    engagement = load_engagement(root)
    if switches:
        engagement = engagement.with_overrides(target__switches=switches)
    target = connect(spec, engagement, workdir=root / f"target-{spec.split(':')[1]}")
    try:
        return data.run_exercise(target, engagement, root / "work", BUDGET, str(root / "drop"))
    finally:
        target.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_world(tmp_path_factory.mktemp("data-world"))


@pytest.fixture(scope="module")
def prototype(world: Path) -> data.PipelineExercise:
    exercise = exercise_of(world, "reference:prototype")
    assert isinstance(exercise, data.PipelineExercise), exercise
    return exercise


@pytest.fixture(scope="module")
def production(world: Path) -> data.PipelineExercise:
    exercise = exercise_of(world, "reference:production")
    assert isinstance(exercise, data.PipelineExercise), exercise
    return exercise


@pytest.fixture(scope="module")
def fresh_table(world: Path):
    """The freshness table of a just-ingested target: every source fresh."""
    engagement = load_engagement(world)
    target = connect("reference:production", engagement, workdir=world / "fresh-table")
    try:
        return data.freshness_table(target, engagement, WINDOW)
    finally:
        target.close()


# ---- the drill --------------------------------------------------------------------------------


def test_drill_fails_on_the_prototype_because_the_broken_documents_reach_answers(
    prototype: data.PipelineExercise,
) -> None:
    check = data.check_format_drill(prototype, TOLERANCE)
    assert check.status == "fail"
    quality = prototype.quality().set_index("phase")
    assert quality.loc["during", "hit rate"] < quality.loc["before", "hit rate"] - TOLERANCE
    drop = prototype.step("upstream drop")
    assert drop is not None and drop.quarantined == 0  # indexed, not stopped
    assert set(prototype.reached_index or ()) == set(prototype.drifted_paths)


def test_drill_passes_on_production_because_the_last_good_version_is_served(
    production: data.PipelineExercise,
) -> None:
    check = data.check_format_drill(production, TOLERANCE)
    assert check.status == "pass", check.detail
    drop = production.step("upstream drop")
    assert drop is not None and drop.quarantined == 3 and drop.kept_last_good == 3
    quality = production.quality().set_index("phase")
    assert quality.loc["during", "hit rate"] == quality.loc["before", "hit rate"]


def test_quarantine_never_loses_a_document(
    prototype: data.PipelineExercise, production: data.PipelineExercise
) -> None:
    for exercise in (prototype, production):
        ingests = [step for step in exercise.steps if step.read is not None]
        assert ingests and all(step.counts_add_up for step in ingests)
    drop = production.step("upstream drop")
    assert drop is not None and drop.ingested + drop.quarantined == drop.read


def test_counts_that_do_not_add_up_fail_validation(production: data.PipelineExercise) -> None:
    steps = list(production.steps)
    steps[0] = replace(steps[0], read=(steps[0].read or 0) + 1)  # one document went missing
    check = data.check_validation(replace(production, steps=tuple(steps)))
    assert check.status == "fail" and "counts do not add up" in check.detail


# ---- validation, change detection, schema drift --------------------------------------------------


def test_invalid_documents_are_indexed_by_the_prototype_and_quarantined_by_production(
    prototype: data.PipelineExercise, production: data.PipelineExercise
) -> None:
    failed = data.check_validation(prototype)
    assert failed.status == "fail" and failed.observed == 0.0
    assert all(probe.indexed for probe in prototype.probes)
    passed = data.check_validation(production)
    assert passed.status == "pass", passed.detail
    assert {probe.rule for probe in production.probes} == set(data.INVALID_PROBES)
    assert all(probe.handled and probe.check and probe.reason for probe in production.probes)
    probe_version = production.step("validation probes").version  # type: ignore[union-attr]
    assert {probe.version for probe in production.probes} == {probe_version}
    assert production.served_invalid == 0 and (prototype.served_invalid or 0) > 0


def test_reingesting_an_unchanged_corpus_changes_nothing_on_either_profile(
    prototype: data.PipelineExercise, production: data.PipelineExercise
) -> None:
    for exercise in (prototype, production):
        step = exercise.step("re-ingest, nothing changed")
        assert step is not None
        assert (step.added, step.changed, step.deleted) == (0, 0, 0)
        assert step.unchanged == len(HANDBOOK) + len(WIKI) + len(RECORDS)
        assert step.misclassified == ()


def test_a_lost_id_turns_a_format_change_into_phantom_adds_and_deletes_on_the_prototype(
    prototype: data.PipelineExercise, production: data.PipelineExercise
) -> None:
    failed = data.check_change_detection(prototype)
    assert failed.status == "fail" and failed.observed == 2
    assert "WK-1: reported deleted" in failed.detail and "vpn: reported added" in failed.detail
    passed = data.check_change_detection(production)
    assert passed.status == "pass" and passed.observed == 0, passed.detail


def test_schema_drift_is_reported_and_kept_out_of_the_index_on_production_only(
    prototype: data.PipelineExercise, production: data.PipelineExercise
) -> None:
    drift = {(item.source, item.field, item.change) for item in production.drift}
    assert {
        ("handbook", "body", "kind"),
        ("wiki", "id", "missing"),
        ("wiki", "body", "missing"),
        ("records", "body", "missing"),
        ("records", "content", "new"),
        ("records", "updated_at", "kind"),
        ("records", "groups", "kind"),
    } <= drift
    assert len(production.drifted_paths) == 3
    assert data.check_schema_drift(production).status == "pass"
    failed = data.check_schema_drift(prototype)
    assert failed.status == "fail" and "3 reached the index, 0 were reported" in failed.detail


def test_a_drop_without_drift_leaves_schema_drift_unmeasured(
    production: data.PipelineExercise,
) -> None:
    clean = replace(production, drift=(), drifted_paths=(), reached_index=(), reported=())
    assert data.check_schema_drift(clean).status == "skip"


def test_turning_off_ingest_validation_fails_validation_and_schema_drift(world: Path) -> None:
    exercise = exercise_of(world, "reference:production", ingest_validation=False)
    assert isinstance(exercise, data.PipelineExercise)
    assert data.check_validation(exercise).status == "fail"
    assert data.check_schema_drift(exercise).status == "fail"
    assert data.check_format_drill(exercise, TOLERANCE).status == "fail"


def test_turning_off_serve_last_good_fails_the_drill_though_documents_are_quarantined(
    world: Path,
) -> None:
    exercise = exercise_of(world, "reference:production", serve_last_good=False)
    assert isinstance(exercise, data.PipelineExercise)
    check = data.check_format_drill(exercise, TOLERANCE)
    assert check.status == "fail" and "quarantined 3, kept 0 last good" in check.detail
    assert data.check_validation(exercise).status == "pass"
    assert data.check_schema_drift(exercise).status == "pass"
    assert data.check_change_detection(exercise).status == "pass"  # deletions are explained


# ---- recovery and lineage ------------------------------------------------------------------------


def test_rollback_restores_quality_and_a_deleted_document_leaves_the_answers(
    prototype: data.PipelineExercise, production: data.PipelineExercise
) -> None:
    for exercise in (prototype, production):
        check = data.check_recovery(exercise, TOLERANCE)
        assert check.status == "pass", check.detail
        assert exercise.rollback_exact is True and exercise.deletion_removed is True


def test_recovery_fails_when_answers_do_not_return_or_a_deleted_document_stays(
    prototype: data.PipelineExercise,
) -> None:
    stuck = tuple(replace(q, outcome="empty") if q.phase == "after" else q for q in prototype.asked)
    assert data.check_recovery(replace(prototype, asked=stuck), TOLERANCE).status == "fail"
    lingering = replace(prototype, deletion_removed=False)
    check = data.check_recovery(lingering, TOLERANCE)
    assert check.status == "fail" and "still shows in answers" in check.detail


def test_every_cited_source_traces_to_a_file_and_an_ingest_version(
    production: data.PipelineExercise,
) -> None:
    check = data.check_lineage(production)
    assert check.status == "pass" and check.observed == 1.0
    assert all(record.version is not None and record.path for record in production.lineage)


def test_lineage_fails_for_an_untraceable_citation_and_warns_without_versions(
    production: data.PipelineExercise,
) -> None:
    ghost = data.LineageRecord("during", "XX-9", None, None, False, "not a served document")
    broken = replace(production, lineage=(*production.lineage, ghost))
    assert data.check_lineage(broken).status == "fail"
    unversioned = tuple(replace(record, version=None) for record in production.lineage)
    assert data.check_lineage(replace(production, lineage=unversioned)).status == "warn"
    assert data.check_lineage(replace(production, lineage=())).status == "fail"


# ---- freshness -------------------------------------------------------------------------------


def test_freshness_judges_the_served_age_against_the_decided_window(world: Path) -> None:
    engagement = load_engagement(world)
    target = connect("reference:production", engagement, workdir=world / "fresh")
    try:
        now = dt.datetime.now(dt.UTC)
        statuses = {}
        for hours in (0, 30, 100):
            table = data.freshness_table(
                target, engagement, WINDOW, now + dt.timedelta(hours=hours)
            )
            statuses[hours] = data.check_freshness(table, WINDOW).status
            assert list(table["source"]) == ["handbook", "wiki", "records"]
        assert statuses == {0: "pass", 30: "warn", 100: "fail"}
    finally:
        target.close()


def test_a_document_held_back_is_as_old_as_its_last_good_version(world: Path, tmp_path) -> None:
    engagement = load_engagement(world)
    target = connect("reference:production", engagement, workdir=tmp_path / "held")
    try:
        system = target.system  # type: ignore[attr-defined]
        system.ingest(
            [
                source.model_copy(update={"path": str(world / "drop" / source.name)})
                for source in system.sources
            ]
        )  # the whole source replaced by the drop: its broken documents are held back
        table = data.freshness_table(target, engagement, WINDOW).set_index("source")
        assert table.loc["records", "held_back"] == 1
        assert table.loc["records", "oldest_age_h"] > table.loc["records", "newest_age_h"]
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=23.99)
        aged = data.freshness_table(target, engagement, WINDOW, later).set_index("source")
        assert aged.loc["records", "status"] in ("pass", "warn")
    finally:
        target.close()


def test_a_cache_that_outlives_an_ingest_fails_freshness(
    world: Path, fresh_table, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ReferenceSystem, "_clear_cache", lambda self: None)
    exercise = exercise_of(world, "reference:production")
    assert isinstance(exercise, data.PipelineExercise)
    assert not exercise.arrival.arrived
    check = data.check_freshness(fresh_table, WINDOW, exercise)
    assert check.status == "fail" and "never reached answers" in check.detail


def test_a_change_reaches_answers_within_the_cadence_on_both_profiles(
    prototype: data.PipelineExercise, production: data.PipelineExercise, fresh_table
) -> None:
    table = fresh_table
    for exercise in (prototype, production):
        assert exercise.arrival.arrived and exercise.arrival.seconds is not None
        assert data.check_freshness(table, WINDOW, exercise).status == "pass"
    slow = UpdateCadence(cadence_hours=80, warn_after_hours=80, error_after_hours=80)
    assert data.check_freshness(table, slow, production).status == "fail"


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


# ---- targets that are not the reference system ------------------------------------------------


TEAM_MODULE = '''
"""A team's own pipeline: the reference system behind a plain function, with an ingest hook."""
import os
from pathlib import Path

from playbook.reference.switches import Hardening
from playbook.reference.system import ReferenceSystem
from playbook.reference.users import UserDirectory

HERE = Path(__file__).parent
SYSTEM = ReferenceSystem(
    Hardening.preset("production"), HERE / "team-store", [], UserDirectory.load(HERE / "users.yaml")
)
CALLS = []


def answer(question, user=None):
    return SYSTEM.ask(question, user)


def ingest(sources):
    CALLS.append([source.path for source in sources])
    report = SYSTEM.ingest(sources)
    return {"read": report.read, "added": report.added, "changed": report.changed,
            "deleted": report.deleted, "unchanged": report.unchanged,
            "quarantined": len(report.quarantined)}
'''


def team_world(root: Path, module: str, hook: bool) -> Engagement:
    extra = {"ingest_hook": f"python:{module}:ingest"} if hook else {}
    build_world(root, f"python:{module}:answer", **extra)
    write(root / f"{module}.py", TEAM_MODULE)
    engagement = load_engagement(root)
    if not hook:  # without a hook the team ingests on its own; here, once, before measuring
        from playbook.targets.python_callable import load_callable

        load_callable(f"python:{module}:ingest", search_path=root)(
            [
                s.model_copy(update={"path": str(engagement.resolve(s.path))})
                for s in engagement.data_sources
            ]
        )
    return engagement


def test_a_target_without_an_ingest_hook_skips_the_drill_and_traces_citations_to_files(
    tmp_path: Path,
) -> None:
    engagement = team_world(tmp_path, "team_no_hook", hook=False)
    target = connect(None, engagement)
    exercise = data.run_exercise(target, engagement, tmp_path / "w", BUDGET, str(tmp_path / "drop"))
    assert isinstance(exercise, data.Unavailable) and exercise.status == "skip"
    assert "ingest_hook" in exercise.reason
    for check in (
        data.check_validation(exercise),
        data.check_change_detection(exercise),
        data.check_format_drill(exercise, TOLERANCE),
        data.check_recovery(exercise, TOLERANCE),
    ):
        assert check.status == "skip" and "ingest_hook" in check.detail
    lineage = data.lineage_source(exercise, target, engagement, BUDGET)
    check = data.check_lineage(lineage)
    assert check.status == "warn" and "not visible from outside" in check.detail
    assert all(record.path and record.path.startswith(str(tmp_path)) for record in lineage.lineage)
    table = data.freshness_table(target, engagement, WINDOW)
    assert set(table["basis"]) == {"source file times (what the target can have at best)"}
    assert data.check_freshness(table, WINDOW, exercise).status == "pass"


def test_an_ingest_hook_lets_the_drill_run_on_a_team_pipeline(tmp_path: Path) -> None:
    import sys

    engagement = team_world(tmp_path, "team_with_hook", hook=True)
    target = connect(None, engagement)
    exercise = data.run_exercise(target, engagement, tmp_path / "w", BUDGET, str(tmp_path / "drop"))
    assert isinstance(exercise, data.PipelineExercise) and not exercise.visible
    assert data.check_format_drill(exercise, TOLERANCE).status == "pass"
    assert data.check_recovery(exercise, TOLERANCE).status == "pass"
    assert data.check_validation(exercise).status == "pass"  # kept out, 5 reported quarantined
    assert data.check_change_detection(exercise).status == "pass"
    assert data.check_schema_drift(exercise).status == "skip"
    assert exercise.arrival.arrived
    calls = sys.modules["team_with_hook"].CALLS
    declared = [str(engagement.resolve(s.path)) for s in engagement.data_sources]
    assert calls[-1] == declared  # the team's pipeline gets its own sources back afterwards


def test_without_a_usable_drop_only_the_drill_and_schema_drift_are_skipped(
    world: Path, tmp_path: Path
) -> None:
    (tmp_path / "elsewhere" / "blog").mkdir(parents=True)
    engagement = load_engagement(world)
    target = connect("reference:production", engagement, workdir=tmp_path / "t")
    try:
        for drop, reason in ((str(tmp_path / "elsewhere"), "handbook"), ("", "upstream_drop")):
            exercise = data.run_exercise(target, engagement, tmp_path / "w", BUDGET, drop)
            assert isinstance(exercise, data.PipelineExercise) and exercise.drop is None
            for check in (
                data.check_format_drill(exercise, TOLERANCE),
                data.check_schema_drift(exercise),
            ):
                assert check.status == "skip" and reason in check.detail
            assert data.check_validation(exercise).status == "pass"
            assert data.check_change_detection(exercise).status == "pass"
            assert data.check_recovery(exercise, TOLERANCE).status == "pass"
    finally:
        target.close()


def test_citations_of_a_reference_target_trace_through_its_own_lineage(world: Path) -> None:
    engagement = load_engagement(world)
    target = connect("reference:prototype", engagement, workdir=world / "traced")
    try:
        traced = data.trace_citations(target, engagement, BUDGET)
    finally:
        target.close()
    assert isinstance(traced, data.PipelineExercise) and traced.lineage
    assert all(record.version == 1 for record in traced.lineage)
    assert data.check_lineage(traced).status == "pass"


def test_tables_and_figures_build_for_a_run_and_for_an_unavailable_exercise(
    prototype: data.PipelineExercise, production: data.PipelineExercise, fresh_table
) -> None:
    assert len(data.freshness_figure(fresh_table, WINDOW).data) == 4  # 2 ages, 2 window lines
    assert list(data.steps_table(prototype).index)[-1] == "rollback"
    assert len(data.probes_table(production)) == len(data.INVALID_PROBES)
    assert set(data.quality_table([prototype, production, None])["pipeline"]) == {
        "reference:prototype",
        "reference:production",
    }
    assert len(data.quality_figure([prototype, production]).data) == 4
    assert len(data.changes_figure(prototype).data) == 6
    unavailable = data.Unavailable("no drop")
    assert list(data.steps_table(unavailable).columns) == ["not measured"]
    assert data.changes_figure(unavailable).data == ()


def test_the_companion_of_a_prototype_target_is_the_production_profile(world: Path) -> None:
    engagement = load_engagement(world)
    target = connect("reference:prototype", engagement, workdir=world / "companion")
    try:
        other = data.companion_exercise(
            target, engagement, world / "companion-work", BUDGET, str(world / "drop")
        )
    finally:
        target.close()
    assert isinstance(other, data.PipelineExercise) and other.label == "reference:production"
