"""The notebook sequence: why an area can lack evidence in a run."""

from __future__ import annotations

import json
import shutil

from playbook.notebooks import NOTEBOOKS_DIR, missing_evidence_reasons


def run_record(run_dir, **statuses):
    notebooks = [
        {"name": name, "status": status, "seconds": 1.0, "error": "Boom: it broke\nmore"}
        for name, status in statuses.items()
    ]
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "run.json").write_text(json.dumps({"notebooks": notebooks}))
    return run_dir


def test_each_unmeasured_area_gets_the_reason_its_notebook_gave(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for name in ("00_engagement", "01_architecture_decisions", "02_data_pipelines"):
        shutil.copy(NOTEBOOKS_DIR / f"{name}.ipynb", folder)
    run = run_record(
        tmp_path / "run", **{"00_engagement": "ok", "01_architecture_decisions": "failed"}
    )
    reasons = missing_evidence_reasons(run, folder)
    assert "scope" not in reasons  # it ran: whatever it recorded speaks for itself
    assert reasons["decisions"] == "01_architecture_decisions failed: Boom: it broke"
    assert reasons["data"] == "02_data_pipelines was not part of this run (--only)"
    assert reasons["failure"] == "notebook 03_failure_handling is not built yet"
    assert "done" not in reasons


def test_a_folder_outside_a_run_says_the_notebook_has_not_run(tmp_path):
    reasons = missing_evidence_reasons(tmp_path)
    assert reasons["scope"] == "00_engagement has not run in this run folder"
