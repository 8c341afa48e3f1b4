"""Streaming, atomic output: datasets are written chunk by chunk into a hidden directory
that is renamed into place only when every file and the manifest are complete.

A run that fails (or is interrupted) leaves no half-written dataset behind: readers see
the previous output directory or the new one, never a mixture. Files are fsynced before
the rename, and the parent directory after it, as everywhere in Accord.

Output is byte-identical for the same inputs: Parquet row groups are exactly the chunks
written (their sizes depend only on the scale), compression is deterministic, and no
writer adds a timestamp.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from types import TracebackType

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from accord.errors import ValidationError

__all__ = ["FORMATS", "OutputDirectory", "TableSink"]

FORMATS = ("parquet", "csv")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class TableSink:
    """Appends Arrow tables of one schema to a Parquet or CSV file."""

    def __init__(self, path: Path, schema: pa.Schema, fmt: str) -> None:
        self.path = path
        self.schema = schema
        self.fmt = fmt
        self.rows = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._writer: pq.ParquetWriter | pacsv.CSVWriter
        if fmt == "parquet":
            self._writer = pq.ParquetWriter(path, schema, compression="zstd", write_statistics=True)
        else:
            self._writer = pacsv.CSVWriter(path, schema)

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        table = table.select(self.schema.names).cast(self.schema)
        if isinstance(self._writer, pq.ParquetWriter):
            self._writer.write_table(table, row_group_size=table.num_rows)
        else:
            self._writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> None:
        self._writer.close()


class OutputDirectory:
    """A hidden working directory beside ``target``, renamed over it on :meth:`commit`.

    ``target`` must not exist, or be an empty directory, or (with ``overwrite``) be a
    previous output directory, which is replaced only after the new one is complete.
    """

    def __init__(self, target: Path, *, overwrite: bool = False) -> None:
        self.target = target
        self.overwrite = overwrite
        if target.exists() and not target.is_dir():
            raise ValidationError(f"out: {target} exists and is not a directory")
        if target.is_dir() and any(target.iterdir()) and not overwrite:
            raise ValidationError(
                f"out: {target} is not empty; choose a new directory or pass overwrite"
            )
        parent = target.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValidationError(f"out: cannot create {parent}: {exc.strerror}") from exc
        if not os.access(parent, os.W_OK | os.X_OK):
            raise ValidationError(f"out: {parent} is not writable")
        self.work = parent / f".{target.name}.synth-{secrets.token_hex(4)}"
        try:
            self.work.mkdir()
        except OSError as exc:
            raise ValidationError(f"out: cannot write in {parent}: {exc.strerror}") from exc
        self._committed = False

    def __enter__(self) -> OutputDirectory:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._committed:
            shutil.rmtree(self.work, ignore_errors=True)

    def commit(self) -> None:
        """Make every file durable, then swap the working directory into place."""
        for path in sorted(self.work.rglob("*")):
            if path.is_file():
                _fsync(path)
        for path in sorted(p for p in self.work.rglob("*") if p.is_dir()):
            _fsync(path)
        _fsync(self.work)
        old: Path | None = None
        if self.target.is_dir():
            if any(self.target.iterdir()):
                old = self.target.parent / f".{self.target.name}.old-{secrets.token_hex(4)}"
                self.target.rename(old)
            else:
                self.target.rmdir()
        self.work.rename(self.target)
        _fsync(self.target.parent)
        self._committed = True
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
