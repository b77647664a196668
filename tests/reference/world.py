"""The small world of the reference tests: three sources in every format, four users."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from playbook.engagement import DataSource

USERS = {
    "groups": {
        "all-staff": "everyone",
        "hr": "people team",
        "finance": "finance team",
        "engineering": "engineers",
    },
    "users": [
        {
            "id": "u-hana",
            "name": "Hana Ito",
            "role": "HR partner",
            "groups": ["hr"],
            "token": "tok-hana",
        },
        {
            "id": "u-eli",
            "name": "Eli Novak",
            "role": "engineer",
            "groups": ["engineering"],
            "token": "tok-eli",
        },
        {
            "id": "u-fay",
            "name": "Fay Okafor",
            "role": "analyst",
            "groups": ["finance"],
            "token": "tok-fay",
        },
        {"id": "u-sam", "name": "Sam Reyes", "role": "agent", "groups": [], "token": "tok-sam"},
    ],
}


def markdown(doc_id: str, title: str, body: str, groups: list[str], **extra: str) -> str:
    """A handbook page in the contract's markdown format."""
    meta = {
        "id": doc_id,
        "title": title,
        "source": "handbook",
        "owner": "people-team",
        "updated_at": "2026-10-03T09:15:00Z",
        "groups": groups,
        **extra,
    }
    return "---\n" + yaml.safe_dump(meta, sort_keys=False) + "---\n\n" + body + "\n"


def html(doc_id: str, title: str, body: str, groups: str) -> str:
    """A wiki page in the contract's html format, with navigation and footer chrome."""
    return f"""<!doctype html><html><head><title>{title}</title>
<meta name="doc-id" content="{doc_id}"><meta name="owner" content="platform">
<meta name="updated-at" content="2026-09-01T08:00:00Z"><meta name="groups" content="{groups}">
<meta name="source" content="wiki"></head><body>
<nav>Home | Search | Sign in to the wiki</nav>
<article><h1>{title}</h1><p>{body}</p></article>
<footer>Copyright Northwind wiki team. Report a broken page.</footer></body></html>"""


def record(doc_id: str, title: str, body: str, groups: list[str]) -> dict:
    """One record in the contract's json format."""
    return {
        "id": doc_id,
        "title": title,
        "body": body,
        "owner": "finance-ops",
        "updated_at": "2026-08-15T12:00:00Z",
        "groups": groups,
        "source": "records",
    }


HANDBOOK = {
    "leave.md": markdown(
        "HB-001",
        "Annual leave policy",
        "Every employee receives 25 days of annual leave per year. Up to five unused days carry "
        "over into the next year. Leave requests go through the HR portal two weeks ahead.",
        ["all-staff"],
    ),
    "expenses.md": markdown(
        "HB-002",
        "Expense claims",
        "Submit expense claims within 30 days with the receipts attached. Meals on business "
        "travel are reimbursed up to 60 euros per day.",
        ["all-staff"],
    ),
    "salary.md": markdown(
        "HB-003",
        "Salary bands",
        "The salary band for a senior adjuster ranges from 68000 to 82000 euros. Bonus pools "
        "are confirmed by the people team in March.",
        ["hr"],
    ),
}
WIKI = {
    "deploy.html": html(
        "WK-001",
        "Deployment runbook",
        "Deployments to production run every Tuesday through the release pipeline. A rollback "
        "redeploys the previous container image tag.",
        "engineering",
    ),
}
RECORDS = [
    record(
        "REC-001",
        "Budget forecast",
        "The third quarter budget forecast projects claims costs of 4.2 million euros.",
        ["finance"],
    ),
    record(
        "REC-002",
        "Office opening hours",
        "The Lisbon office is open from 8:00 to 19:00 on weekdays and closed on public holidays.",
        ["all-staff"],
    ),
]


def write(path: Path, text: str) -> Path:
    """Write a text file, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def sources_of(root: Path) -> list[DataSource]:
    """The three data sources of a world folder."""
    return [
        DataSource(name="handbook", path=str(root / "handbook"), format="markdown"),
        DataSource(name="wiki", path=str(root / "wiki"), format="html"),
        DataSource(name="records", path=str(root / "records"), format="json"),
    ]


def build_world(root: Path) -> Path:
    """Write handbook/ (markdown), wiki/ (html), records/ (jsonl + json) and users.yaml."""
    for name, text in HANDBOOK.items():
        write(root / "handbook" / name, text)
    for name, text in WIKI.items():
        write(root / "wiki" / name, text)
    write(root / "records" / "records.jsonl", "\n".join(json.dumps(r) for r in RECORDS) + "\n")
    write(
        root / "records" / "parking.json",
        json.dumps(
            record(
                "REC-003",
                "Parking permits",
                "Parking permits for the staff car park are renewed every January at reception.",
                ["all-staff"],
            )
        ),
    )
    write(root / "users.yaml", yaml.safe_dump(USERS, sort_keys=False))
    return root
