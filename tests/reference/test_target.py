"""The index switch, the v2 upstream drop, and the reference system as a Target."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from playbook.engagement import SAMPLES_DIR, load_engagement
from playbook.reference.system import ReferenceSystem
from playbook.targets.base import Target
from playbook.targets.reference import ReferenceTarget, reference_settings

from .world import record, write

QUESTION = "How many days of annual leave do I get?"


def _spy(monkeypatch, system: ReferenceSystem) -> list[str]:
    calls: list[str] = []
    for name in ("search", "scan"):
        original = getattr(system.store, name)

        def wrapped(*args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(system.store, name, wrapped)
    return calls


def test_index_switch_chooses_fts5_over_a_full_scan(make_system, monkeypatch) -> None:
    indexed = make_system("production")
    scanning = make_system("production", switches={"index": False})
    indexed_calls, scanning_calls = _spy(monkeypatch, indexed), _spy(monkeypatch, scanning)
    assert indexed.ask(QUESTION, "u-sam").sources == scanning.ask(QUESTION, "u-sam").sources
    assert (indexed_calls, scanning_calls) == (["search"], ["scan"])
    scanned = scanning.store.scan(QUESTION, None, 5)
    assert scanned.total == scanning.store.document_count()  # every document was read


def test_a_v2_record_is_quarantined_by_production_and_indexed_by_prototype(
    make_system, world: Path
) -> None:
    v2 = record("REC-002", "Office opening hours", "", ["all-staff"])
    del v2["body"]
    v2 |= {
        "content": "The Lisbon office now opens at 7:30.",
        "updated_at": "24/11/2026 09:15",
        "groups": "all-staff",
    }
    write(world / "records" / "records.jsonl", json.dumps(v2) + "\n")
    production = make_system("production").versions()[-1]
    prototype = make_system("prototype")
    assert production.quarantined == 1 and production.kept_last_good == 0  # first ingest
    indexed = prototype.store.document("REC-002")
    assert indexed.body == "" and indexed.updated_at == "24/11/2026 09:15"


def _engagement(world: Path, tmp_path: Path, switches: dict | None = None) -> Path:
    folder = tmp_path / "engagement"
    data = {
        "name": "tiny",
        "target": {"spec": "reference:production", "switches": switches or {}},
        "data_sources": [
            {"name": "handbook", "path": str(world / "handbook"), "format": "markdown"},
            {"name": "wiki", "path": str(world / "wiki"), "format": "html"},
            {"name": "records", "path": str(world / "records"), "format": "auto"},
        ],
        "users": str(world / "users.yaml"),
    }
    write(folder / "engagement.yaml", yaml.safe_dump(data))
    return folder


def test_reference_target_ingests_on_first_use_and_cleans_up(world: Path, tmp_path: Path) -> None:
    engagement = load_engagement(_engagement(world, tmp_path))
    target = ReferenceTarget.from_engagement(engagement, "production")
    assert isinstance(target, Target) and target.spec == "reference:production"
    answer = target.ask(QUESTION, "u-sam")
    assert answer.status == "ok" and answer.sources == ("HB-001",)
    workdir = target.system.workdir
    assert target.system.store.document_count() == 7
    target.close()
    assert not workdir.exists()


def test_engagement_switches_override_the_profile_preset(world: Path, tmp_path: Path) -> None:
    engagement = load_engagement(_engagement(world, tmp_path, {"access_filter": False}))
    target = ReferenceTarget.from_engagement(engagement, "production", workdir=tmp_path / "w")
    try:
        assert target.system.hardening.access_filter is False
        assert target.system.hardening.index is True
        salary = target.ask("What is the salary band for a senior adjuster?", "u-sam")
        assert salary.sources == ("HB-003",)
    finally:
        target.close()
    assert (tmp_path / "w").exists()  # a caller's workdir is kept


def test_a_target_that_cannot_be_built_answers_with_an_error(world: Path, tmp_path) -> None:
    engagement = load_engagement(_engagement(world, tmp_path))
    broken = engagement.model_copy(update={"users": str(tmp_path / "missing.yaml")})
    target = ReferenceTarget(broken, "production")
    answer = target.ask(QUESTION, "u-sam")
    assert answer.status == "error" and "missing.yaml" in answer.text
    target.close()


@pytest.mark.skipif(
    not (SAMPLES_DIR / "users.yaml").exists(), reason="data_samples/ has not landed yet"
)
@pytest.mark.parametrize("profile", ["prototype", "production"])
def test_bundled_demo_engagement_ingests_and_answers(tmp_path: Path, profile: str) -> None:
    from playbook.engagement import DEMO_TEMPLATE

    engagement = load_engagement(DEMO_TEMPLATE)
    with ReferenceSystem(reference_settings(engagement, profile, tmp_path)) as system:
        report = system.ingest()
        assert report.read > 0 and not report.errors
        assert report.ingested + len(report.quarantined) + report.duplicates == report.read
        golden = SAMPLES_DIR / "golden.jsonl"
        if golden.exists():
            rows = [json.loads(line) for line in golden.read_text().splitlines() if line.strip()]
            answers = [system.ask(row["question"], row.get("user")) for row in rows[:10]]
            assert all(answer.status in ("ok", "refused") for answer in answers)
