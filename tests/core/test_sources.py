"""Data sources as teams keep them: JSON in every usual shape, fields under other names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from playbook.engagement import load_engagement
from playbook.errors import PlaybookError
from playbook.gaps import scope
from playbook.reference.settings import ReferenceSettings
from playbook.reference.switches import Hardening
from playbook.reference.system import ReferenceSystem
from playbook.sources import DataSource, read_sources
from playbook.users import UserDirectory

TOPICS = [
    ("Parking at the depot", "Staff park in bay C of the depot after 7 pm."),
    ("Chargeback handling", "Chargebacks on the Falcon card are settled within 12 working days."),
    ("Laptop returns", "Return a broken laptop to the service desk on the second floor."),
]
THEIRS = [  # a team's export: its own field names, nested metadata
    {
        "doc_id": f"KB-{n}",
        "name": title,
        "content": body,
        "meta": {"acl": ["all-staff"], "modified": "2026-10-03T09:15:00Z"},
    }
    for n, (title, body) in enumerate(TOPICS, start=1)
]
MAPPING = {"id": "doc_id", "title": "name", "body": "content", "groups": "meta.acl"}
MAPPING["updated_at"] = "meta.modified"


def source(folder: Path, **options) -> DataSource:
    return DataSource(name="kb", path=str(folder), format="json", **options)


@pytest.mark.parametrize(
    ("files", "records", "shape"),
    [
        ({"one.json": THEIRS[0], "two.json": THEIRS[1]}, None, "json object"),
        ({"all.json": THEIRS}, None, "json array"),
        ({"all.jsonl": "\n".join(json.dumps(item) for item in THEIRS)}, None, "json lines"),
        ({"wrapped.json": {"data": {"items": THEIRS}}}, "data.items", "json records"),
    ],
)
def test_json_sources_read_every_usual_shape_one_record_per_object(tmp_path, files, records, shape):
    for name, content in files.items():
        text = content if isinstance(content, str) else json.dumps(content)
        (tmp_path / name).write_text(text, encoding="utf-8")
    found, errors = read_sources([source(tmp_path, records=records, fields=MAPPING)])
    assert not errors
    assert {record.shape for record in found} == {shape}
    assert {record.declared_id for record in found} <= {"KB-1", "KB-2", "KB-3"}
    assert len(found) == sum(
        1 if isinstance(c, dict) and "doc_id" in c else 3 for c in files.values()
    )


def test_mapped_fields_let_the_production_profile_serve_a_teams_own_export(tmp_path):
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "export.json").write_text(json.dumps(THEIRS), encoding="utf-8")
    users = UserDirectory.from_mapping({"users": [{"id": "u-1"}]})
    for fields, served in (({}, 0), (MAPPING, 3)):
        settings = ReferenceSettings(
            tmp_path / f"store-{served}",
            Hardening.preset("production"),
            (source(tmp_path / "kb", fields=fields),),
            users,
        )
        with ReferenceSystem(settings) as system:
            report = system.ingest()
            assert report.ingested == served, [q.reason for q in report.quarantined]
    answer_system = ReferenceSystem(settings)
    answer_system.ingest()
    answer = answer_system.ask("How many working days until Falcon card chargebacks settle?", "u-1")
    answer_system.close()
    assert answer.sources == ("KB-2",)


def test_a_json_object_wrapping_many_records_is_named_in_notebook_00_with_the_fix(tmp_path):
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "export.json").write_text(json.dumps({"documents": THEIRS}))
    (tmp_path / "kb" / "broken.json").write_text('{"doc_id": "KB-9",')
    # a document in its own right that lists people is not a wrapper (npm's package.json)
    package = {**THEIRS[0], "doc_id": "KB-7", "contributors": [{"name": "a"}, {"name": "b"}]}
    (tmp_path / "kb" / "package.json").write_text(json.dumps(package))
    engagement = {
        "name": "wrapped",
        "data_sources": [{"name": "kb", "path": "kb", "format": "json", "fields": MAPPING}],
    }
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump(engagement))
    readings = scope.read_declared_sources(load_engagement(tmp_path))
    check = scope.check_data_sources(readings)
    assert check.status == "warn"
    assert (
        "export.json: reads as one document but holds 3 objects under 'documents'" in check.detail
    )
    assert "set records: documents" in check.detail
    assert "broken.json: malformed json" in check.detail
    assert "package.json" not in check.detail
    table = scope.data_sources_table(readings)
    assert table.loc["kb", "documents"] == 2 and table.loc["kb", "unreadable"] == 1


def test_a_bad_field_path_is_refused_when_the_engagement_loads_naming_the_field(tmp_path):
    engagement = {
        "name": "bad",
        "data_sources": [{"name": "kb", "path": "kb", "fields": {"body": "content[?"}}],
    }
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump(engagement))
    with pytest.raises(PlaybookError, match=r"data_sources\.0\.fields"):
        load_engagement(tmp_path)
    engagement["data_sources"][0]["fields"] = {"summary": "abstract"}
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump(engagement))
    with pytest.raises(PlaybookError, match=r"fields\.summary"):
        load_engagement(tmp_path)


def test_files_that_share_a_name_are_named_by_their_place_in_the_source(tmp_path):
    """Two broken `index.json` in different folders are two problems, each with its folder."""
    for folder in ("a", "b"):
        (tmp_path / "kb" / folder).mkdir(parents=True)
        (tmp_path / "kb" / folder / "index.json").write_text('["not", "records"]')
    (tmp_path / "kb" / "ok.json").write_text(json.dumps(THEIRS[0]))
    engagement = {
        "name": "shared-names",
        "data_sources": [{"name": "kb", "path": "kb", "format": "json", "fields": MAPPING}],
    }
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump(engagement))
    readings = scope.read_declared_sources(load_engagement(tmp_path))
    assert sorted(scope.unreadable_table(readings)["file"]) == ["a/index.json", "b/index.json"]
    assert "kb/a/index.json: malformed json" in scope.check_data_sources(readings).detail
