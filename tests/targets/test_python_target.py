"""The Python-callable adapter: what a team's function may return, and how its failures show."""

from __future__ import annotations

import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from playbook.errors import PlaybookError
from playbook.targets.base import Answer
from playbook.targets.python_callable import PythonTarget

SYSTEM = """
from playbook.targets.base import Answer

calls = []

def as_answer(question, user=None):
    calls.append((question, user))
    return Answer(text=f"{user}: {question}", sources=("d1",), status="degraded")

def as_text(question):
    return "plain " + question

def as_dict(question, user):
    return {"answer": "from dict", "sources": ["a", {"id": "b"}], "status": "refused",
            "trace_id": 7, "timings": {"retrieve": 0.25, "flag": True}}

def with_kwargs(question, **options):
    return options.get("user") or "nobody"

def broken(question, user=None):
    return {}["missing"]

def wrong_status(question):
    return {"answer": "x", "status": "fine"}

def wrong_type(question):
    return 42

def no_text(question):
    return {"sources": ["a"]}

not_callable = 3
"""


@pytest.fixture
def module(tmp_path: Path):
    """A team's module in its own folder, under a name no other test uses."""
    name = f"team_system_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(SYSTEM), encoding="utf-8")
    yield name, tmp_path
    sys.modules.pop(name, None)
    if str(tmp_path) in sys.path:
        sys.path.remove(str(tmp_path))


def connect(module, function: str) -> PythonTarget:
    name, folder = module
    return PythonTarget(f"python:{name}:{function}", search_path=folder)


def test_an_answer_passes_through_with_the_user_and_a_measured_total(module):
    answer = connect(module, "as_answer").ask("why?", user="alice")
    assert (answer.text, answer.sources, answer.status) == ("alice: why?", ("d1",), "degraded")
    assert answer.timings["total"] >= 0
    assert sys.modules[module[0]].calls == [("why?", "alice")]


def test_a_string_is_an_ok_answer_and_a_callable_without_user_is_called_with_the_question(module):
    answer = connect(module, "as_text").ask("q", user="alice")
    assert (answer.text, answer.status, answer.sources) == ("plain q", "ok", ())


def test_a_dict_maps_answer_sources_status_trace_and_numeric_timings(module):
    answer = connect(module, "as_dict").ask("q", user="bob")
    assert answer.text == "from dict"
    assert answer.sources == ("a", "b")
    assert answer.status == "refused"
    assert answer.trace_id == "7"
    assert answer.timings["retrieve"] == 0.25
    assert "flag" not in answer.timings
    assert "total" in answer.timings


def test_keyword_arguments_receive_the_user(module):
    assert connect(module, "with_kwargs").ask("q", user="carol").text == "carol"


def test_an_exception_becomes_an_error_answer_showing_the_raw_failure(module):
    answer = connect(module, "broken").ask("q")
    assert answer.status == "error"
    assert answer.text == "KeyError: 'missing'"
    assert "KeyError" in answer.error


@pytest.mark.parametrize(
    ("function", "reason"),
    [
        ("wrong_status", "status 'fine'"),
        ("wrong_type", "returned int"),
        ("no_text", "without a string 'answer' (or 'text'); its keys: sources. Return {'answer'"),
    ],
)
def test_a_return_value_of_the_wrong_shape_is_an_error_answer_saying_why(module, function, reason):
    answer = connect(module, function).ask("q")
    assert answer.status == "error"
    assert reason in answer.error


def test_a_module_that_cannot_be_imported_is_a_playbook_error_naming_the_spec(tmp_path):
    spec = "python:no_such_module_for_playbook_tests:answer"
    with pytest.raises(PlaybookError, match="no_such_module_for_playbook_tests") as raised:
        PythonTarget(spec, search_path=tmp_path)
    assert spec in str(raised.value)


def test_a_module_that_fails_while_importing_is_a_playbook_error(tmp_path):
    name = f"team_broken_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text("raise RuntimeError('no config')\n", encoding="utf-8")
    try:
        with pytest.raises(PlaybookError, match="RuntimeError: no config"):
            PythonTarget(f"python:{name}:answer", search_path=tmp_path)
        assert str(tmp_path) not in sys.path
    finally:
        sys.modules.pop(name, None)


@pytest.mark.parametrize(
    ("function", "reason"), [("absent", "no attribute"), ("not_callable", "int")]
)
def test_a_missing_or_uncallable_attribute_is_a_playbook_error(module, function, reason):
    with pytest.raises(PlaybookError, match=reason):
        connect(module, function)


def test_an_installed_module_is_found_without_a_search_path():
    target = PythonTarget("python:textwrap:dedent")
    answer = target.ask("  indented")
    assert answer == Answer(text="indented", timings=answer.timings)
