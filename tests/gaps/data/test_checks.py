"""The checks of notebook 02 on the small world: each proven on a pipeline that has the property
and on one that lacks it, the upstream format-change drill on both reference profiles."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from playbook.gaps import data

from .world import (
    DATE,
    HANDBOOK,
    RECORDS,
    TOLERANCE,
    WIKI,
    build_world,
    exercise_of,
)

# ---- the drill --------------------------------------------------------------------------------


def test_drill_fails_on_the_prototype_because_the_broken_documents_reach_answers(
    prototype: data.PipelineExercise,
) -> None:
    check = data.check_format_drill(prototype, TOLERANCE)
    assert check.status == "fail"
    quality = data.quality_table([prototype]).set_index("phase")
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
    quality = data.quality_table([production]).set_index("phase")
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


def test_a_pipeline_that_serves_nothing_gives_errors_never_passes(tmp_path: Path) -> None:
    root = build_world(tmp_path / "nothing", "reference:production")
    for path in (root / "corpus").rglob("*.*"):  # every document loses its date: all quarantined
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(DATE, "someday"), encoding="utf-8")
    exercise = exercise_of(root, "reference:production")
    assert isinstance(exercise, data.PipelineExercise)
    assert "served no document" in (exercise.serves_nothing() or "")
    for check in (
        data.check_validation(exercise),
        data.check_change_detection(exercise),
        data.check_schema_drift(exercise),
        data.check_format_drill(exercise, TOLERANCE),
        data.check_recovery(exercise, TOLERANCE),
    ):
        assert check.status == "error", (check.id, check.status, check.detail)
        assert "served no document" in check.detail and "it needs" in check.detail
