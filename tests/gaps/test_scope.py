"""Notebook 00's checks: each passes on a well-scoped engagement and fails for the right reason."""

import json
import shutil

import pytest

from playbook.engagement import DEMO_TEMPLATE, load_engagement
from playbook.gaps import scope
from playbook.golden import GoldenItem
from playbook.targets.base import Answer


@pytest.fixture
def demo(tmp_path):
    folder = tmp_path / "client"
    shutil.copytree(DEMO_TEMPLATE, folder)
    return folder


def edit(folder, old: str, new: str):
    path = folder / "engagement.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return load_engagement(folder)


def sources_check(engagement):
    return scope.check_data_sources(scope.read_declared_sources(engagement))


def test_declared_sources_pass_and_a_missing_one_fails_by_name(demo):
    assert sources_check(load_engagement(demo)).status == "pass"
    broken = edit(demo, '"samples:corpus/wiki"', '"samples:corpus/gone"')
    result = sources_check(broken)
    assert result.status == "fail" and "wiki" in result.detail and result.observed == 2


def test_the_bundled_golden_set_passes_and_a_tiny_one_only_warns(demo):
    result, items = scope.check_golden_set(load_engagement(demo))
    assert result.status == "pass" and len(items) >= scope.MIN_GOLDEN_QUESTIONS
    tiny = demo / "tiny.jsonl"
    tiny.write_text(json.dumps({"id": "g1", "question": "Leave?", "user": "u-alice"}) + "\n")
    result, items = scope.check_golden_set(edit(demo, '"samples:golden.jsonl"', "tiny.jsonl"))
    assert result.status == "warn" and len(items) == 1


def test_a_broken_golden_set_fails_with_the_line_that_is_wrong(demo):
    (demo / "bad.jsonl").write_text('{"id": "g1", "question": "Leave?"}\n{"id": "g2"\n')
    result, items = scope.check_golden_set(edit(demo, '"samples:golden.jsonl"', "bad.jsonl"))
    assert result.status == "fail" and "bad.jsonl:2" in result.detail and items == []


def test_golden_questions_asked_by_unknown_users_or_outside_their_groups_fail(demo):
    engagement = load_engagement(demo)
    _, items = scope.check_golden_set(engagement)
    assert scope.check_users(engagement, items).status == "pass"
    stranger = GoldenItem(id="x1", question="Salary bands?", user="u-nobody")
    outsider = GoldenItem(id="x2", question="Bonus pool?", user="u-alice", groups_required=("hr",))
    result = scope.check_users(engagement, [*items, stranger, outsider])
    assert result.status == "fail"
    assert "u-nobody" in result.detail and "x2" in result.detail


def test_the_users_table_never_shows_a_token(demo):
    table = scope.users_table(load_engagement(demo))
    assert "u-alice" in table.index
    assert not any("demo-" in str(value) for value in table.to_numpy().ravel())


class ScriptedTarget:
    spec = "python:tests.fake:answer"

    def __init__(self, answer: Answer):
        self.answer = answer

    def ask(self, question, user=None):
        return self.answer

    def close(self):
        pass


def test_the_smoke_test_passes_on_answers_and_fails_on_errors():
    items = [GoldenItem(id="g1", question="Leave?", user="u-alice")]
    assert scope.check_target_answers(ScriptedTarget(Answer("25 days")), items).status == "pass"
    down = Answer("", status="error", error="cannot reach http://127.0.0.1:9")
    result = scope.check_target_answers(ScriptedTarget(down), items)
    assert result.status == "fail" and "cannot reach" in result.detail


@pytest.mark.parametrize(
    "refusal",
    [
        Answer("Sorry.", status="refused"),
        Answer("I could not find anything in the documents available to you."),  # status ok
        Answer("   "),
    ],
)
def test_refusals_and_empty_replies_are_not_answers_so_an_empty_index_fails_the_smoke_test(
    refusal,
):
    items = [GoldenItem(id=f"g{n}", question="Leave?", user="u-alice") for n in range(3)]
    result = scope.check_target_answers(ScriptedTarget(refusal), items)
    assert result.status == "fail" and result.observed == 0
    if refusal.text.strip():
        assert "serves no documents" in result.detail


def test_a_golden_set_without_answerable_questions_cannot_smoke_test_and_says_what_it_needs():
    items = [GoldenItem(id="u1", question="Moon?", user="u-alice", answerable=False)]
    result = scope.check_target_answers(ScriptedTarget(Answer("x")), items)
    assert result.status == "error" and "it needs answerable golden questions" in result.detail
