"""Run a plan on DuckDB over a Parquet version or a DuckDB table, in place.

The source is registered through DuckDB's relation API or opened read-only, never by
splicing a path into SQL. Rows stream out as Arrow record batches, so memory stays
bounded whatever the size of the extract; pseudonymised columns are hashed on the way
out with the domain's key, which never enters SQL. Every connection is opened by
:func:`accord.engine.bounds.bounded_duckdb`, within the query limits.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlglot import exp

from accord.core.catalogue import DatasetVersion, SourceKind
from accord.engine.bounds import bounded_duckdb
from accord.errors import StoreError, ValidationError

__all__ = ["BATCH_ROWS", "OPT_OUT_TABLE", "SOURCE_TABLE", "DuckDBSource", "source_table"]

BATCH_ROWS = 262_144
SOURCE_TABLE = "accord_source"
OPT_OUT_TABLE = "accord_opt_outs"


def source_table(kind: SourceKind, location: str) -> exp.Table:
    """The table a plan reads: a registered view for files, the table itself in place."""
    if kind is SourceKind.POSTGRES:
        table = location.rsplit("#", 1)[-1]
        schema, _, name = table.rpartition(".")
        return exp.table_(name, db=schema or None, quoted=True)
    if kind is SourceKind.DUCKDB:
        table = location.rsplit("#", 1)[-1]
        parts = table.split(".")
        if len(parts) == 2:
            return exp.table_(parts[1], db=parts[0], quoted=True)
        return exp.table_(table, quoted=True)
    return exp.table_(SOURCE_TABLE, quoted=True)


class DuckDBSource:
    """A connection over one dataset version, with the opt-out register attached."""

    def __init__(self, version: DatasetVersion, kind: SourceKind) -> None:
        self.version = version
        self.kind = kind

    @contextmanager
    def connect(
        self, opt_outs: Sequence[str] = (), tables: Mapping[str, Sequence[str]] | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection with the register, and any further one-column ``identifier``
        tables the plan reads (the erased people, a check's supplied identifiers)."""
        if self.kind is SourceKind.DUCKDB:
            database = self.version.location.removeprefix("duckdb:").rsplit("#", 1)[0]
        elif self.kind is SourceKind.FILE:
            database = ":memory:"
            if not Path(self.version.location).is_file():
                raise StoreError(
                    f"the rows of {self.version.dataset_id} v{self.version.number} are "
                    f"missing from {self.version.location}"
                )
        else:
            raise ValidationError(f"DuckDB does not read {self.kind.value} sources in place")
        try:
            with bounded_duckdb(database, read_only=self.kind is SourceKind.DUCKDB) as con:
                if self.kind is SourceKind.FILE:
                    con.read_parquet(self.version.location).create_view(SOURCE_TABLE)
                registry = pa.table({"identifier": pa.array(list(opt_outs), pa.string())})
                con.register(OPT_OUT_TABLE, registry)
                for name, values in (tables or {}).items():
                    identifiers = pa.array(list(values), pa.string())
                    con.register(name, pa.table({"identifier": identifiers}))
                yield con
        except duckdb.Error as exc:
            raise StoreError(f"cannot open the source of {self.version.dataset_id}: {exc}") from exc

    def batches(
        self,
        sql: str,
        opt_outs: Sequence[str] = (),
        params: Mapping[str, object] | None = None,
        tables: Mapping[str, Sequence[str]] | None = None,
    ) -> Iterator[pa.RecordBatch]:
        with self.connect(opt_outs, tables) as con:
            try:
                relation = con.sql(sql, params=params or None)
                reader: pa.RecordBatchReader = relation.to_arrow_reader(BATCH_ROWS)
                empty = True
                for batch in reader:
                    empty = False
                    yield batch
                if empty:
                    # No rows still has a schema: an empty extract is a valid file.
                    schema = reader.schema
                    yield pa.record_batch([pa.array([], f.type) for f in schema], schema=schema)
            except duckdb.Error as exc:
                if isinstance(exc, duckdb.OutOfMemoryException | duckdb.InterruptException):
                    raise  # the bounded connection names the limit that stopped it
                raise StoreError(f"the plan failed on DuckDB: {exc}\nSQL: {sql}") from exc
