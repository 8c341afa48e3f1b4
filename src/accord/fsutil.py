"""Atomic file writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_path", "fsync_directory", "sha256_file", "write_atomic"]


def sha256_file(path: Path) -> str:
    """The hex SHA-256 of a file's bytes, read in blocks (never the whole file at once)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_path(target: Path, mode: int = 0o644) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success fsync it and rename it over.

    On an exception the temporary file is removed and ``target`` is untouched.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, mode)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        fsync_directory(target.parent)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(target: Path, data: bytes, mode: int = 0o644) -> None:
    with atomic_path(target, mode) as tmp:
        tmp.write_bytes(data)
