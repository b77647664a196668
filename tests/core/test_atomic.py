"""Atomic writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import json
import stat

import pytest

from playbook.atomic import atomic_file, write_json_atomic, write_text_atomic


def test_a_failed_write_keeps_the_previous_content_and_leaves_no_temporary_file(tmp_path):
    path = write_text_atomic(tmp_path / "decisions.yaml", "before\n")
    with pytest.raises(RuntimeError), atomic_file(path) as stream:
        stream.write("half of the new")
        raise RuntimeError("disk full")
    assert path.read_text() == "before\n"
    assert [p.name for p in tmp_path.iterdir()] == ["decisions.yaml"]


def test_written_files_get_the_usual_mode_not_mkstemps_private_one(tmp_path):
    path = write_json_atomic(tmp_path / "nested" / "run.json", {"run_id": "x"})
    assert json.loads(path.read_text()) == {"run_id": "x"}
    assert stat.S_IMODE(path.stat().st_mode) & 0o044  # readable by group and others
