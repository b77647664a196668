"""Secrets given to the playbook never land in anything a run writes."""

import os
import shutil

import pytest
import yaml

from playbook.engagement import DEMO_TEMPLATE, load_engagement
from playbook.reference.server import start_server
from playbook.reference.system import ReferenceSystem
from playbook.targets.reference import reference_settings
from playbook.users import UserDirectory
from tests.e2e.conftest import playbook

pytestmark = [pytest.mark.e2e, pytest.mark.service]


@pytest.fixture
def served_demo(tmp_path):
    """The demo's reference system, production profile, served on 127.0.0.1."""
    system = ReferenceSystem(
        reference_settings(load_engagement(DEMO_TEMPLATE), "production", tmp_path / "server")
    )
    system.ingest()
    with start_server(system) as server:
        yield server
    system.close()


def test_user_tokens_never_reach_notebooks_evidence_logs_or_the_report(tmp_path, served_demo):
    demo = load_engagement(DEMO_TEMPLATE)
    users = UserDirectory.load(demo.resolve(demo.users)).users
    secrets = {f"PLAYBOOK_SECRET_{user.id[2:].upper()}": user.token for user in users}
    assert all(len(token) >= 16 for token in secrets.values())

    folder = tmp_path / "client"
    shutil.copytree(DEMO_TEMPLATE, folder)
    config = yaml.safe_load((folder / "engagement.yaml").read_text(encoding="utf-8"))
    config["target"] = {
        "spec": f"{served_demo.url}/v1/ask",
        "http": {
            "request": {"question": "{question}"},
            "response": {"answer": "answer", "sources": "sources[*].id", "status": "status"},
            "auth": {
                "token_env": {user.id: f"PLAYBOOK_SECRET_{user.id[2:].upper()}" for user in users}
            },
            "timeout_s": 10,
        },
    }
    (folder / "engagement.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")

    result = playbook("run", str(folder), cwd=tmp_path, env={**os.environ, **secrets})
    assert result.code in (0, 1), result.stderr
    (run,) = (folder / "runs").iterdir()
    assert (run / "evidence" / "00_engagement.json").is_file()
    scope = (run / "evidence" / "00_engagement.json").read_text(encoding="utf-8")
    assert '"scope.target_answers"' in scope and '"status": "pass"' in scope  # tokens were used

    written = [path for path in folder.rglob("*") if path.is_file()]
    assert any(path.suffix == ".ipynb" for path in written) and (run / "report.html") in written
    for path in written:
        content = path.read_bytes().decode("utf-8", errors="replace")
        for name, token in secrets.items():
            assert token not in content, f"{name}'s token found in {path.relative_to(folder)}"
    for token in secrets.values():
        assert token not in result.stdout + result.stderr
