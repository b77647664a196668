"""Benchmark of the reference system: ingest rate, re-ingest, query latency per profile, and
production retrieval against bm25s on the same synthetic corpus.

Plain script: `python benchmarks/bench_reference.py --max-docs 10000`. Prints one table per
measurement; every size is bounded by --max-docs and every loop by --queries.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import playbook.reference.validation  # noqa: F401  (pandas and pandera load here, untimed)
from playbook.percentiles import p95
from playbook.reference.settings import ReferenceSettings
from playbook.reference.switches import Hardening
from playbook.reference.synthetic import GROUPS, synthetic_records, write_synthetic_corpus
from playbook.reference.system import ReferenceSystem
from playbook.reference.terms import terms
from playbook.sources import DataSource
from playbook.users import User, UserDirectory

SIZES = (1_000, 10_000, 100_000)
SEED = 7
BENCH_USER = User(id="u-bench", name="Bench Runner", groups=tuple(GROUPS), token="bench")


def golden_questions(n_docs: int, count: int) -> list[tuple[str, str]]:
    """Known-item questions: a sampled document's title and first sentence, and its id."""
    picks = set(random.Random(SEED).sample(range(n_docs), min(count, n_docs)))
    questions = []
    for position, record in enumerate(synthetic_records(n_docs, SEED)):
        if position in picks:
            first = record["body"].split(". ")[0]
            questions.append((f"{record['title']}: {' '.join(first.split()[:12])}?", record["id"]))
    return questions


def build(profile: str, workdir: Path, corpus: Path) -> ReferenceSystem:
    users = UserDirectory(groups=dict(GROUPS), users=(BENCH_USER,))
    sources = [DataSource(name="records", path=str(corpus), format="json")]
    settings = ReferenceSettings(workdir, Hardening.preset(profile), tuple(sources), users)
    return ReferenceSystem(settings)


def bench_size(n_docs: int, queries: int, scratch: Path) -> list[dict]:
    """Ingest, re-ingest and query latency of both profiles at one corpus size."""
    corpus = scratch / f"corpus-{n_docs}"
    write_synthetic_corpus(corpus, n_docs, SEED)
    questions = golden_questions(n_docs, queries)
    rows = []
    for profile in ("prototype", "production"):
        with build(profile, scratch / f"{profile}-{n_docs}", corpus) as system:
            started = time.perf_counter()
            first = system.ingest()
            ingest_s = time.perf_counter() - started
            started = time.perf_counter()
            again = system.ingest()
            reingest_s = time.perf_counter() - started
            assert again.unchanged == first.ingested and again.added == again.changed == 0
            # the prototype scans every document per query: fewer queries at large sizes
            asked = questions if profile == "production" else questions[: max(5, queries // 4)]
            latencies = [system.ask(q, BENCH_USER.id).timings["total"] for q, _ in asked]
        rows.append(
            {
                "docs": n_docs,
                "profile": profile,
                "ingest_docs_per_s": n_docs / ingest_s,
                "ingest_s": ingest_s,
                "reingest_s": reingest_s,
                "queries": len(latencies),
                "p50_ms": 1000 * statistics.median(latencies),
                "p95_ms": 1000 * p95(latencies),
            }
        )
    return rows


FILTER_GROUPS = frozenset({"all-staff", "engineering"})  # a user who sees part of the corpus


def bench_retrieval(n_docs: int, queries: int, scratch: Path) -> dict:
    """hit@5, p50 and p95 of production retrieval (FTS5 below IMPACTS_FROM_PASSAGES passages,
    bm25s impacts from there on; access filter included) against a plain bm25s
    (its `weight_mask` as the same filter) on the same known-item questions, all of them about
    documents the filtered user may read."""
    import bm25s
    import numpy as np

    corpus = scratch / f"corpus-{n_docs}"
    if not (corpus / "records.jsonl").is_file():
        write_synthetic_corpus(corpus, n_docs, SEED)
    records = list(synthetic_records(n_docs, SEED))
    visible = {r["id"] for r in records if FILTER_GROUPS & set(r["groups"])}
    questions = [(q, e) for q, e in golden_questions(n_docs, queries * 3) if e in visible]
    questions = questions[:queries]
    with build("production", scratch / f"production-{n_docs}", corpus) as system:
        if system.store.document_count() == 0:
            system.ingest()
        ranked_by = "bm25s impacts" if system.store.impacts_ready() else "FTS5 bm25()"
        for question, _ in questions:  # warm: word frequencies cached, pages in memory
            system.store.search(question, FILTER_GROUPS, 5)
        hits, times = 0, []
        for question, expected in questions:
            started = time.perf_counter()
            found = system.store.search(question, FILTER_GROUPS, 5).passages
            times.append(time.perf_counter() - started)
            hits += expected in [passage.doc_id for passage in found]
    started = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index([terms(f"{r['title']}\n{r['body']}") for r in records], show_progress=False)
    index_s = time.perf_counter() - started
    mask = np.array([1.0 if FILTER_GROUPS & set(r["groups"]) else 0.0 for r in records])
    bm25_hits, bm25_times = 0, []
    for question, expected in questions:
        started = time.perf_counter()
        ids, _ = retriever.retrieve(
            [terms(question) or ["empty"]], k=5, show_progress=False, weight_mask=mask
        )
        bm25_times.append(time.perf_counter() - started)
        bm25_hits += expected in [records[i]["id"] for i in ids[0]]
    return {
        "docs": n_docs,
        "questions": len(questions),
        "production_ranks_on": ranked_by,
        "production_hit@5": hits / len(questions),
        "production_p50_ms": 1000 * statistics.median(times),
        "production_p95_ms": 1000 * p95(times),
        "bm25s_hit@5": bm25_hits / len(questions),
        "bm25s_p50_ms": 1000 * statistics.median(bm25_times),
        "bm25s_p95_ms": 1000 * p95(bm25_times),
        "bm25s_index_s": index_s,
    }


def table(rows: list[dict]) -> str:
    """Rows as a fixed-width text table."""
    columns = list(rows[0])
    cells = [
        [f"{row[c]:.3f}" if isinstance(row[c], float) else str(row[c]) for c in columns]
        for row in rows
    ]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark up to --max-docs documents and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-docs", type=int, default=10_000, help="largest corpus size")
    parser.add_argument("--queries", type=int, default=40, help="golden questions per size")
    parser.add_argument(
        "--retrieval-docs",
        type=int,
        default=None,
        help="also compare retrieval with bm25s at this size (e.g. 100000: a minute to build)",
    )
    args = parser.parse_args(argv)
    sizes = [size for size in SIZES if size <= args.max_docs] or [args.max_docs]
    with tempfile.TemporaryDirectory(prefix="bench-reference-") as folder:
        scratch = Path(folder)
        latency, retrieval = [], []
        for size in sizes:
            latency += bench_size(size, args.queries, scratch)
            retrieval.append(bench_retrieval(size, args.queries, scratch))
            print(f"done {size} docs", file=sys.stderr, flush=True)
        if args.retrieval_docs and args.retrieval_docs not in sizes:
            retrieval.append(bench_retrieval(args.retrieval_docs, 80, scratch))
    print("Ingest and query latency (answer total, seconds as ms)")
    print(table(latency))
    print()
    print(
        "Production retrieval vs bm25s, both with the access filter of a user who "
        f"reads {', '.join(sorted(FILTER_GROUPS))}; known-item questions"
    )
    print(table(retrieval))
    return 0


if __name__ == "__main__":
    sys.exit(main())
