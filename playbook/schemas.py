"""JSON Schema of every file a user writes, generated from the models that read them.

Editors validate as the user types: VS Code's YAML extension and JupyterLab's YAML tooling (both
yaml-language-server) read the `# yaml-language-server: $schema=...` line `playbook new` puts at
the top of each file. The schemas are generated, never written by hand, so they cannot drift from
what the playbook accepts.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from playbook.atomic import write_text_atomic
from playbook.decisions import Decisions
from playbook.engagement import Engagement
from playbook.golden import GoldenItem
from playbook.users import UsersFile

SCHEMA_FOLDER = "schemas"
# file kind -> the model that reads it
MODELS: dict[str, type[BaseModel]] = {
    "engagement": Engagement,
    "decisions": Decisions,
    "users": UsersFile,
    "golden-item": GoldenItem,  # one line of the golden set (JSON Lines)
}
SCHEMA_LINE = "# yaml-language-server: $schema={path}\n"


def schema_of(kind: str) -> dict:
    """The JSON Schema of one kind of file."""
    schema = MODELS[kind].model_json_schema(mode="validation", by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema.setdefault("title", kind)
    return schema


def write_schemas(folder: Path) -> list[Path]:
    """Write every schema as `<kind>.schema.json` into `folder` (created); returns the files."""
    folder = Path(folder)
    written = []
    for kind in MODELS:
        text = json.dumps(schema_of(kind), indent=2, ensure_ascii=False) + "\n"
        written.append(write_text_atomic(folder / f"{kind}.schema.json", text))
    return written


def with_schema_line(text: str, kind: str, schema_folder: str = SCHEMA_FOLDER) -> str:
    """YAML text that starts with the line pointing editors at the schema of `kind`."""
    line = SCHEMA_LINE.format(path=f"{schema_folder}/{kind}.schema.json")
    if text.startswith("# yaml-language-server:"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
    return line + text
