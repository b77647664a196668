"""A small engagement for the served reference system: four documents, three users with tokens."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator

import pytest
import yaml

from playbook.engagement import Engagement, load_engagement
from playbook.reference.server import RunningServer, start_server
from playbook.reference.system import ReferenceSystem
from playbook.targets.reference import reference_settings

TOKENS = {"u-alice": "tok-alice-7c1d", "u-bob": "tok-bob-92fa", "u-hana": "tok-hana-4e03"}
TOKEN_ENV = {user: f"PLAYBOOK_TEST_TOKEN_{user[2:].upper()}" for user in TOKENS}
SALARY = "What is the salary band for a senior adjuster?"
SALARY_MARKER = "82000"
GOLDEN = (
    "How many days of annual leave does an employee get?",
    "When must expense claims be submitted?",
    "When is the Lisbon office open?",
    SALARY,
    "What colour is the moon on Tuesdays?",
)

USERS = {
    "groups": {"all-staff": "everyone", "hr": "people team"},
    "users": [
        {"id": "u-alice", "name": "Alice Moreau", "groups": [], "token": TOKENS["u-alice"]},
        {"id": "u-bob", "name": "Bob Lindqvist", "groups": [], "token": TOKENS["u-bob"]},
        {"id": "u-hana", "name": "Hana Ito", "groups": ["hr"], "token": TOKENS["u-hana"]},
    ],
}
DOCUMENTS = {
    "leave.md": (
        "HB-001",
        "Annual leave policy",
        "Every employee receives 25 days of annual leave per year. Up to five unused days carry "
        "over into the next year.",
        ["all-staff"],
    ),
    "expenses.md": (
        "HB-002",
        "Expense claims",
        "Submit expense claims within 30 days with the receipts attached.",
        ["all-staff"],
    ),
    "office.md": (
        "HB-004",
        "Office opening hours",
        "The Lisbon office is open from 8:00 to 19:00 on weekdays.",
        ["all-staff"],
    ),
    "salary.md": (
        "HB-003",
        "Salary bands",
        f"The salary band for a senior adjuster ranges from 68000 to {SALARY_MARKER} euros.",
        ["hr"],
    ),
}


def markdown(doc_id: str, title: str, body: str, groups: list[str]) -> str:
    meta = {
        "id": doc_id,
        "title": title,
        "source": "handbook",
        "owner": "people-team",
        "updated_at": "2026-10-03T09:15:00Z",
        "groups": groups,
    }
    return "---\n" + yaml.safe_dump(meta, sort_keys=False) + "---\n\n" + body + "\n"


@pytest.fixture(scope="module")
def engagement(tmp_path_factory: pytest.TempPathFactory) -> Engagement:
    """An engagement folder whose http target maps the reference server's reply fully."""
    folder = tmp_path_factory.mktemp("engagement")
    (folder / "handbook").mkdir()
    for name, (doc_id, title, body, groups) in DOCUMENTS.items():
        (folder / "handbook" / name).write_text(markdown(doc_id, title, body, groups))
    (folder / "users.yaml").write_text(yaml.safe_dump(USERS, sort_keys=False))
    data = {
        "name": "service-test",
        "target": {
            "spec": "reference:production",
            "http": {
                "request": {"question": "{question}"},
                "response": {
                    "answer": "answer",
                    "sources": "sources[*].id",
                    "status": "status",
                    "trace_id": "trace_id",
                },
                "auth": {"header": "Authorization", "scheme": "Bearer", "token_env": TOKEN_ENV},
                "timeout_s": 10,
            },
        },
        "data_sources": [{"name": "handbook", "path": "handbook", "format": "markdown"}],
        "users": "users.yaml",
    }
    (folder / "engagement.yaml").write_text(json.dumps(data))
    return load_engagement(folder)


Serve = Callable[[str], RunningServer]


@pytest.fixture(scope="module")
def serve(engagement: Engagement, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    """Start the real reference system of a profile on 127.0.0.1 (once per profile per module)."""
    running: dict[str, RunningServer] = {}

    def start(profile: str) -> RunningServer:
        if profile not in running:
            workdir = tmp_path_factory.mktemp(f"served-{profile}")
            system = ReferenceSystem(reference_settings(engagement, profile, workdir))
            system.ingest()
            running[profile] = start_server(system)
        return running[profile]

    yield start
    for server in running.values():
        server.stop()
        server.system.close()


@pytest.fixture
def tokens_in_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Every user's token in the variable the engagement names."""
    for user, variable in TOKEN_ENV.items():
        monkeypatch.setenv(variable, TOKENS[user])
    return TOKENS


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
