"""`connect`: the spec picks the adapter, the engagement configures it."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest
import yaml

from playbook.engagement import load_engagement
from playbook.errors import PlaybookError
from playbook.targets import Answer, Target, connect
from playbook.targets.http import HttpTarget
from playbook.targets.python_callable import PythonTarget


def write_engagement(folder: Path, target: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = {"name": "connect-test", "target": target}
    (folder / "engagement.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return folder


def test_an_http_spec_gives_an_http_target_configured_from_the_engagement(tmp_path):
    engagement = load_engagement(
        write_engagement(
            tmp_path,
            {
                "spec": "http://127.0.0.1:9/v1/ask",
                "http": {"response": {"answer": "result.text"}, "timeout_s": 2},
            },
        )
    )
    target = connect(None, engagement)
    try:
        assert isinstance(target, HttpTarget)
        assert isinstance(target, Target)
        assert target.spec == "http://127.0.0.1:9/v1/ask"
        assert target.config.response.answer == "result.text"
        assert target.config.timeout_s == 2
    finally:
        target.close()


def test_a_python_spec_imports_a_module_next_to_the_engagement(tmp_path):
    name = f"team_answer_{uuid.uuid4().hex[:8]}"
    folder = write_engagement(tmp_path / "eng", {"spec": f"python:{name}:answer"})
    (folder / f"{name}.py").write_text("def answer(question):\n    return 'ok: ' + question\n")
    try:
        target = connect(None, load_engagement(folder))
        assert isinstance(target, PythonTarget)
        assert target.ask("q").text == "ok: q"
    finally:
        sys.modules.pop(name, None)
        if str(folder.resolve()) in sys.path:
            sys.path.remove(str(folder.resolve()))


def test_the_spec_argument_overrides_the_engagement(tmp_path):
    engagement = load_engagement(write_engagement(tmp_path, {"spec": "reference:prototype"}))
    target = connect("python:textwrap:dedent", engagement)
    assert isinstance(target, PythonTarget)
    assert isinstance(target.ask(" x"), Answer)


def test_an_unknown_spec_is_a_playbook_error(tmp_path):
    engagement = load_engagement(write_engagement(tmp_path, {"spec": "reference:prototype"}))
    with pytest.raises(PlaybookError, match="unknown target spec"):
        connect("ftp://example", engagement)


def test_a_reference_spec_gives_the_in_process_reference_target(tmp_path):
    from playbook.targets.reference import ReferenceTarget

    engagement = load_engagement(write_engagement(tmp_path, {"spec": "reference:prototype"}))
    target = connect("reference:production", engagement, workdir=tmp_path / "work")
    try:
        assert isinstance(target, ReferenceTarget)
        assert target.spec == "reference:production"
    finally:
        target.close()
