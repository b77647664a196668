"""The evaluation loop: a planted regression is caught and names its questions, a null or small
change is not, the bootstrap repeats with its seed, and evaluations travel through files."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import numpy as np
import pytest

from playbook.errors import PlaybookError
from playbook.evaluation import (
    RETRIEVAL_METRICS,
    accept_baseline,
    baseline_path,
    compare,
    evaluate,
    load_baseline,
    load_evaluation,
    paired_bootstrap,
    save_evaluation,
)
from playbook.golden import GoldenItem
from playbook.targets.base import Answer

TOLERANCE = 0.05  # the decisions' default golden_regression_tolerance
# A long reference answer: one extra word in an answer costs about 0.02 of F1.
REFERENCE = (
    "Employees receive twenty five days of annual leave each calendar year and may carry "
    "up to five unused days into the following year with approval from their manager"
)


def forty_questions() -> list[GoldenItem]:
    """Forty answerable questions, each answered by its own document."""
    return [
        GoldenItem(
            id=f"g{i:02d}",
            question=f"question {i}",
            gold_docs=(f"d{i:02d}",),
            reference_answer=REFERENCE,
        )
        for i in range(1, 41)
    ]


def good_answers(items: list[GoldenItem]) -> dict[str, Answer]:
    """The gold document cited first or second (a little spread), the reference as the text."""
    answers = {}
    for number, item in enumerate(items):
        gold, other = item.gold_docs[0], f"x{number:02d}"
        cited = (gold, other) if number % 4 else (other, gold)
        answers[item.id] = Answer(REFERENCE, cited)
    return answers


def without_gold(answer: Answer, item: GoldenItem) -> Answer:
    return Answer(answer.text, tuple(d for d in answer.sources if d not in item.gold_docs))


def evaluation_of(items, answers, run_id="run", **kwargs):
    return evaluate(items, answers, k=5, target="python:team:answer", run_id=run_id, **kwargs)


def test_a_planted_retrieval_regression_is_caught_and_names_exactly_its_questions():
    items = forty_questions()
    before = good_answers(items)
    degraded = {item.id for number, item in enumerate(items) if number % 3 == 0}  # 14 of 40
    after = {
        item.id: without_gold(before[item.id], item) if item.id in degraded else before[item.id]
        for item in items
    }
    comparison = compare(
        evaluation_of(items, after, "now"), evaluation_of(items, before, "then"), TOLERANCE
    )
    assert comparison.regression
    assert {m.metric for m in comparison.regressions} == set(RETRIEVAL_METRICS)
    for metric in comparison.regressions:
        assert {change.id for change in metric.worse} == degraded, metric.metric
        assert metric.high < 0 and metric.difference < -TOLERANCE
        assert all(change.after < change.before for change in metric.worse)
    worse = comparison.worse_questions()
    assert set(worse["id"]) == degraded
    assert set(worse[worse["metric"] == "hit@5"]["after"]) == {0.0}
    unchanged = {m.metric: m.verdict for m in comparison.metrics if m.metric == "answer_f1"}
    assert unchanged == {"answer_f1": "no clear change"}
    assert "hit@5" in comparison.describe() and "then" in comparison.describe()


def test_identical_answers_are_no_regression():
    items = forty_questions()
    answers = good_answers(items)
    comparison = compare(evaluation_of(items, answers), evaluation_of(items, answers), TOLERANCE)
    assert not comparison.regression
    measured = [m for m in comparison.metrics if m.verdict != "not compared"]
    assert {m.metric for m in measured} == {*RETRIEVAL_METRICS, "answer_f1", "refusal_correct"}
    assert all(m.difference == 0 and m.low == 0 and m.high == 0 for m in measured)
    assert comparison.same_golden_set and not comparison.worse_questions().size


def test_the_same_answers_in_another_question_order_are_no_regression():
    items = forty_questions()
    answers = good_answers(items)
    shuffled_items = random.Random(1).sample(items, len(items))
    reordered = {item.id: answers[item.id] for item in reversed(shuffled_items)}
    baseline = evaluation_of(items, answers)
    comparison = compare(evaluation_of(shuffled_items, reordered), baseline, TOLERANCE)
    assert not comparison.regression
    assert comparison.table().equals(compare(baseline, baseline, TOLERANCE).table())


def test_a_small_drop_in_every_answer_within_the_tolerance_is_no_regression():
    items = forty_questions()
    before = good_answers(items)
    after = {qid: Answer(a.text + " indeed", a.sources) for qid, a in before.items()}
    current, baseline = evaluation_of(items, after), evaluation_of(items, before)
    f1 = next(m for m in compare(current, baseline, TOLERANCE).metrics if m.metric == "answer_f1")
    assert f1.high < 0  # a real, certain drop ...
    assert f1.difference > -TOLERANCE  # ... smaller than the tolerance
    assert f1.verdict == "no clear change"
    assert len(f1.worse) == 40
    # the same drop with a tighter tolerance is one: the tolerance is what kept it out
    tighter = compare(current, baseline, 0.01)
    assert [m.metric for m in tighter.regressions] == ["answer_f1"]


def test_a_drop_on_too_few_questions_to_tell_from_noise_is_listed_but_no_regression():
    items = forty_questions()
    before = good_answers(items)
    after = dict(before)
    for item in items[:3]:  # 3 of 40 lose their gold citation: mean hit@5 falls by 0.075
        after[item.id] = without_gold(before[item.id], item)
    hit = next(
        m
        for m in compare(evaluation_of(items, after), evaluation_of(items, before), 0.05).metrics
        if m.metric == "hit"
    )
    assert hit.difference < -TOLERANCE and hit.high >= 0
    assert hit.verdict == "no clear change"
    assert [change.id for change in hit.worse] == ["g01", "g02", "g03"]


def test_a_certain_drop_beyond_the_tolerance_is_a_regression_though_its_interval_reaches_past_it():
    # 4 of 40 lose their gold citation: hit@5 falls by 0.1, the interval is about -0.175 to
    # -0.025. Demanding the whole interval below -tolerance would let this real drop through.
    items = forty_questions()
    before = good_answers(items)
    after = dict(before)
    for item in items[:4]:
        after[item.id] = without_gold(before[item.id], item)
    comparison = compare(evaluation_of(items, after), evaluation_of(items, before), TOLERANCE)
    hit = next(m for m in comparison.metrics if m.metric == "hit")
    assert -TOLERANCE < hit.high < 0 and hit.difference == pytest.approx(-0.1)
    assert hit.verdict == "regression"
    assert [change.id for change in hit.worse] == ["g01", "g02", "g03", "g04"]


def test_questions_in_only_one_evaluation_are_listed_not_compared():
    items = forty_questions()
    extra = [
        GoldenItem(id=f"g{i:02d}", question=f"q {i}", gold_docs=(f"d{i:02d}",)) for i in (41, 42)
    ]
    answers = good_answers(items + extra)
    baseline = evaluation_of(items, {i.id: answers[i.id] for i in items})
    now_items = items[4:] + extra
    current = evaluation_of(now_items, {i.id: answers[i.id] for i in now_items})
    comparison = compare(current, baseline, TOLERANCE)
    assert comparison.only_current == ("g41", "g42")
    assert comparison.only_baseline == ("g01", "g02", "g03", "g04")
    assert len(comparison.shared) == 36
    assert next(m for m in comparison.metrics if m.metric == "hit").questions == 36
    assert not comparison.same_golden_set
    assert any("golden set differs" in note for note in comparison.notes)


def test_an_edited_golden_set_is_reported_and_still_compared_on_shared_ids():
    items = forty_questions()
    answers = good_answers(items)
    edited = [
        item.model_copy(update={"question": "reworded"}) if item.id == "g07" else item
        for item in items
    ]
    comparison = compare(evaluation_of(edited, answers), evaluation_of(items, answers), 0.05)
    assert not comparison.same_golden_set and comparison.changed == ("g07",)
    assert len(comparison.shared) == 40 and not comparison.regression
    assert "edited" in comparison.describe()


def test_metrics_at_another_cut_off_are_not_compared():
    items = forty_questions()
    answers = good_answers(items)
    comparison = compare(evaluate(items, answers, k=3), evaluate(items, answers, k=5), TOLERANCE)
    verdicts = {m.metric: m.verdict for m in comparison.metrics}
    assert verdicts["hit"] == verdicts["recall"] == verdicts["ndcg"] == "not compared"
    assert verdicts["mrr"] == "no clear change"


def test_too_few_shared_questions_give_no_verdict():
    items = forty_questions()[:3]
    before = good_answers(items)
    after = {item.id: without_gold(before[item.id], item) for item in items}
    comparison = compare(evaluation_of(items, after), evaluation_of(items, before), TOLERANCE)
    assert not comparison.regression
    assert {m.verdict for m in comparison.metrics} == {"not compared"}


def test_the_bootstrap_is_reproducible_with_its_seed():
    differences = np.random.default_rng(0).normal(-0.1, 0.3, size=60)
    first = paired_bootstrap(differences, 2000, seed=7)
    assert first == paired_bootstrap(differences, 2000, seed=7)
    assert first != paired_bootstrap(differences, 2000, seed=8)
    assert first[0] < first[1]


def test_the_bootstrap_interval_holds_the_true_mean_difference():
    # Paired scores whose true mean difference is -0.1: each question loses 0.1 plus noise.
    rng = np.random.default_rng(42)
    before = rng.uniform(0.3, 0.9, size=400)
    after = before - 0.1 + rng.normal(0, 0.15, size=400)
    low, high = paired_bootstrap(after - before, 2000, seed=7)
    assert low < -0.1 < high
    assert low < float(np.mean(after - before)) < high
    assert high - low < 0.05  # 400 questions pin it down
    assert paired_bootstrap([-0.2] * 10) == pytest.approx((-0.2, -0.2))  # no spread, no width


# --- files ------------------------------------------------------------------------------------


def run_folder(engagement: Path, run_id: str) -> Path:
    folder = engagement / "runs" / run_id
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"run_id": run_id}), encoding="utf-8")
    return folder


def test_an_evaluation_survives_its_file(tmp_path):
    items = [*forty_questions(), GoldenItem(id="u1", question="q", answerable=False)]
    answers = {**good_answers(items[:40]), "u1": Answer("Sorry.", status="refused")}
    documents = {f"d{i:02d}": REFERENCE for i in range(1, 41)}
    evaluation = evaluation_of(items, answers, run_id="", documents=documents)
    run = run_folder(tmp_path, "20260102T030405000Z-abcd")
    path = save_evaluation(evaluation, run)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["run_id"] == run.name and data["k"] == 5
    assert data["golden_hash"].startswith("sha256:")
    assert data["questions"][-1]["hit"] is None  # NaN is written as null
    assert data["aggregates"]["hit"] == pytest.approx(1.0)
    loaded = load_evaluation(path)
    assert loaded.aggregates == pytest.approx(evaluation.aggregates)
    assert loaded.counts == evaluation.counts
    assert math.isnan(loaded.questions.at["u1", "mrr"])
    assert loaded.questions.at["g01", "cited"] == evaluation.questions.at["g01", "cited"]
    assert not compare(loaded, evaluation, TOLERANCE).regression


def test_accepting_a_baseline_copies_the_run_evaluation_with_its_run_id(tmp_path):
    items = forty_questions()
    run = run_folder(tmp_path, "20260102T030405000Z-abcd")
    assert load_baseline(tmp_path) is None
    save_evaluation(evaluation_of(items, good_answers(items), run_id=""), run)
    accepted = accept_baseline(tmp_path, run)
    assert accepted.run_id == run.name and accepted.accepted_at
    stored = load_baseline(tmp_path)
    assert stored is not None and stored.run_id == run.name
    assert stored.accepted_at == accepted.accepted_at
    assert baseline_path(tmp_path) == tmp_path / "baseline" / "evaluation.json"


def test_an_interrupted_accept_leaves_the_previous_baseline_whole(tmp_path, monkeypatch):
    items = forty_questions()
    first, second = run_folder(tmp_path, "r1"), run_folder(tmp_path, "r2")
    save_evaluation(evaluation_of(items, good_answers(items)), first)
    save_evaluation(evaluation_of(items, good_answers(items)), second)
    accept_baseline(tmp_path, first)
    before = baseline_path(tmp_path).read_bytes()

    def power_cut(descriptor: int) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr("playbook.atomic.os.fsync", power_cut)
    with pytest.raises(OSError):
        accept_baseline(tmp_path, second)
    assert baseline_path(tmp_path).read_bytes() == before
    assert [p.name for p in baseline_path(tmp_path).parent.iterdir()] == ["evaluation.json"]


def test_a_run_without_an_evaluation_or_with_a_damaged_one_is_one_clear_error(tmp_path):
    run = run_folder(tmp_path, "r1")
    with pytest.raises(PlaybookError, match="no evaluation.json"):
        accept_baseline(tmp_path, run)
    (run / "evaluation.json").write_text('{"k": 5}', encoding="utf-8")
    with pytest.raises(PlaybookError, match="evaluation.json: field 'golden_hash'"):
        accept_baseline(tmp_path, run)
