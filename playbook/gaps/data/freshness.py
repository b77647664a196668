"""Freshness: how old is the data the target answers from, against the decided window?"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from playbook.engagement import Engagement
from playbook.sources import source_files
from playbook.targets.base import Target
from playbook.targets.capabilities import IngestHistory, capability

if TYPE_CHECKING:
    from playbook.decisions import UpdateCadence


def freshness_table(
    target: Target,
    engagement: Engagement,
    window: UpdateCadence,
    now: dt.datetime | None = None,
) -> pd.DataFrame:
    """Per source: age (hours) of the newest and oldest data served, judged against the window.

    A target that shows its ingest history is judged by it (a document kept from an earlier
    version is as old as that version) and its oldest age is judged. Other targets show only
    their declared source files: the newest file bounds how fresh the target can be.
    """
    now = now or dt.datetime.now(dt.UTC)
    history = capability(target, IngestHistory)
    if history is not None:
        rows, judged = _history_freshness(history, now), "oldest_age_h"
    else:
        rows, judged = _file_freshness(engagement, now), "newest_age_h"
    columns = ["source", "newest_age_h", "oldest_age_h", "held_back", "basis"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["age_h"] = frame[judged]
    frame["status"] = [_age_status(age, window) for age in frame["age_h"]]
    return frame


def _age_status(age: float | None, window: UpdateCadence) -> str:
    if age is None or (isinstance(age, float) and math.isnan(age)):
        return "fail"
    if age > window.error_after_hours:
        return "fail"
    return "warn" if age > window.warn_after_hours else "pass"


def _parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _hours(now: dt.datetime, then: dt.datetime) -> float:
    return max(0.0, (now - then).total_seconds() / 3600)


def _history_freshness(history: IngestHistory, now: dt.datetime) -> list[dict[str, Any]]:
    versions = history.versions()
    by_number = {info.version: info for info in versions}
    served = versions[-1] if versions else None
    # A rollback serves an earlier version's documents: the data is as old as that version.
    while served is not None and served.kind == "rollback" and served.rolled_back_to:
        served = by_number.get(served.rolled_back_to)
    rows = []
    for source in history.sources():
        ingests = [
            info
            for info in versions
            if info.kind == "ingest"
            and source.name in info.origins
            and (served is None or info.version <= served.version)
        ]
        if not ingests:
            rows.append(
                {
                    "source": source.name,
                    "newest_age_h": None,
                    "oldest_age_h": None,
                    "basis": "never ingested",
                    "held_back": 0,
                }
            )
            continue
        newest = ingests[-1]
        newest_age = _hours(now, _parse_time(newest.finished_at))
        oldest_age = newest_age
        kept = {
            doc_id
            for doc_id in history.changes(newest.version).get("kept_last_good", [])
            if (lineage := history.lineage(doc_id)) is not None and lineage.origin == source.name
        }
        held_back = len(kept)
        for earlier in reversed(ingests[:-1]):
            if not kept:
                break
            oldest_age = _hours(now, _parse_time(earlier.finished_at))
            kept &= set(history.changes(earlier.version).get("kept_last_good", []))
        rows.append(
            {
                "source": source.name,
                "newest_age_h": newest_age,
                "oldest_age_h": oldest_age,
                "basis": "the target's ingest versions",
                "held_back": held_back,
            }
        )
    return rows


def _file_freshness(engagement: Engagement, now: dt.datetime) -> list[dict[str, Any]]:
    rows = []
    for source in engagement.resolved_sources():
        folder = Path(source.path)
        files = source_files(folder, source.format, source.exclude) if folder.exists() else []
        if not files:
            rows.append(
                {
                    "source": source.name,
                    "newest_age_h": None,
                    "oldest_age_h": None,
                    "basis": "no source files",
                    "held_back": 0,
                }
            )
            continue
        times = [dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC) for path in files]
        rows.append(
            {
                "source": source.name,
                "newest_age_h": _hours(now, max(times)),
                "oldest_age_h": _hours(now, min(times)),
                "basis": "source file times (what the target can have at best)",
                "held_back": 0,
            }
        )
    return rows
