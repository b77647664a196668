"""The small world of the data tests (helpers only): sources in three formats, a v2 drop that
changes each format, two users and a golden set, and a runner of the exercise."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from playbook.decisions import UpdateCadence
from playbook.engagement import DEPTH_BUDGETS, load_engagement
from playbook.gaps import data
from playbook.targets import connect

BUDGET = DEPTH_BUDGETS["quick"]
WINDOW = UpdateCadence(cadence_hours=24, warn_after_hours=24, error_after_hours=72)
TOLERANCE = 0.05
DATE = "2026-10-03T09:15:00Z"

USERS = {
    "groups": {"all-staff": "everyone", "engineering": "engineers"},
    "users": [
        {"id": "u-ana", "name": "Ana Lind", "role": "agent", "groups": [], "token": "tok-ana"},
        {
            "id": "u-eli",
            "name": "Eli Novak",
            "role": "engineer",
            "groups": ["engineering"],
            "token": "tok-eli",
        },
    ],
}
HANDBOOK = {
    "leave.md": (
        "HB-1",
        "Annual leave policy",
        "Every employee receives 27 days of annual leave per calendar year. Up to five unused "
        "days carry over into the next year.",
    ),
    "expenses.md": (
        "HB-2",
        "Expense claims",
        "Submit expense claims within 30 days with the receipts attached. Meals on business "
        "travel are reimbursed up to 60 euros per day.",
    ),
    "parental.md": (
        "HB-3",
        "Parental leave",
        "Parents receive 20 weeks of paid parental leave, to be taken within two years.",
    ),
}
WIKI = {
    "vpn.html": (
        "WK-1",
        "Gatehouse VPN setup",
        "Gatehouse VPN error GV-12 means the laptop clock is wrong; turn on automatic time sync.",
        "all-staff",
    ),
    "deploy.html": (
        "WK-2",
        "Deployment runbook",
        "Deployments to production run every Tuesday through the release pipeline.",
        "engineering",
    ),
}
RECORDS = {
    "hours.json": (
        "RC-1",
        "Office opening hours",
        "The Lisbon office is open from 8:00 to 19:00 on weekdays.",
    ),
    "parking.json": (
        "RC-2",
        "Parking permits",
        "Parking permits for the staff car park are renewed every January at reception.",
    ),
}
GOLDEN = [
    ("g1", "How many days of annual leave does an employee receive?", "u-ana", "HB-1"),
    ("g2", "Within how many days must expense claims be submitted?", "u-ana", "HB-2"),
    ("g3", "How many weeks of paid parental leave do parents receive?", "u-ana", "HB-3"),
    ("g4", "What does Gatehouse VPN error GV-12 mean?", "u-ana", "WK-1"),
    ("g5", "On which day do deployments to production run?", "u-eli", "WK-2"),
    ("g6", "When is the Lisbon office open?", "u-ana", "RC-1"),
    ("g7", "When are parking permits for the staff car park renewed?", "u-ana", "RC-2"),
]


def markdown(doc_id: str | None, title: str, body: str, **meta: object) -> str:
    """A handbook page in the ingest contract's markdown format (None drops the id)."""
    front = {"id": doc_id, "title": title, "source": "handbook", "owner": "people-team"}
    front |= {"updated_at": DATE, "groups": ["all-staff"], **meta}
    if doc_id is None:
        del front["id"]
    return "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n\n" + body + "\n"


def html(doc_id: str, title: str, body: str, groups: str, template: str = "v1") -> str:
    """A wiki page; the v2 template renames the id meta and moves the content out of <article>."""
    id_meta = "doc-id" if template == "v1" else "document-id"
    content = (
        f"<article><h1>{title}</h1><p>{body}</p></article>"
        if template == "v1"
        else f'<div class="page-body"><h1>{title}</h1><p>{body}</p></div>'
    )
    return (
        f'<!doctype html><html><head><title>{title}</title><meta name="{id_meta}" '
        f'content="{doc_id}"><meta name="owner" content="platform"><meta name="updated-at" '
        f'content="{DATE}"><meta name="groups" content="{groups}"><meta name="source" '
        f'content="wiki"></head><body><nav>Home | Search | Sign in to the wiki | Popular pages '
        f"| Recently viewed</nav>{content}<footer>Copyright Northwind wiki team. Report a "
        "broken page.</footer></body></html>"
    )


def record(doc_id: str, title: str, body: str) -> dict[str, object]:
    """A record in the contract's json format."""
    return {
        "id": doc_id,
        "title": title,
        "body": body,
        "owner": "facilities",
        "updated_at": DATE,
        "groups": ["all-staff"],
        "source": "records",
    }


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def build_world(root: Path, target: str = "reference:prototype", **target_extra) -> Path:
    """Sources in three formats, a v2 drop that changes each format, users, golden set."""
    for name, (doc_id, title, body) in HANDBOOK.items():
        write(root / "corpus" / "handbook" / name, markdown(doc_id, title, body))
    for name, (doc_id, title, body, groups) in WIKI.items():
        write(root / "corpus" / "wiki" / name, html(doc_id, title, body, groups))
    for name, (doc_id, title, body) in RECORDS.items():
        write(root / "corpus" / "records" / name, json.dumps(record(doc_id, title, body)))
    # the v2 drop: an empty handbook page, a wiki page in the new template, a renamed record body
    write(root / "drop" / "handbook" / "leave.md", markdown("HB-1", HANDBOOK["leave.md"][1], ""))
    doc_id, title, body, groups = WIKI["vpn.html"]
    write(root / "drop" / "wiki" / "vpn.html", html(doc_id, title, body, groups, "v2"))
    doc_id, title, body = RECORDS["hours.json"]
    changed = record(doc_id, title, body)
    changed["content"] = changed.pop("body")
    changed |= {"updated_at": "24/11/2026 09:15", "groups": "all-staff"}
    write(root / "drop" / "records" / "hours.json", json.dumps(changed))
    write(root / "users.yaml", yaml.safe_dump(USERS, sort_keys=False))
    golden = [
        {"id": gid, "question": q, "user": user, "gold_docs": [doc], "reference_answer": ""}
        for gid, q, user, doc in GOLDEN
    ]
    golden.append(
        {
            "id": "g8",
            "question": "What is the dress code on Mars?",
            "user": "u-ana",
            "gold_docs": [],
            "answerable": False,
        }
    )
    write(root / "golden.jsonl", "".join(json.dumps(item) + "\n" for item in golden))
    engagement = {
        "name": "data-world",
        "depth": "quick",
        "target": {"spec": target, **target_extra},
        "data_sources": [
            {"name": "handbook", "path": "corpus/handbook", "format": "markdown"},
            {"name": "wiki", "path": "corpus/wiki", "format": "html"},
            {"name": "records", "path": "corpus/records", "format": "json"},
        ],
        "users": "users.yaml",
        "golden_set": "golden.jsonl",
    }
    write(root / "engagement.yaml", yaml.safe_dump(engagement, sort_keys=False))
    return root


def exercise_of(root: Path, spec: str, **switches: bool) -> data.Exercise:
    engagement = load_engagement(root)
    if switches:
        engagement = engagement.with_overrides(target__switches=switches)
    target = connect(spec, engagement, workdir=root / f"target-{spec.split(':')[1]}")
    try:
        return data.run_exercise(target, engagement, root / "work", BUDGET, str(root / "drop"))
    finally:
        target.close()
