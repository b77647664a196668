"""The reference adapter configures the system from the engagement: stage timeouts come from the
latency-budget decision, switches from the profile and the engagement."""

import shutil

import yaml

from playbook.engagement import DEMO_TEMPLATE, load_engagement
from playbook.faults import Fault, FaultPlan
from playbook.reference.system import ReferenceSystem
from playbook.targets.reference import reference_settings


def engagement_with_generation_budget(tmp_path, generation_ms: int):
    folder = tmp_path / f"budget-{generation_ms}"
    shutil.copytree(DEMO_TEMPLATE, folder)
    decisions = yaml.safe_load((folder / "decisions.yaml").read_text(encoding="utf-8"))
    decisions["latency-budget"]["generation_ms"] = generation_ms
    (folder / "decisions.yaml").write_text(yaml.safe_dump(decisions), encoding="utf-8")
    return load_engagement(folder)


def test_the_decided_stage_budgets_become_the_timeouts(tmp_path):
    budgets = reference_settings(
        engagement_with_generation_budget(tmp_path, 1200), "production"
    ).budgets
    assert budgets.generation == 1.2
    assert budgets.retrieval == 0.3


def test_a_generation_slower_than_its_decided_budget_is_cut_off(tmp_path):
    question = "How many days of paid annual leave do full-time employees receive?"
    slow = FaultPlan.of(Fault("latency", "generation", rate=1.0, seed=1, seconds=0.6))
    statuses = {}
    for generation_ms in (200, 1500):
        engagement = engagement_with_generation_budget(tmp_path, generation_ms)
        system = ReferenceSystem(reference_settings(engagement, "production", tmp_path / "w"))
        system.ingest()
        system.set_faults(slow)
        statuses[generation_ms] = system.ask(question, "u-alice").status
        system.close()
        shutil.rmtree(tmp_path / "w")
    assert statuses == {200: "degraded", 1500: "ok"}


def test_engagement_switches_override_the_preset_and_sources_are_resolved(tmp_path):
    folder = tmp_path / "switched"
    shutil.copytree(DEMO_TEMPLATE, folder)
    engagement = load_engagement(folder).with_overrides(target__switches={"cache": False})
    settings = reference_settings(engagement, "production")
    assert settings.hardening.cache is False and settings.hardening.access_filter is True
    assert settings.workdir is None
    assert all(source.path.startswith("/") for source in settings.sources)
    assert settings.users.get("u-alice") is not None


def test_the_reference_system_imports_nothing_of_the_engagement_or_the_decisions():
    import ast
    from pathlib import Path

    import playbook.reference

    # The system under test shares only the Answer type it returns with the playbook.
    forbidden = ("playbook.engagement", "playbook.decisions", "playbook.gaps", "playbook.targets")
    for path in Path(playbook.reference.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module != "playbook.targets.base":
                module = node.module or ""
                assert not module.startswith(forbidden), f"{path.name} imports {module}"


def test_the_notebooks_of_a_run_share_one_parse_cache_and_never_write_into_the_engagement(
    tmp_path,
):
    from playbook.targets import connect

    engagement = load_engagement(DEMO_TEMPLATE)
    before = sorted(path.name for path in DEMO_TEMPLATE.rglob("*"))
    work = tmp_path / "run" / "work"
    for notebook in ("00_engagement", "02_data_pipelines"):
        target = connect("reference:production", engagement, workdir=work / notebook)
        try:
            assert target.ask("How many quiet rooms does the Halifax office have?", "u-alice").text
        finally:
            target.close()
    assert (work / "parsed-files.sqlite3").is_file()
    assert sorted(path.name for path in DEMO_TEMPLATE.rglob("*")) == before


def test_targets_made_from_a_runs_target_parse_nothing_the_run_has_parsed(tmp_path):
    from playbook.targets import connect
    from playbook.targets.capabilities import Contrast, CorpusScaling, Serving, capability

    engagement = load_engagement(DEMO_TEMPLATE)
    notebook = tmp_path / "run" / "work" / "04_latency"
    target = connect("reference:prototype", engagement, workdir=notebook)
    question = "How many quiet rooms does the Halifax office have?"
    made = [
        capability(target, Contrast).open(notebook / "contrast"),
        capability(target, CorpusScaling).open(60, "reference:production", notebook / "scaling"),
    ]
    made.append(capability(made[0], Serving).open(notebook / "served"))
    try:
        for each in [target, *made]:
            assert each.ask(question, "u-alice").text
    finally:
        for each in [*made, target]:
            each.close()
    caches = sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("parsed-files*.sqlite3"))
    assert [str(path) for path in caches] == ["run/work/parsed-files.sqlite3"]


def test_a_target_in_a_scratch_folder_shares_no_parse_cache_through_the_temporary_folder():
    from playbook.targets import connect

    target = connect("reference:prototype", load_engagement(DEMO_TEMPLATE))  # no work folder
    try:
        assert target.ask("How many quiet rooms does the Halifax office have?", "u-alice").text
        # its folder's parent is the machine's temporary folder, which is no run's
        assert target.parse_cache is None
        assert "parse_cache" not in target.derived_options()
    finally:
        target.close()
