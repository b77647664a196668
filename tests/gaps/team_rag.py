"""A team's own question-answering service, written by the tests, not by the playbook.

It shares nothing with the reference system: an in-memory pipeline (its own validation, its own
last-good versions, its own change counts), keyword retrieval, a "model" that quotes the best
sentence, and, when hardened, its own timeout, retry, circuit breaker, output check and JSON log.
Its upstream calls go through the playbook's switchboard once `wire` has handed it over, which is
all the playbook needs to inject faults (engagement: `target.fault_hook`).

Two instances: `HARDENED` (what a production team would ship) and `FRAGILE` (a demo).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

import yaml

from playbook.sources import read_sources

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
WORD = re.compile(r"[a-z0-9]+")
STOP = {"the", "a", "an", "of", "is", "are", "do", "does", "what", "how", "many", "on", "in", "to"}
REFUSAL = "I could not find this in the documents you can see."
FALLBACK = "The assistant is degraded right now; try again in a minute."


def _words(text: str) -> set[str]:
    return {word for word in WORD.findall(text.lower()) if word not in STOP}


class TeamRag:
    """One deployment of the team's service."""

    def __init__(self, hardened: bool) -> None:
        self.hardened = hardened
        self.board: Any = None
        self.configure(None, None)

    def configure(self, users_file: Path | None, log_file: Path | None) -> None:
        """A fresh deployment: who the users are, where the log goes."""
        users = yaml.safe_load(Path(users_file).read_text()) if users_file else {}
        self.groups = {
            user["id"]: {"all-staff", *user["groups"]} for user in users.get("users", [])
        }
        self.known_groups = {"all-staff", *users.get("groups", {})}
        self.log_file = log_file
        self.log_lock = threading.Lock()
        self.docs: dict[str, dict[str, Any]] = {}  # id -> document (with its file)
        self.failures = 0
        self.open_until = 0.0
        self.pool = ThreadPoolExecutor(max_workers=8)

    # ---- the pipeline (the ingest hook) ----------------------------------------------------

    def ingest(self, sources: list) -> dict[str, int]:
        records, errors = read_sources(sources)
        fresh: dict[str, dict[str, Any]] = {}
        valid: set[str] = set()  # ids read and accepted in this ingest (kept ones are not)
        quarantined = 0
        for record in records:
            fields = record.fields
            doc = {
                "id": str(fields.get("id") or record.fallback_id),
                "title": str(fields.get("title") or ""),
                "body": fields.get("body") if isinstance(fields.get("body"), str) else "",
                "updated_at": str(fields.get("updated_at") or ""),
                "groups": fields.get("groups") or [],
                "file": record.path,
            }
            if self.hardened and self._invalid(fields, doc):
                quarantined += 1
                kept = next((d for d in self.docs.values() if d["file"] == record.path), None)
                if kept is not None:  # serve the last good version of that file
                    fresh[kept["id"]] = kept
                continue
            fresh[doc["id"]] = doc
            valid.add(doc["id"])
        before = {doc_id: _hash(doc) for doc_id, doc in self.docs.items()}
        after = {doc_id: _hash(doc) for doc_id, doc in fresh.items()}
        self.docs = fresh
        kept = valid & before.keys()
        return {
            "read": len(records),
            "added": len(valid - before.keys()),
            "changed": sum(before[d] != after[d] for d in kept),
            "deleted": len(before.keys() - after.keys()),
            "unchanged": sum(before[d] == after[d] for d in kept),
            "quarantined": quarantined + len(errors),
        }

    def _invalid(self, fields: Any, doc: dict[str, Any]) -> bool:
        groups = doc["groups"]
        return (
            not fields.get("id")
            or not doc["title"].strip()
            or not doc["body"].strip()
            or not ISO.match(doc["updated_at"])
            or not isinstance(groups, list)
            or not set(groups) <= self.known_groups
        )

    # ---- answering -------------------------------------------------------------------------

    def answer(self, question: str, user: str | None = None) -> dict[str, Any]:
        trace_id = uuid.uuid4().hex
        if not self.hardened:
            passages = self._upstream("retrieval", self._search, question, user, empty=[])
        else:
            try:
                passages = self._retried(0.25, "retrieval", self._search, question, user, empty=[])
            except Exception as exc:
                self._log(trace_id, type(exc).__name__)
                return {
                    "answer": FALLBACK,
                    "status": "degraded",
                    "sources": [],
                    "trace_id": trace_id,
                }
        if not passages:
            return {"answer": REFUSAL, "status": "refused", "sources": [], "trace_id": trace_id}
        if not self.hardened:  # a demo: whatever the model says, or whatever it raised
            text = self._upstream("generation", self._complete, question, passages)
            return {"answer": text, "sources": _cited(text, passages), "trace_id": trace_id}
        try:
            text = self._generate(question, passages)
        except Exception as exc:
            self._log(trace_id, type(exc).__name__)
            return {"answer": FALLBACK, "status": "degraded", "sources": [], "trace_id": trace_id}
        if not _cited(text, passages):  # the model's text must quote a retrieved document
            self._log(trace_id, "OutputRejected")
            return {"answer": FALLBACK, "status": "degraded", "sources": [], "trace_id": trace_id}
        return {"answer": text, "sources": _cited(text, passages), "trace_id": trace_id}

    def _upstream(self, stage: str, function: Any, *args: Any, **kwargs: Any) -> Any:
        if self.board is None:
            kwargs.pop("empty", None)
            return function(*args)
        return self.board.call(stage, function, *args, **kwargs)

    def _generate(self, question: str, passages: list[dict[str, Any]]) -> str:
        if time.monotonic() < self.open_until:
            raise RuntimeError("circuit open")
        try:
            text = self._retried(0.3, "generation", self._complete, question, passages)
        except Exception:
            self.failures += 1
            if self.failures >= 3:
                self.open_until = time.monotonic() + 0.3
                self.failures = 0
            raise
        self.failures = 0
        return text

    def _retried(self, seconds: float, stage: str, function: Any, *args: Any, **kwargs: Any) -> Any:
        """One retry of a 429 or 5xx, honouring Retry-After; every attempt time-bounded."""
        try:
            return self._bounded(seconds, stage, function, *args, **kwargs)
        except Exception as exc:
            if getattr(exc, "status_code", None) not in (429, 503):
                raise
            time.sleep(min(getattr(exc, "retry_after", None) or 0.05, 0.2))
        return self._bounded(seconds, stage, function, *args, **kwargs)

    def _bounded(self, seconds: float, stage: str, function: Any, *args: Any, **kwargs: Any) -> Any:
        """The upstream call, given up after `seconds` (the stage's share of the budget)."""
        future = self.pool.submit(self._upstream, stage, function, *args, **kwargs)
        try:
            return future.result(timeout=seconds)
        except FutureTimeout:
            raise TimeoutError(f"{stage} timed out") from None

    def _search(self, question: str, user: str | None) -> list[dict[str, Any]]:
        allowed = self.groups.get(user or "", {"all-staff"})
        wanted = _words(question)
        scored = []
        for doc in self.docs.values():
            if not set(doc["groups"] or ["all-staff"]) & allowed:
                continue
            overlap = len(wanted & _words(doc["title"] + " " + doc["body"]))
            if overlap >= max(2, len(wanted) // 2):
                scored.append((overlap, doc["id"], doc))
        return [doc for _, _, doc in sorted(scored, key=lambda t: (-t[0], t[1]))[:3]]

    def _complete(self, question: str, passages: list[dict[str, Any]]) -> str:
        wanted = _words(question)
        sentences = [
            (len(wanted & _words(sentence)), sentence.strip(), doc["id"])
            for doc in passages
            for sentence in re.split(r"(?<=[.!?])\s+", doc["body"])
            if sentence.strip()
        ]
        _, sentence, doc_id = max(sentences, key=lambda s: s[0])
        return f"{sentence} [{doc_id}]"

    def _log(self, trace_id: str, error_type: str) -> None:
        if self.log_file is None:
            return
        with self.log_lock, Path(self.log_file).open("a", encoding="utf-8") as stream:
            entry = {"level": "error", "trace_id": trace_id, "error.type": error_type}
            stream.write(json.dumps(entry) + "\n")


def _hash(doc: dict[str, Any]) -> str:
    content = [doc["id"], doc["title"], doc["body"], doc["updated_at"], sorted(doc["groups"])]
    return hashlib.sha256(json.dumps(content).encode()).hexdigest()


def _cited(text: str, passages: list[dict[str, Any]]) -> list[str]:
    return [doc["id"] for doc in passages if f"[{doc['id']}]" in text and doc["body"]]


HARDENED = TeamRag(hardened=True)
FRAGILE = TeamRag(hardened=False)


def hardened_answer(question: str, user: str | None = None) -> dict[str, Any]:
    return HARDENED.answer(question, user)


def hardened_ingest(sources: list) -> dict[str, int]:
    return HARDENED.ingest(sources)


def hardened_wire(switchboard: Any) -> None:
    HARDENED.board = switchboard


def fragile_answer(question: str, user: str | None = None) -> dict[str, Any]:
    return FRAGILE.answer(question, user)


def fragile_ingest(sources: list) -> dict[str, int]:
    return FRAGILE.ingest(sources)


def fragile_wire(switchboard: Any) -> None:
    FRAGILE.board = switchboard
