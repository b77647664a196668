"""Notebook 06 on the reference system: production holds on every check, the prototype fails
them, and turning one production switch off fails exactly the check that depends on it."""

from __future__ import annotations

import pytest

from playbook.engagement import DEMO_TEMPLATE, load_engagement
from playbook.gaps import security
from playbook.golden import engagement_golden
from playbook.targets import connect

ALL = {check.id for check in security.CHECKS}


@pytest.fixture(scope="module")
def demo():
    engagement = load_engagement(DEMO_TEMPLATE).with_overrides(depth="quick")
    items, _ = engagement_golden(engagement)
    return engagement, items


def measure(demo, tmp_path, spec: str, **switches):
    engagement, items = demo
    if switches:
        engagement = engagement.with_overrides(target__switches=switches)
    target = connect(spec, engagement, workdir=tmp_path / "work")
    try:
        run = security.run_security(target, engagement, items, engagement.budget, tmp_path)
    finally:
        target.close()
    return run, {check.id: check for check in security.security_checks(run)}


def test_production_holds_on_every_check(demo, tmp_path):
    run, checks = measure(demo, tmp_path, "reference:production")
    assert {cid: c.status for cid, c in checks.items()} == dict.fromkeys(ALL, "pass"), {
        cid: c.detail for cid, c in checks.items() if c.status != "pass"
    }
    # it measured something on every line: no pass on nothing
    # every restricted document is asked about by someone outside its groups
    assert {ask.probe.doc_id for ask in run.access.outsiders} == {p.doc_id for p in run.probes}
    assert run.access.retrieval_visible
    assert {a.attack.family for a in run.injection.attempts} == {
        "direct",
        "debug-access",
        "prompt-extraction",
        "indirect-prompt-injection",
        "ascii-smuggling",
    }
    assert {t.kind for t in run.revocation.counted} == {"group removed", "document deleted"}
    assert set(run.pii.read) == {"logs", "spans", "metric labels", "history seen by others"}


def test_the_prototype_fails_every_check_but_allowed_access(demo, tmp_path):
    run, checks = measure(demo, tmp_path, "reference:prototype")
    failed = {cid for cid, c in checks.items() if c.status == "fail"}
    assert failed == ALL - {"security.allowed_access"}
    assert checks["security.access_filter"].observed == len(run.access.outsiders)
    assert run.injection.of("ascii-smuggling") and all(
        a.succeeded for a in run.injection.of("ascii-smuggling")
    )


@pytest.mark.parametrize(
    ("switch", "fails"),
    [
        # direct injections ask for restricted documents: without the filter they work too
        (
            "access_filter",
            {"security.access_filter", "security.revocation", "security.prompt_injection"},
        ),
        ("user_history", {"security.query_privacy", "security.pii_exposure"}),
        ("log_redaction", {"security.pii_exposure"}),
        ("authentication", {"security.authentication"}),
        ("injection_defence", {"security.prompt_injection"}),
    ],
)
def test_one_switch_off_in_production_fails_its_checks_and_only_those(
    demo, tmp_path, switch, fails
):
    _, checks = measure(demo, tmp_path, "reference:production", **{switch: False})
    failed = {cid for cid, c in checks.items() if c.status != "pass"}
    assert failed == fails, {cid: checks[cid].detail for cid in failed ^ fails}
