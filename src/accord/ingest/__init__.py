"""Validated ingest: read a source, infer or check its schema, and report every defect.

The functions here only *inspect*; none of them commits anything. Each returns an
``IngestOutcome`` and the catalogue service decides:

- ``outcome.fatal``: refuse, whatever the mode (no header, duplicate columns, an
  unreadable file, a schema that no longer matches);
- strict mode (the default): refuse if ``outcome.problems`` is non-empty, so a
  malformed file is never partly committed;
- lenient mode: commit ``outcome.table`` (exactly the good rows) with
  ``write_parquet_atomic`` and keep ``outcome.quarantine`` (exactly the bad rows, as
  text, with ``_row`` and ``_problems``) apart.

Sources: CSV and Parquet files (rows read, checked in vectorised chunks and returned
as an Arrow table), and DuckDB or PostgreSQL tables (read in place: checks, count and
content hash run in the database, and no rows are returned).

    inspect_file(path, *, schema=None, overrides=None) -> IngestOutcome
    inspect_duckdb_table(database, table, *, schema=None, overrides=None) -> IngestOutcome
    inspect_postgres_table(url, table, *, schema=None, overrides=None) -> IngestOutcome
    write_parquet_atomic(table, path) -> None
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from accord.core.catalogue import FieldSpec
from accord.core.vocabulary import SemanticType
from accord.errors import ValidationError
from accord.ingest.atomic import write_parquet_atomic
from accord.ingest.csv_source import DEFAULT_CHUNK_ROWS, DEFAULT_SAMPLE_ROWS, inspect_csv
from accord.ingest.limits import ReadLimits
from accord.ingest.outcome import MAX_PROBLEMS_PER_COLUMN, IngestOutcome, ProblemCode
from accord.ingest.parquet_source import inspect_parquet
from accord.ingest.validator import EXTRA_COLUMN, PROBLEMS_COLUMN, ROW_COLUMN

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "DEFAULT_SAMPLE_ROWS",
    "EXTRA_COLUMN",
    "MAX_PROBLEMS_PER_COLUMN",
    "PROBLEMS_COLUMN",
    "ROW_COLUMN",
    "SUPPORTED_SUFFIXES",
    "IngestOutcome",
    "ProblemCode",
    "ReadLimits",
    "inspect_duckdb_table",
    "inspect_file",
    "inspect_postgres_table",
    "write_parquet_atomic",
]

SUPPORTED_SUFFIXES = (".csv", ".parquet")


def inspect_file(
    path: Path,
    *,
    schema: Sequence[FieldSpec] | None = None,
    overrides: Mapping[str, SemanticType] | None = None,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    limits: ReadLimits | None = None,
) -> IngestOutcome:
    """Inspect a ``.csv`` or ``.parquet`` file.

    With ``schema`` (a re-ingest into a registered dataset) the columns must be the
    dataset's, in any order, and values are checked against its types; without it the
    types are inferred from the first ``sample_rows`` non-empty values of each column
    and every row is then checked against them. Semantic types are suggested unless
    ``overrides`` names them. ``chunk_rows`` bounds the rows held as Python strings at
    once. The file is read within ``limits`` (the defaults unless given): what it
    declares and what it holds past them refuses it, naming the limit. Raises
    ``ValidationError`` for an unsupported suffix or an override naming
    a column the file lacks: those are the caller's mistakes, not the file's.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return inspect_csv(
            path,
            schema=schema,
            overrides=overrides,
            sample_rows=sample_rows,
            chunk_rows=chunk_rows,
            limits=limits,
        )
    if suffix == ".parquet":
        return inspect_parquet(
            path,
            schema=schema,
            overrides=overrides,
            sample_rows=sample_rows,
            chunk_rows=chunk_rows,
            limits=limits,
        )
    raise ValidationError(
        f"cannot ingest {path.name}: expected a file ending {' or '.join(SUPPORTED_SUFFIXES)}"
    )


def inspect_duckdb_table(
    database: Path,
    table: str,
    *,
    schema: Sequence[FieldSpec] | None = None,
    overrides: Mapping[str, SemanticType] | None = None,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
) -> IngestOutcome:
    """Inspect ``table`` (``name`` or ``schema.name``) in a DuckDB file, in place.

    ``outcome.table`` and ``outcome.quarantine`` are None: the rows stay where they
    are. ``row_count`` and ``bad_rows`` are counted, and ``content_hash`` computed, by
    DuckDB; problems are located by ``rowid + 1``.
    """
    from accord.ingest.duckdb_source import inspect_duckdb

    return inspect_duckdb(
        Path(database), table, schema=schema, overrides=overrides, sample_rows=sample_rows
    )


def inspect_postgres_table(
    url: str,
    table: str,
    *,
    schema: Sequence[FieldSpec] | None = None,
    overrides: Mapping[str, SemanticType] | None = None,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
) -> IngestOutcome:
    """Inspect ``table`` (``name`` or ``schema.name``) in PostgreSQL, in place and read-only.

    As ``inspect_duckdb_table``; problems are located by position in physical order.
    """
    from accord.ingest.postgres_source import inspect_postgres

    return inspect_postgres(url, table, schema=schema, overrides=overrides, sample_rows=sample_rows)
