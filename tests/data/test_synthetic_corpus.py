"""The synthetic generator: record shape, size, determinism and atomic writing."""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter

import pytest

from playbook.errors import PlaybookError
from playbook.reference.synthetic import (
    GROUPS,
    RECORDS_FILE,
    synthetic_records,
    write_synthetic_corpus,
)

FIELDS = ["id", "title", "body", "owner", "updated_at", "groups", "source"]


def test_records_have_the_record_shape_and_the_requested_count():
    records = list(synthetic_records(250, seed=3))
    assert len(records) == 250
    assert [record["id"] for record in records] == [f"SY-{n:06d}" for n in range(1, 251)]
    for record in records:
        assert list(record) == FIELDS
        assert record["source"] == "records" and record["title"] and len(record["body"]) > 80
        assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$", record["updated_at"])
        assert "2025-05-19" <= record["updated_at"] < "2026-11-20"
        assert record["owner"].endswith("@northwind.example")
        assert record["groups"] and set(record["groups"]) <= set(GROUPS)


def test_zero_records_is_an_empty_corpus(tmp_path):
    assert list(synthetic_records(0)) == []
    path = write_synthetic_corpus(tmp_path, 0)
    assert path.read_text(encoding="utf-8") == ""


@pytest.mark.parametrize("bad", [-1, 2.5, "10", True])
def test_a_bad_count_is_a_playbook_error_naming_the_field(bad):
    with pytest.raises(PlaybookError, match="n_docs"):
        list(synthetic_records(bad))


def test_the_same_seed_gives_the_same_records_and_another_seed_does_not():
    first = list(synthetic_records(300, seed=11))
    assert first == list(synthetic_records(300, seed=11))
    assert first != list(synthetic_records(300, seed=12))
    # A smaller corpus is a prefix of a larger one with the same seed.
    assert first[:50] == list(itertools.islice(synthetic_records(50, seed=11), 50))


def test_groups_are_mixed_like_the_sample_corpus():
    counts = Counter(tuple(record["groups"]) for record in synthetic_records(5_000, seed=5))
    everyone = counts[("all-staff",)] / 5_000
    assert 0.53 <= everyone <= 0.61
    assert {group for groups in counts for group in groups} == set(GROUPS)


def test_vocabulary_stays_clear_of_unanswerable_topics(build_module):
    text = " ".join(
        record["title"] + " " + record["body"] for record in synthetic_records(3_000, seed=2)
    ).lower()
    for question, pattern in build_module.UNANSWERABLE:
        assert not re.search(pattern, text), question


def test_written_corpus_is_json_lines_and_replaces_the_old_file_atomically(tmp_path):
    folder = tmp_path / "synthetic"
    path = write_synthetic_corpus(folder, 120, seed=9)
    assert path == folder / RECORDS_FILE
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == list(synthetic_records(120, seed=9))
    write_synthetic_corpus(folder, 40, seed=9)
    assert len(path.read_text(encoding="utf-8").splitlines()) == 40
    assert sorted(item.name for item in folder.iterdir()) == [RECORDS_FILE]  # no temp files left


def test_an_unwritable_folder_is_a_playbook_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(PlaybookError, match="file"):
        write_synthetic_corpus(blocker / "corpus", 10)
