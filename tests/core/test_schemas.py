"""JSON Schemas: generated from the models, and the files `playbook new` writes validate against
them, so an editor flags a mistake as the user types."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from playbook.engagement import CLIENT_TEMPLATE, DEMO_TEMPLATE, create_engagement
from playbook.schemas import MODELS, schema_of


@pytest.mark.parametrize("template", [CLIENT_TEMPLATE, DEMO_TEMPLATE])
def test_every_file_playbook_new_writes_names_its_schema_and_validates_against_it(
    tmp_path, template
):
    folder = create_engagement(tmp_path / "client", template=template)
    for name, kind in (("engagement.yaml", "engagement"), ("decisions.yaml", "decisions")):
        text = (folder / name).read_text(encoding="utf-8")
        assert text.startswith(f"# yaml-language-server: $schema=schemas/{kind}.schema.json\n")
        schema = json.loads((folder / "schemas" / f"{kind}.schema.json").read_text())
        jsonschema.validate(yaml.safe_load(text), schema)
    if (folder / "users.yaml").exists():
        users = yaml.safe_load((folder / "users.yaml").read_text())
        jsonschema.validate(users, schema_of("users"))
    if (folder / "golden.jsonl").exists():
        for line in (folder / "golden.jsonl").read_text().splitlines():
            jsonschema.validate(json.loads(line), schema_of("golden-item"))


def test_a_misspelt_field_is_flagged_by_the_schema_as_by_the_playbook(tmp_path):
    folder = create_engagement(tmp_path / "client", template=DEMO_TEMPLATE)
    data = yaml.safe_load((folder / "engagement.yaml").read_text())
    data["golden_sett"] = data.pop("golden_set")
    with pytest.raises(jsonschema.ValidationError, match="golden_sett"):
        jsonschema.validate(data, schema_of("engagement"))


def test_every_schema_is_valid_json_schema_with_described_fields():
    for kind in MODELS:
        schema = schema_of(kind)
        jsonschema.Draft202012Validator.check_schema(schema)
    engagement = schema_of("engagement")["properties"]
    assert "folder" not in engagement  # internal, never written by a user
    assert all("description" in field for field in engagement.values())
