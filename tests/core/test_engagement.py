from pathlib import Path

import pytest

from playbook.engagement import (
    DEMO_TEMPLATE,
    SAMPLES_DIR,
    create_engagement,
    load_engagement,
)
from playbook.errors import PlaybookError

VALID = """
name: acme-support
client: ACME
depth: quick
target: {spec: "reference:production"}
data_sources:
  - {name: handbook, path: docs, format: markdown}
users: users.yaml
golden_set: golden.jsonl
gate: {min_readiness: 0.7}
notebooks:
  "04": {peak_rate_per_s: 5}
"""


def write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "engagement.yaml").write_text(text, encoding="utf-8")
    return folder


def test_a_valid_engagement_loads_with_paths_resolved_against_its_folder(tmp_path):
    engagement = load_engagement(write(tmp_path / "acme", VALID))
    assert engagement.name == "acme-support"
    assert engagement.target.spec == "reference:production"
    assert engagement.resolve("docs") == (tmp_path / "acme" / "docs").resolve()
    assert engagement.resolve("samples:golden.jsonl") == SAMPLES_DIR / "golden.jsonl"
    assert engagement.settings_for("04_latency") == {"peak_rate_per_s": 5}
    assert engagement.budget.questions > 0


def test_the_bundled_demo_engagement_is_valid_and_points_at_the_reference_system():
    engagement = load_engagement(DEMO_TEMPLATE)
    assert engagement.target.spec.startswith("reference:")
    assert engagement.depth == "quick"


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("name: x\ndepth: 3\n", ["depth", "quick"]),
        ("name: x\ncolour: blue\n", ["colour", "unknown field"]),
        ("client: no name\n", ["name", "missing"]),
        ("name: x\ntarget: {spec: 'ftp://nowhere'}\n", ["target.spec", "unknown target spec"]),
        ("name: x\ntarget: {spec: 'reference:staging'}\n", ["target.spec", "staging"]),
        ("name: x\ngate: {min_readiness: 1.5}\n", ["gate.min_readiness", "1"]),
        ("name: x\nnotebooks: {'09': {}}\n", ["notebooks", "unknown notebook"]),
        ("name: x\ndata_sources: [{name: a, path: b, format: xls}]\n", ["data_sources.0.format"]),
        (
            "name: x\ntarget: {switches: {timeoutz: false}}\n",
            ["target.switches", "'timeoutz'", "timeouts"],
        ),
    ],
)
def test_a_bad_field_is_named_with_the_file_and_what_was_expected(tmp_path, text, names):
    folder = write(tmp_path / "bad", text)
    with pytest.raises(PlaybookError) as caught:
        load_engagement(folder)
    message = str(caught.value)
    assert str(folder / "engagement.yaml") in message
    for name in names:
        assert name in message
    assert "\n" not in message


def test_unreadable_yaml_names_the_line(tmp_path):
    folder = write(tmp_path / "broken", "name: x\ntarget: {spec: [\n")
    with pytest.raises(PlaybookError, match=r"engagement.yaml: not valid YAML at line \d+"):
        load_engagement(folder)


def test_a_missing_engagement_file_says_how_to_create_one(tmp_path):
    with pytest.raises(PlaybookError, match="playbook new"):
        load_engagement(tmp_path / "nowhere")


def test_a_top_level_list_is_refused(tmp_path):
    with pytest.raises(PlaybookError, match="mapping"):
        load_engagement(write(tmp_path / "list", "- a\n- b\n"))


def test_command_line_overrides_are_validated_like_the_file(tmp_path):
    engagement = load_engagement(write(tmp_path / "acme", VALID))
    changed = engagement.with_overrides(target__spec="http://127.0.0.1:9/v1/ask", depth="thorough")
    assert changed.target.spec == "http://127.0.0.1:9/v1/ask"
    assert changed.depth == "thorough"
    assert changed.folder == engagement.folder
    with pytest.raises(PlaybookError, match="target.spec"):
        engagement.with_overrides(target__spec="nonsense")


def test_new_engagement_refuses_a_non_empty_folder_unless_forced(tmp_path):
    folder = tmp_path / "client"
    create_engagement(folder)
    assert load_engagement(folder).name
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(PlaybookError, match="not empty"):
        create_engagement(folder)
    create_engagement(folder, force=True)
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_a_misspelt_switch_given_to_the_reference_target_stops_it_once(tmp_path):
    """Switches a notebook or a scenario passes straight to the target: refused when it is made,
    not by an error in every answer it gives."""
    from playbook.targets.reference import ReferenceTarget

    with pytest.raises(PlaybookError, match="unknown hardening switch 'timeoutz'"):
        ReferenceTarget(load_engagement(DEMO_TEMPLATE), "production", tmp_path, {"timeoutz": False})


@pytest.mark.parametrize("template", ["--demo", "--template=client"])
def test_the_command_playbook_new_suggests_runs_as_pasted_for_a_folder_with_spaces(
    tmp_path, template
):
    """`playbook new "my demo [x]"` suggests a command a shell runs as it is printed."""
    import shlex

    from tests.e2e.conftest import playbook

    created = playbook("new", "my demo [x]", template, cwd=tmp_path)

    assert created.code == 0, created.stderr
    command = created.stdout.rsplit("playbook run ", 1)[1].strip()
    assert shlex.split(command) == ["my demo [x]"]
