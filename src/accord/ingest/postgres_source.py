"""Inspect a table in a PostgreSQL database, in place, in a read-only transaction.

A row's position is its rank in physical order (``tableoid, ctid``): PostgreSQL
tables have no row numbers, and this is the order ``SELECT *`` returns them in on a
quiet table, so it is where the owner will find the row. The content hash is a digest
of the sorted SHA-256 digests of each row's JSON, bucketed by their first byte so no
single string grows with the table, and sorted in the "C" collation so it does not
depend on the server's locale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import psycopg

from accord.core.catalogue import FieldSpec, Problem
from accord.core.vocabulary import DataType, SemanticType
from accord.engine.bounds import postgres_session_settings, query_limits, time_exceeded
from accord.errors import ValidationError
from accord.ingest.inplace import Column, InPlaceTable, inspect_in_place
from accord.ingest.outcome import IngestOutcome, ProblemCode
from accord.ingest.sql_checks import POSTGRES, parse_table_name, quote_identifier

__all__ = ["inspect_postgres", "postgres_data_type"]

_TYPES: dict[str, DataType] = {
    "boolean": DataType.BOOLEAN,
    "smallint": DataType.BIGINT,
    "integer": DataType.BIGINT,
    "bigint": DataType.BIGINT,
    "real": DataType.DOUBLE,
    "double precision": DataType.DOUBLE,
    "numeric": DataType.DOUBLE,
    "date": DataType.DATE,
    "timestamp without time zone": DataType.TIMESTAMP,
    "timestamp with time zone": DataType.TIMESTAMP,
    "text": DataType.VARCHAR,
    "character varying": DataType.VARCHAR,
    "character": DataType.VARCHAR,
    "uuid": DataType.VARCHAR,
    "citext": DataType.VARCHAR,
    "time without time zone": DataType.VARCHAR,
    "USER-DEFINED": DataType.VARCHAR,
}


def postgres_data_type(database_type: str) -> DataType | None:
    """The DataType for a PostgreSQL column type; None for arrays, JSON, bytea and the like."""
    return _TYPES.get(database_type)


def _refused(problem: Problem) -> IngestOutcome:
    return IngestOutcome((), None, 0, "", (problem,), True, None, 0)


def inspect_postgres(
    url: str,
    table: str,
    *,
    schema: Sequence[FieldSpec] | None = None,
    overrides: Mapping[str, SemanticType] | None = None,
    sample_rows: int = 20_480,
) -> IngestOutcome:
    """Inspect a PostgreSQL table: see ``accord.ingest.inspect_postgres_table``."""
    name = parse_table_name(table)
    try:
        connection = psycopg.connect(url, autocommit=False)
    except psycopg.Error as exc:
        return _refused(Problem(ProblemCode.UNREADABLE, f"cannot connect to PostgreSQL: {exc}"))
    try:
        connection.read_only = True
        # Within the query limits, as every plan on PostgreSQL is.
        for setting, value in postgres_session_settings().items():
            connection.execute("SELECT set_config(%s, %s, false)", (setting, value))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_type = 'BASE TABLE' AND table_name = %s "
                "AND table_schema = coalesce(%s, current_schema())",
                (name.name, name.schema),
            )
            found = cursor.fetchall()
            if not found:
                return _refused(
                    Problem(ProblemCode.UNREADABLE, f"no table {str(name)!r} in the database")
                )
            schema_name, table_name = found[0]
            cursor.execute(
                "SELECT column_name, data_type, is_nullable = 'YES' "
                "FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
                "ORDER BY ordinal_position",
                (schema_name, table_name),
            )
            columns = tuple(
                Column(column, str(db_type), postgres_data_type(str(db_type)), bool(nullable))
                for column, db_type, nullable in cursor.fetchall()
            )
        reference = f"{quote_identifier(schema_name)}.{quote_identifier(table_name)}"

        def run(sql: str) -> list[tuple[Any, ...]]:
            # No parameters, so psycopg sends the text as it is ('%' is the modulo operator).
            try:
                with connection.cursor() as cursor:
                    cursor.execute(sql.encode())
                    return cursor.fetchall()
            except psycopg.errors.QueryCanceled as exc:
                raise time_exceeded(query_limits().seconds, "inspection") from exc
            except psycopg.Error as exc:
                raise ValidationError(f"PostgreSQL could not inspect {name}: {exc}") from exc

        in_place = InPlaceTable(
            dialect=POSTGRES,
            reference=reference,
            columns=columns,
            position="row_number() OVER (ORDER BY tableoid, ctid)",
            hash_query=_hash_query(reference, [column.name for column in columns]),
        )
        return inspect_in_place(
            run, in_place, schema=schema, overrides=overrides, sample_rows=sample_rows
        )
    except psycopg.Error as exc:
        return _refused(Problem(ProblemCode.UNREADABLE, f"cannot read {name}: {exc}"))
    finally:
        connection.rollback()
        connection.close()


def _hash_query(reference: str, names: Sequence[str]) -> str:
    alias = "_accord_row"
    while alias in names:
        alias += "_"
    return (
        "WITH rows AS (SELECT encode(sha256(convert_to("
        f"row_to_json({alias})::text, 'UTF8')), 'hex') AS h FROM {reference} AS {alias}), "
        "buckets AS (SELECT substr(h, 1, 2) AS k, encode(sha256(convert_to("
        "string_agg(h, '' ORDER BY h COLLATE \"C\"), 'UTF8')), 'hex') AS d "
        "FROM rows GROUP BY k) "
        "SELECT encode(sha256(convert_to(coalesce(string_agg(k || d, '' ORDER BY k COLLATE \"C\"), "
        "''), 'UTF8')), 'hex') FROM buckets"
    )
