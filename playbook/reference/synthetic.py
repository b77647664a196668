"""Synthetic Northwind Mutual records at any size, for scaling and load measurements.

The vocabulary below is also what `data_samples/build_samples.py` builds the sample corpus from, so
synthetic documents read like the real ones and compete with them in retrieval. Everything is
fictional; e-mail domains use the reserved `.example` top-level domain.
"""

from __future__ import annotations

import bisect
import calendar
import json
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from playbook.atomic import atomic_file
from playbook.errors import PlaybookError

COMPANY = "Northwind Mutual"
ASSISTANT = "Northwind Assist"
EMAIL_DOMAIN = "northwind.example"
# Sample documents are dated in the ~18 months before this instant (the corpus "export time").
REFERENCE_TIME = "2026-11-20T00:00:00Z"
SPAN_DAYS = 548
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
RECORDS_FILE = "records.jsonl"

GROUPS: dict[str, str] = {
    "all-staff": "Everyone employed by Northwind Mutual, contractors included",
    "hr": "People team: HR business partners, payroll, employee relations",
    "finance": "Finance, treasury, procurement and actuarial reporting",
    "legal": "Legal, compliance and regulatory affairs",
    "engineering": "Platform, security and application engineering",
    "executive": "Executive committee and the office of the CEO",
}
EVERYONE = "all-staff"

# Share of documents per access list, as in the sample corpus (about 57% readable by everyone).
GROUP_MIX: tuple[tuple[tuple[str, ...], float], ...] = (
    (("all-staff",), 0.57),
    (("engineering",), 0.11),
    (("hr",), 0.08),
    (("finance",), 0.08),
    (("legal",), 0.06),
    (("executive",), 0.04),
    (("finance", "executive"), 0.02),
    (("hr", "executive"), 0.02),
    (("legal", "executive"), 0.01),
    (("legal", "engineering"), 0.01),
)


@dataclass(frozen=True)
class Team:
    """A team that owns documents; `owner` is the owner id written into every document."""

    key: str
    name: str

    @property
    def owner(self) -> str:
        """The owner id, an e-mail-like address on the reserved .example domain."""
        return f"team-{self.key}@{EMAIL_DOMAIN}"


@dataclass(frozen=True)
class Product:
    """An insurance product Northwind Mutual sells."""

    code: str
    name: str
    line: str  # what it covers, in a few words


@dataclass(frozen=True)
class System:
    """An internal system staff use or engineers run."""

    name: str
    purpose: str
    team: str  # Team.key of the owning team


TEAMS: tuple[Team, ...] = (
    Team("people", "People team"),
    Team("payroll", "Payroll"),
    Team("finance", "Finance Operations"),
    Team("treasury", "Treasury"),
    Team("procurement", "Procurement"),
    Team("legal", "Legal"),
    Team("compliance", "Compliance"),
    Team("platform", "Platform Engineering"),
    Team("security", "Security Engineering"),
    Team("data", "Data and Analytics"),
    Team("claims", "Claims Operations"),
    Team("support", "Customer Support"),
    Team("underwriting", "Underwriting"),
    Team("product", "Product Management"),
    Team("it", "IT Service Desk"),
    Team("facilities", "Workplace and Facilities"),
    Team("exec-office", "Office of the CEO"),
    Team("comms", "Internal Communications"),
)
TEAM_BY_KEY: dict[str, Team] = {team.key: team for team in TEAMS}

PRODUCTS: tuple[Product, ...] = (
    Product("HHP", "Harbor Home Plus", "buildings and contents cover for owner-occupied homes"),
    Product("KAU", "Kestrel Auto", "private car insurance"),
    Product("MTR", "Meridian Travel", "single-trip and annual travel insurance"),
    Product("LRN", "Lighthouse Renters", "contents cover for tenants"),
    Product("OPT", "Oakline Pet", "vet fees cover for cats and dogs"),
    Product("STL", "Summit Term Life", "level term life insurance"),
    Product("CSB", "Cedar Small Business", "property and liability cover for small firms"),
    Product("TWF", "Tidewater Flood", "standalone flood cover"),
    Product("SWB", "Seawind Boat", "cover for small leisure boats"),
    Product("GLD", "Granite Landlord", "buildings and rent-loss cover for landlords"),
    Product("EUL", "Evergreen Umbrella", "personal umbrella liability cover"),
)

SYSTEMS: tuple[System, ...] = (
    System("ClaimPilot", "claims management", "claims"),
    System("PolicyForge", "policy administration", "underwriting"),
    System("Atlas CRM", "customer records and case notes", "support"),
    System("Switchboard", "contact-centre telephony", "it"),
    System("Ledgerline", "general ledger and payments reconciliation", "finance"),
    System("Paystream", "card and direct debit collections", "finance"),
    System("RateDesk", "pricing and rating engine", "underwriting"),
    System("DocVault", "document storage and retention", "platform"),
    System("Mailroom", "outbound customer letters and print", "platform"),
    System("Quarry", "data warehouse", "data"),
    System("Tollgate", "API gateway", "platform"),
    System("Beacon", "paging and on-call alerting", "platform"),
    System("Keyring", "secrets management", "security"),
    System("Conveyor", "build and deployment pipelines", "platform"),
    System("Gatehouse VPN", "remote access", "it"),
    System("PeopleHub", "HR records, leave and payroll self-service", "people"),
    System(ASSISTANT, "the internal support assistant", "platform"),
)

OFFICES: tuple[str, ...] = ("Portland", "Halifax", "Dublin", "Austin")

# Vocabulary of the filler records: ticket notes, case notes, change notes and team updates.
_TOPICS = (
    "renewal date",
    "billing address",
    "claim status",
    "deductible",
    "payment plan",
    "cancellation",
    "document upload",
    "policy wording",
    "no-claims discount",
    "cover limit",
    "proof of ownership",
    "missed direct debit",
    "named driver",
    "mid-term adjustment",
    "refund timing",
)
_OUTCOMES = (
    "the case was closed after the customer confirmed the details",
    "the agent sent the standard confirmation letter through Mailroom",
    "the request was passed to a senior handler for review",
    "the customer was asked to upload supporting documents to DocVault",
    "a callback was booked for the next working day",
    "no change was needed and the customer was satisfied",
    "the note was tagged for the weekly quality review",
    "the payment schedule was recalculated and shared with the customer",
)
_SENTENCES = (
    "Ticket {n}: a customer holding {product} asked about the {topic}.",
    "The agent checked {system} and {outcome}.",
    "{team} reviewed {count} similar {topic} cases this week.",
    "Follow-up is owned by {team} and tracked in {system}.",
    "The {product} case notes mention the {topic} twice in the last {count} days.",
    "Handling time for {topic} queries averaged {minutes} minutes in {office}.",
    "A change to {system} affecting {topic} handling is planned for week {week}.",
    "Customers calling the {office} contact centre about {product} were routed through {system}.",
    "The {team} backlog holds {count} open items tagged {topic}.",
    "Quality review: {outcome}.",
    "Escalations about the {topic} on {product} went to {team} within {count} hours.",
    "The {office} team noted that {system} was slow for about {minutes} minutes during the call.",
    "Customer satisfaction for {product} {topic} contacts was {score} out of 5 this month.",
    "Agents should record the {topic} outcome in {system} before closing the case.",
    "{count} customers asked whether the {topic} on {product} changes at renewal.",
    "Next review of {topic} handling: week {week}, led by {team}.",
)
_TITLES = (
    "{product}: {topic} ticket {n}",
    "{system} case note {n}",
    "{team} weekly update, week {week}",
    "{office} contact centre note {n}",
    "{topic} handling in {system}, item {n}",
)


def _group_table() -> tuple[tuple[tuple[str, ...], ...], tuple[float, ...]]:
    lists = tuple(groups for groups, _ in GROUP_MIX)
    cumulative, total = [], 0.0
    for _, share in GROUP_MIX:
        total += share
        cumulative.append(total)
    return lists, tuple(value / total for value in cumulative)


def _reference_epoch() -> int:
    return calendar.timegm(time.strptime(REFERENCE_TIME, DATE_FORMAT))


def synthetic_records(n_docs: int, seed: int = 7) -> Iterator[dict]:
    """Yield `n_docs` records shaped like `records/*.json`, ids `SY-000001`..., fixed by `seed`."""
    if isinstance(n_docs, bool) or not isinstance(n_docs, int) or n_docs < 0:
        raise PlaybookError(
            f"synthetic corpus: field 'n_docs': expected an integer >= 0, got {n_docs!r}"
        )
    rng = random.Random(f"synthetic:{seed}")
    choice, randint, random_share, sample = rng.choice, rng.randint, rng.random, rng.sample
    group_lists, cumulative = _group_table()
    products = [product.name for product in PRODUCTS]
    systems = [system.name for system in SYSTEMS]
    teams = [(team.name, team.owner) for team in TEAMS]
    end = _reference_epoch()
    span = SPAN_DAYS * 86_400
    for number in range(1, n_docs + 1):
        team, owner = choice(teams)
        words = {
            "n": randint(10_000, 99_999),
            "product": choice(products),
            "system": choice(systems),
            "topic": choice(_TOPICS),
            "outcome": choice(_OUTCOMES),
            "team": team,
            "office": choice(OFFICES),
            "count": randint(2, 60),
            "minutes": randint(3, 25),
            "week": randint(1, 52),
            "score": f"{3 + random_share() * 2:.1f}",
        }
        sentences = [line.format(**words) for line in sample(_SENTENCES, randint(3, 7))]
        slot = bisect.bisect_right(cumulative, random_share())
        groups = group_lists[min(slot, len(group_lists) - 1)]
        stamp = end - randint(3_600, span)
        yield {
            "id": f"SY-{number:06d}",
            "title": choice(_TITLES).format(**words),
            "body": " ".join(sentences),
            "owner": owner,
            "updated_at": time.strftime(DATE_FORMAT, time.gmtime(stamp)),
            "groups": list(groups),
            "source": "records",
        }


def write_synthetic_corpus(
    folder: Path, n_docs: int, seed: int = 7, groups: Iterable[str] | None = None
) -> Path:
    """Write `n_docs` synthetic records to `folder/records.jsonl` atomically; return that path.

    With `groups`, a record's groups outside them become `all-staff`, so the documents pass an
    engagement's ingest contract whatever groups its users file declares."""
    allowed = None if groups is None else frozenset(groups) | {EVERYONE}
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PlaybookError(f"{folder}: cannot create the corpus folder ({exc.strerror})") from None
    path = folder / RECORDS_FILE
    with atomic_file(path) as stream:
        encode = json.JSONEncoder(ensure_ascii=False).encode
        batch: list[str] = []
        for record in synthetic_records(n_docs, seed):
            if allowed is not None:
                kept = [group for group in record["groups"] if group in allowed]
                record["groups"] = kept or [EVERYONE]
            batch.append(encode(record))
            if len(batch) >= 5_000:
                stream.write("\n".join(batch) + "\n")
                batch.clear()
        if batch:
            stream.write("\n".join(batch) + "\n")
    return path
