"""Files that appear whole or not at all: every file the playbook writes goes through here."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


@contextmanager
def atomic_file(path: Path, binary: bool = False) -> Iterator[IO]:
    """A file stream whose content appears at `path` whole or not at all.

    Written to a temporary file beside it, flushed to disk, then renamed over `path`; on any error
    the temporary file is removed and `path` keeps its previous content.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    mode, encoding = ("wb", None) if binary else ("w", "utf-8")
    try:
        with os.fdopen(handle, mode, encoding=encoding) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> Path:
    """Write through a temporary file and a rename, so a reader never sees half a file."""
    with atomic_file(path) as stream:
        stream.write(text)
    return Path(path)


def backup_path(path: Path) -> Path:
    """Where the previous version of a file a user edits is kept (`<name>.bak`)."""
    path = Path(path)
    return path.with_name(path.name + ".bak")


def write_text_keeping_backup(path: Path, text: str) -> Path:
    """Write `text` atomically after copying the current file, if any, to `backup_path`."""
    path = Path(path)
    if path.exists():
        with atomic_file(backup_path(path), binary=True) as backup:
            backup.write(path.read_bytes())
    return write_text_atomic(path, text)


def write_json_atomic(path: Path, payload: object) -> Path:
    """Write JSON atomically (see `write_text_atomic`)."""
    text = json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n"
    return write_text_atomic(path, text)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
