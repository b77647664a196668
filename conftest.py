"""Settings shared by every test, notebooks included (nbval collects notebooks/ from here)."""

from __future__ import annotations

import os
import tempfile

# Rich HTML and plotly payloads carry random ids: nbval compares only the plain outputs.
_NOT_COMPARED = ("text/html", "application/vnd.plotly.v1+json", "application/javascript")


def pytest_configure(config):
    # Notebooks validated in one session share one scratch run folder, so 07 scores 00-06's evidence
    # and nothing is written into the repository.
    os.environ.setdefault(
        "PLAYBOOK_SCRATCH_RUN_DIR", tempfile.mkdtemp(prefix="playbook-nbval-run-")
    )


def pytest_collectstart(collector):
    if getattr(collector, "path", None) is not None and collector.path.suffix == ".ipynb":
        collector.skip_compare = (*collector.skip_compare, *_NOT_COMPARED)
