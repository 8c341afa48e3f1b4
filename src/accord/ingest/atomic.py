"""Write a Parquet file so that readers see the whole file or none of it.

A crash part-way through a plain write leaves a truncated file under the final name,
which a later reader would take for a dataset version. Writing to a temporary file in
the same directory (so the rename cannot cross file systems), flushing it to disk,
renaming it over the target and then flushing the directory entry means the name only
ever points at complete, durable bytes.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["write_parquet_atomic"]


def write_parquet_atomic(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` atomically and durably (temp file, fsync, rename, fsync)."""
    path = Path(path)
    directory = path.parent
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            pq.write_table(table, handle, compression="zstd")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable: the new directory entry must reach the disk."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    descriptor = os.open(directory, flags)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
