"""The build script is deterministic, and the committed files are exactly what it builds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .sample_files import SAMPLES

SCRIPT = SAMPLES / "build_samples.py"


def tree(root: Path) -> dict[str, bytes]:
    """Every file under `root` by relative path."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def run_build(out: Path, hash_seed: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out)],
        check=True,
        capture_output=True,
        env=env,
        timeout=120,
    )


@pytest.fixture(scope="module")
def fresh_build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("samples-a")
    run_build(out, "1")
    return out


def test_two_builds_are_byte_identical(fresh_build, tmp_path):
    run_build(tmp_path, "4242")  # a different hash seed must not change anything
    first, second = tree(fresh_build), tree(tmp_path)
    assert len(first) > 250
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []


def test_committed_samples_match_a_fresh_build(fresh_build, build_module):
    built = tree(fresh_build)
    committed = {
        name: content
        for name, content in tree(SAMPLES).items()
        if name.startswith(build_module.MANAGED) or "/" not in name
    }
    committed.pop("README.md")
    committed.pop("build_samples.py")
    stale = sorted(set(committed) - set(built))
    missing = sorted(set(built) - set(committed))
    changed = sorted(
        name for name in built.keys() & committed.keys() if built[name] != committed[name]
    )
    assert (stale, missing, changed) == ([], [], []), "run python data_samples/build_samples.py"


def test_a_rebuild_removes_stale_generated_files_and_keeps_others(
    fresh_build, tmp_path, build_module
):
    files, _ = build_module.build_files()
    (tmp_path / "corpus" / "handbook").mkdir(parents=True)
    stale = tmp_path / "corpus" / "handbook" / "HB-9999-old-page.md"
    stale.write_text("---\nid: HB-9999\n---\n")
    notes = tmp_path / "NOTES.txt"
    notes.write_text("mine")
    removed = build_module.write_tree(tmp_path, files)
    assert removed == [stale] and not stale.exists() and notes.read_text() == "mine"
    assert tree(tmp_path).keys() - {"NOTES.txt"} == tree(fresh_build).keys()


def test_markup_marks_become_answers_and_facts(build_module):
    blocks, answers, facts = build_module.parse_markup(
        """
        ## Limits
        [[The cap is {{48.2 million}} dollars.]] Other text.

        - first item
          continues here
        - second
        """
    )
    assert [block.kind for block in blocks] == ["h2", "p", "ul"]
    assert blocks[1].items == ("The cap is 48.2 million dollars. Other text.",)
    assert blocks[2].items == ("first item continues here", "second")
    assert answers == ["The cap is 48.2 million dollars."] and facts == ["48.2 million"]
    with pytest.raises(ValueError, match="unclosed"):
        build_module.parse_markup("[[An answer that never ends.")
