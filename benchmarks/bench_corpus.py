"""The reference system on a real corpus (`make bench`): the Python 3.11 documentation as
Debian's python3.11-doc installs it (about 500 Sphinx pages, 51 MB, no metadata in any page),
read through the python-docs engagement template and its golden set.

Prints parse and ingest rates, unchanged re-ingest, question latency per profile, and answer
quality: gold page in the top five, answer containing the reference answer (verbatim, and all
its words), unanswerable questions refused. Numbers for the notes of an issue, never asserted.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import playbook.reference.validation  # noqa: F401  (pandas and pandera load here, untimed)
from playbook.engagement import PYTHON_DOCS_TEMPLATE, load_engagement
from playbook.golden import engagement_golden
from playbook.percentiles import p95
from playbook.reference.settings import ReferenceSettings
from playbook.reference.switches import Hardening
from playbook.reference.system import ReferenceSystem
from playbook.reference.terms import term_set
from playbook.sources import read_sources
from playbook.users import UserDirectory

TOP = 5


def normalised(text: str) -> str:
    """Lower case, code ticks, asterisks and spacing removed: how a reference answer is looked
    for. Underscores stay: an answer that quotes `__eq__` as `eq` does not hold it."""
    return " ".join(re.sub(r"[`*]", "", text).lower().split())


def measure(profile: str, engagement, users, items, scratch: Path) -> dict:
    settings = ReferenceSettings(
        scratch / profile,
        Hardening.preset(profile),
        tuple(engagement.resolved_sources()),
        users,
    )
    with ReferenceSystem(settings) as system:
        started = time.perf_counter()
        first = system.ingest()
        ingest_s = time.perf_counter() - started
        started = time.perf_counter()
        again = system.ingest()
        reingest_s = time.perf_counter() - started
        answerable = [item for item in items if item.answerable]
        unanswerable = [item for item in items if not item.answerable]
        top = verbatim = worded = refused = 0
        latencies = []
        for item in answerable:
            groups = users.get(item.user).access_groups
            ranked = system.store.search(item.question, groups, TOP).passages
            top += bool({p.doc_id for p in ranked} & set(item.gold_docs))
            started = time.perf_counter()
            answer = system.ask(item.question, item.user)
            latencies.append(time.perf_counter() - started)
            verbatim += normalised(item.reference_answer) in normalised(answer.text)
            worded += term_set(item.reference_answer) <= term_set(answer.text)
        for item in unanswerable:
            started = time.perf_counter()
            answer = system.ask(item.question, item.user)
            latencies.append(time.perf_counter() - started)
            refused += answer.status == "refused"
    return {
        "profile": profile,
        "read": first.read,
        "served": first.ingested,
        "quarantined": len(first.quarantined),
        "ingest_s": ingest_s,
        "docs_per_s": first.read / ingest_s,
        "reingest_s": reingest_s,
        "unchanged": again.unchanged,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": p95(latencies) * 1000,
        "top": top,
        "verbatim": verbatim,
        "worded": worded,
        "answerable": len(answerable),
        "refused": refused,
        "unanswerable": len(unanswerable),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engagement", type=Path, default=PYTHON_DOCS_TEMPLATE)
    args = parser.parse_args()
    engagement = load_engagement(args.engagement)
    corpus = Path(engagement.resolved_sources()[0].path)
    if not corpus.is_dir():
        print(f"Real-corpus benchmark skipped: {corpus} is not installed (make corpus)")
        return
    users = UserDirectory.load(engagement.resolve(engagement.users))
    items, problem = engagement_golden(engagement)
    if problem:
        sys.exit(problem)
    started = time.perf_counter()
    records, errors = read_sources(engagement.resolved_sources())
    parse_s = time.perf_counter() - started
    size = sum(path.stat().st_size for path in corpus.rglob("*.html"))
    print(f"Corpus {corpus}: {len(records)} pages read, {len(errors)} unreadable")
    print(f"  parse only: {parse_s:.2f} s = {len(records) / parse_s:.0f} pages/s")
    print(f"  ({size / 1e6:.0f} MB of HTML in the folder, Sphinx's own files included)")
    with tempfile.TemporaryDirectory(prefix="playbook-bench-corpus-") as scratch:
        rows = [
            measure(profile, engagement, users, items, Path(scratch))
            for profile in ("prototype", "production")
        ]
    print(
        f"{'profile':<12}{'served':>8}{'quar.':>7}{'ingest s':>10}{'docs/s':>8}{'re-ingest s':>13}"
        f"{'p50 ms':>9}{'p95 ms':>9}{'gold top5':>11}{'verbatim':>10}{'all words':>11}"
        f"{'refused':>9}"
    )
    for row in rows:
        print(
            f"{row['profile']:<12}{row['served']:>8}{row['quarantined']:>7}"
            f"{row['ingest_s']:>10.2f}{row['docs_per_s']:>8.0f}{row['reingest_s']:>13.2f}"
            f"{row['p50_ms']:>9.0f}{row['p95_ms']:>9.0f}"
            f"{row['top']:>5}/{row['answerable']:<5}{row['verbatim']:>4}/{row['answerable']:<5}"
            f"{row['worded']:>5}/{row['answerable']:<5}{row['refused']:>3}/{row['unanswerable']:<5}"
        )
    print(
        "gold top5: the gold page among the top 5 retrieved (the index's ranking for both "
        "profiles); verbatim / all words: the answer holds the reference answer as written / "
        "every word of it; refused: unanswerable questions refused."
    )


if __name__ == "__main__":
    main()
