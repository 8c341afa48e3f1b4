"""Inspect a table in a DuckDB database file, in place and read-only.

The database is opened read-only, so inspection can never change it. A row's
position is DuckDB's ``rowid`` plus one; the content hash is a digest of the sorted
SHA-256 digests of each row's JSON, bucketed by their first byte so no single string
the database builds grows with the table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import duckdb

from accord.core.catalogue import FieldSpec, Problem
from accord.core.vocabulary import DataType, SemanticType
from accord.engine.bounds import bounded_duckdb
from accord.errors import ValidationError
from accord.ingest.inplace import Column, InPlaceTable, inspect_in_place
from accord.ingest.outcome import IngestOutcome, ProblemCode
from accord.ingest.sql_checks import DUCKDB, parse_table_name, quote_identifier

__all__ = ["duckdb_data_type", "inspect_duckdb"]

_TYPES: dict[str, DataType] = {
    "BOOLEAN": DataType.BOOLEAN,
    "TINYINT": DataType.BIGINT,
    "SMALLINT": DataType.BIGINT,
    "INTEGER": DataType.BIGINT,
    "BIGINT": DataType.BIGINT,
    "UTINYINT": DataType.BIGINT,
    "USMALLINT": DataType.BIGINT,
    "UINTEGER": DataType.BIGINT,
    "FLOAT": DataType.DOUBLE,
    "DOUBLE": DataType.DOUBLE,
    "DECIMAL": DataType.DOUBLE,
    "DATE": DataType.DATE,
    "TIMESTAMP": DataType.TIMESTAMP,
    "TIMESTAMP WITH TIME ZONE": DataType.TIMESTAMP,
    "TIMESTAMP_S": DataType.TIMESTAMP,
    "TIMESTAMP_MS": DataType.TIMESTAMP,
    "TIMESTAMP_NS": DataType.TIMESTAMP,
    "VARCHAR": DataType.VARCHAR,
    "UUID": DataType.VARCHAR,
    "ENUM": DataType.VARCHAR,
    "TIME": DataType.VARCHAR,
}


def duckdb_data_type(database_type: str) -> DataType | None:
    """The DataType for a DuckDB column type; None for nested, binary and 128-bit types."""
    base = re.sub(r"\(.*\)$", "", database_type.strip().upper())
    return _TYPES.get(base)


def _refused(problem: Problem) -> IngestOutcome:
    return IngestOutcome((), None, 0, "", (problem,), True, None, 0)


def inspect_duckdb(
    database: Path,
    table: str,
    *,
    schema: Sequence[FieldSpec] | None = None,
    overrides: Mapping[str, SemanticType] | None = None,
    sample_rows: int = 20_480,
) -> IngestOutcome:
    """Inspect a DuckDB table: see ``accord.ingest.inspect_duckdb_table``."""
    name = parse_table_name(table)
    if not Path(database).is_file():
        return _refused(Problem(ProblemCode.UNREADABLE, f"no DuckDB database at {database}"))
    stack = ExitStack()
    try:
        # Within the query limits: the table is the caller's, and so is its size.
        connection = stack.enter_context(
            bounded_duckdb(database, read_only=True, slot=False, what="inspection")
        )
    except duckdb.Error as exc:
        return _refused(Problem(ProblemCode.UNREADABLE, f"cannot open the database: {exc}"))
    try:
        found = connection.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_catalog = current_database() AND table_type = 'BASE TABLE' "
            "AND table_name = ? AND table_schema = coalesce(?, current_schema())",
            [name.name, name.schema],
        ).fetchall()
        if not found:
            return _refused(
                Problem(ProblemCode.UNREADABLE, f"no table {str(name)!r} in {database.name}")
            )
        schema_name, table_name = found[0]
        described = connection.execute(
            "SELECT column_name, data_type, is_nullable = 'YES' FROM information_schema.columns "
            "WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position",
            [schema_name, table_name],
        ).fetchall()
        columns = tuple(
            Column(column, str(db_type), duckdb_data_type(str(db_type)), bool(nullable))
            for column, db_type, nullable in described
        )
        reference = f"{quote_identifier(schema_name)}.{quote_identifier(table_name)}"

        def run(sql: str) -> list[tuple[Any, ...]]:
            try:
                return connection.execute(sql).fetchall()
            except duckdb.Error as exc:
                raise ValidationError(f"DuckDB could not inspect {name}: {exc}") from exc

        in_place = InPlaceTable(
            dialect=DUCKDB,
            reference=reference,
            columns=columns,
            position="(rowid + 1)",
            hash_query=_hash_query(reference, [column.name for column in columns]),
        )
        return inspect_in_place(
            run, in_place, schema=schema, overrides=overrides, sample_rows=sample_rows
        )
    finally:
        stack.close()


def _hash_query(reference: str, names: Sequence[str]) -> str:
    pack = ", ".join(f"{quote_identifier(n)} := {quote_identifier(n)}" for n in names)
    return (
        f"WITH rows AS (SELECT sha256(CAST(to_json(struct_pack({pack})) AS VARCHAR)) AS h "
        f"FROM {reference}), "
        "buckets AS (SELECT substr(h, 1, 2) AS k, sha256(string_agg(h, '' ORDER BY h)) AS d "
        "FROM rows GROUP BY k) "
        "SELECT sha256(coalesce(string_agg(k || d, '' ORDER BY k), '')) FROM buckets"
    )
