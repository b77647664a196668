"""Notebook 04 on the reference system: the prototype misses the budget at its production size,
production holds it, and each hardening switch the area is about flips its check."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from playbook.decisions import load_decisions
from playbook.engagement import DEMO_TEMPLATE, load_engagement
from playbook.gaps import latency
from playbook.golden import engagement_golden
from playbook.targets import connect
from playbook.targets.capabilities import CorpusScaling, capability


@pytest.fixture(scope="module")
def demo():
    engagement = load_engagement(DEMO_TEMPLATE).with_overrides(depth="quick")
    budget = load_decisions(engagement.decisions_path).decisions.latency_budget
    items, _ = engagement_golden(engagement)
    return engagement, budget, items


def target(engagement, spec: str, workdir: Path, **switches):
    overridden = engagement.with_overrides(target__switches=switches) if switches else engagement
    return connect(spec, overridden, workdir=workdir)


@pytest.mark.service
@pytest.mark.parametrize(("spec", "verdict"), [("prototype", "fail"), ("production", "pass")])
def test_at_ten_thousand_documents_the_prototype_misses_the_budget_and_production_holds_it(
    demo, tmp_path, spec, verdict
):
    engagement, budget, items = demo
    settings = latency.latency_settings(engagement.budget, budget)
    assert settings.production_documents == 10_000
    system = target(engagement, f"reference:{spec}", tmp_path / "work" / "04")
    measured = latency.production_size_target(system, settings, tmp_path / "scaled")
    served = latency.served(measured, tmp_path / "served")
    try:
        requests = latency.load_requests(items, 20)
        served.target.ask(requests[0].question, requests[0].user)
        peak = latency.peak_load(served.target, requests, settings)
    finally:
        served.close()
        measured.close()
        system.close()
    result = latency.check_p95(peak, budget, served.note)
    assert result.status == verdict, result.detail
    assert "10,000 documents, served over HTTP" in result.detail


def test_without_the_index_latency_grows_with_the_corpus(demo, tmp_path):
    engagement, budget, items = demo
    settings = replace(latency.latency_settings(engagement.budget, budget), scaling_questions=4)
    requests = latency.load_requests(items, 10)
    verdicts = {}
    for name, switches in (("index", {}), ("scan", {"index": False})):
        system = target(engagement, "reference:production", tmp_path / name / "04", **switches)
        try:
            scaling = latency.corpus_scaling(system, requests, settings, tmp_path / name)
        finally:
            system.close()
        verdicts[name] = latency.check_corpus_scaling(scaling, system.spec, budget).status
        small, large = scaling.of(scaling.own)
        assert 0 < small.characters < large.characters  # what each size's scan reads
    assert verdicts == {"index": "pass", "scan": "fail"}


def test_without_the_cache_repeated_questions_cost_their_full_time(demo, tmp_path):
    engagement, budget, items = demo
    mix, source = latency.repeated_mix(engagement, items, 8)
    assert source.endswith("of query_log.csv")  # the demo's most asked questions
    verdicts = {}
    for name, switches in (("cache", {}), ("no cache", {"cache": False})):
        system = target(engagement, "reference:production", tmp_path / name / "04", **switches)
        try:
            repeats = latency.ask_twice(system, mix, source)
        finally:
            system.close()
        verdicts[name] = latency.check_repeat_cache(repeats).status
    assert verdicts == {"cache": "pass", "no cache": "fail"}


def test_a_slow_target_repeats_questions_until_the_time_limit_and_the_check_says_so(demo, tmp_path):
    import time

    engagement, budget, items = demo
    mix, source = latency.repeated_mix(engagement, items, 8)
    system = target(engagement, "reference:production", tmp_path / "04", cache=False)
    system.ask(items[0].question, items[0].user)  # warm, as after the notebook's load phases
    ask = system.ask

    def slowly(question, user=None):  # 0.1 s an answer: a scan of a big site
        time.sleep(0.1)
        return ask(question, user)

    system.ask = slowly
    try:
        repeats = latency.ask_twice(system, mix, source, max_seconds=0.5)
    finally:
        system.close()
    assert 1 <= len(repeats.asks) < len(mix) == repeats.planned
    check = latency.check_repeat_cache(repeats)
    assert check.status == "fail"  # measured on what was asked: no cache, full cost again
    assert f"stopped at the time limit (0.5 s): {len(repeats.asks)} of {len(mix)}" in check.detail


def test_a_target_with_changed_switches_is_drawn_apart_from_the_shipped_profile(demo, tmp_path):
    engagement, budget, items = demo
    system = target(engagement, "reference:production", tmp_path / "04", index=False)
    try:
        scaling_offer = capability(system, CorpusScaling)
        own, other = scaling_offer.profiles
        assert own == "reference:production (custom switches)"
        assert other == "reference:production"
        custom = scaling_offer.open(1_000, own, tmp_path / "scaled")
        shipped = scaling_offer.open(1_000, other, tmp_path / "scaled")
        try:
            for built in (custom, shipped):
                built.ask(items[0].question, items[0].user)  # builds and ingests it
            assert not custom.settings.hardening.index and shipped.settings.hardening.index
            assert custom.system.store.path != shipped.system.store.path  # two stores, not one
        finally:
            custom.close()
            shipped.close()
    finally:
        system.close()
