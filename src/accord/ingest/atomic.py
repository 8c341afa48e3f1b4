"""Write a Parquet file so that readers see the whole file or none of it.

A crash part-way through a plain write leaves a truncated file under the final name,
which a later reader would take for a dataset version; :func:`accord.fsutil.atomic_path`
writes beside the target, fsyncs, renames and fsyncs the directory instead.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from accord.fsutil import atomic_path

__all__ = ["write_parquet_atomic"]


def write_parquet_atomic(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` atomically and durably, readable by its owner only."""
    with atomic_path(Path(path), mode=0o600) as temporary:
        pq.write_table(table, temporary, compression="zstd")
