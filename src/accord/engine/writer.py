"""Writing governed rows to a file: Parquet or CSV, hashed as it is written.

Writing runs in its own thread, so encoding and compressing one batch overlaps
producing and pseudonymising the next; the SHA-256 is known when the last byte is
written, without reading the file back.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from accord.engine.csv_safety import safe_batch
from accord.errors import ValidationError

__all__ = ["write_batches"]


class _HashingFile:
    """A write-only file that hashes what passes through it, so the output's SHA-256 is
    known when the last byte is written, without reading the file back."""

    def __init__(self, path: Path) -> None:
        self._handle = path.open("wb")
        self.digest = hashlib.sha256()
        self.closed = False

    def write(self, data: bytes | memoryview) -> int:
        self.digest.update(data)
        return self._handle.write(data)

    def flush(self) -> None:
        self._handle.flush()

    def tell(self) -> int:
        return self._handle.tell()

    def writable(self) -> bool:
        return True

    def close(self) -> None:
        if not self.closed:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            self.closed = True


_DONE = object()


def write_batches(
    batches: Iterator[pa.RecordBatch],
    path: Path,
    fmt: str,
    pseudonyms: Collection[str] = (),
) -> tuple[int, str]:
    """Write the batches; return the row count and the file's SHA-256.

    Writing runs in its own thread (Arrow's writers release the GIL), so encoding and
    compressing one batch overlaps producing and pseudonymising the next. In Parquet,
    the ``pseudonyms`` columns are stored plain: a dictionary never pays for values
    that are unique per person, and zstd only halves hex digests at about the CPU cost
    of computing them. Every other column is dictionary-encoded and zstd-compressed.
    In CSV, text cells that a spreadsheet would run as formulas are quoted (see
    :mod:`accord.core.csv_safety`); the hash is of what was written.
    """
    sink = _HashingFile(path)
    chunks: queue.Queue[Any] = queue.Queue(maxsize=4)
    failure: list[BaseException] = []
    rows = 0

    def consume() -> None:
        writer: Any = None
        try:
            while (batch := chunks.get()) is not _DONE:
                if fmt != "parquet":
                    # A spreadsheet must not run a recipient's cells as formulas.
                    batch = safe_batch(batch)
                if writer is None:
                    stream = pa.PythonFile(sink, mode="w")
                    writer = (
                        _parquet_writer(stream, batch.schema, pseudonyms)
                        if fmt == "parquet"
                        else pacsv.CSVWriter(stream, batch.schema)
                    )
                writer.write_batch(batch)
            if writer is not None:
                writer.close()
        except BaseException as exc:  # reported to the producer below
            failure.append(exc)
            # Drain what is queued so the producer never blocks on a full queue.
            while chunks.get() is not _DONE:
                continue

    thread = threading.Thread(target=consume, name="extract-writer", daemon=True)
    thread.start()
    produced = False
    try:
        for batch in batches:
            produced = True
            rows += batch.num_rows
            chunks.put(batch)
            if failure:
                break
    finally:
        chunks.put(_DONE)
        thread.join()
        sink.close()
    if failure:
        raise failure[0]
    if not produced:
        raise ValidationError("the plan produced no output batches")
    return rows, sink.digest.hexdigest()


def _parquet_writer(
    stream: pa.NativeFile, schema: pa.Schema, pseudonyms: Collection[str]
) -> pq.ParquetWriter:
    plain = set(pseudonyms)
    return pq.ParquetWriter(
        stream,
        schema,
        compression={name: "none" if name in plain else "zstd" for name in schema.names},
        use_dictionary=[name for name in schema.names if name not in plain],
        # The minimum and maximum of a page of digests say nothing worth their cost.
        write_statistics=[name for name in schema.names if name not in plain],
    )
