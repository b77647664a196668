"""Readers of the committed sample files, written independently of the reference system's own."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from bs4 import BeautifulSoup

SAMPLES = Path(__file__).resolve().parents[2] / "data_samples"
METADATA = ("id", "title", "source", "owner", "updated_at", "groups")


def words(text: str) -> str:
    """Text with every run of whitespace made one space, for substring checks."""
    return " ".join(text.split())


def read_markdown(path: Path) -> dict:
    """Front matter fields plus `body` (the Markdown after the front matter)."""
    text = path.read_text(encoding="utf-8")
    match = re.match(r"---\n(.*?)\n---\n?(.*)", text, re.S)
    assert match, f"{path}: no front matter"
    fields = yaml.safe_load(match.group(1))
    return {**fields, "body": match.group(2).strip(), "_keys": list(fields)}


def read_html(path: Path, container: str = "article") -> dict:
    """Meta fields plus `body`, the text of the content container (`article` or `div.page-body`)."""
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    metas = {meta.get("name"): meta.get("content") for meta in soup.find_all("meta")}
    content = soup.select_one(container)
    return {
        "id": metas.get("doc-id") or metas.get("document-id"),
        "title": soup.title.string if soup.title else None,
        "source": metas.get("source"),
        "owner": metas.get("owner"),
        "updated_at": metas.get("updated-at"),
        "groups": (metas.get("groups") or "").split(","),
        "body": content.get_text(" ", strip=True) if content else "",
        "_metas": metas,
        "_soup": soup,
    }


def read_json(path: Path) -> dict:
    """The record as stored, with `_keys` for a key-set check."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {**data, "_keys": list(data)}


def read_corpus(root: Path) -> dict[str, dict]:
    """Every document of a corpus folder by id, each with its `_path` and `_format`."""
    documents: dict[str, dict] = {}
    readers = (
        ("handbook", "*.md", read_markdown),
        ("wiki", "*.html", read_html),
        ("records", "*.json", read_json),
    )
    for folder, pattern, reader in readers:
        for path in sorted((root / folder).glob(pattern)):
            document = reader(path)
            document["_path"], document["_format"] = path, folder
            assert document["id"] not in documents, f"duplicate id {document['id']}"
            documents[document["id"]] = document
    return documents


def read_jsonl(path: Path) -> list[dict]:
    """One object per non-empty line."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
