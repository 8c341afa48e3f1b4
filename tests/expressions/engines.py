"""Running a compiled filter over a small table in DuckDB or PostgreSQL.

The table and query are built with sqlglot nodes like the filter itself; the
only text here is the fixed test schema's column types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import sqlglot
from sqlglot import exp

from accord.core.expressions import AreaLookup, TypedExpression, to_sqlglot
from accord.core.vocabulary import DataType

_PG_TYPES = {
    DataType.BOOLEAN: "BOOLEAN",
    DataType.BIGINT: "BIGINT",
    DataType.DOUBLE: "DOUBLE PRECISION",
    DataType.DATE: "DATE",
    DataType.TIMESTAMP: "TIMESTAMP",
    DataType.VARCHAR: "TEXT",
}


def create_table(schema: Mapping[str, DataType], dialect: str, table: str = "t") -> str:
    columns = [
        exp.ColumnDef(this=exp.to_identifier("id", quoted=True), kind=exp.DataType.build("INT"))
    ]
    for name, kind in schema.items():
        type_name = _PG_TYPES[kind] if dialect == "postgres" else kind.value
        columns.append(
            exp.ColumnDef(
                this=exp.to_identifier(name, quoted=True),
                kind=exp.DataType.build(type_name, dialect=dialect),
            )
        )
    create = exp.Create(
        this=exp.Schema(this=exp.to_table(table, quoted=True), expressions=columns),
        kind="TABLE",
    )
    return create.sql(dialect=dialect)


def insert_sql(schema: Mapping[str, DataType], dialect: str, table: str = "t") -> str:
    marker = "?" if dialect == "duckdb" else "%s"
    names = ["id", *schema]
    quoted = ", ".join(exp.to_identifier(n, quoted=True).sql(dialect=dialect) for n in names)
    table_sql = exp.to_table(table, quoted=True).sql(dialect=dialect)
    return f"INSERT INTO {table_sql} ({quoted}) VALUES ({', '.join([marker] * len(names))})"


def parameters(
    schema: Mapping[str, DataType], rows: Sequence[Mapping[str, object]]
) -> list[tuple[Any, ...]]:
    return [(i, *(row[name] for name in schema)) for i, row in enumerate(rows)]


def select_ids(
    typed: TypedExpression,
    reference_date: date,
    dialect: str,
    table: str = "t",
    *,
    areas: AreaLookup | None = None,
) -> str:
    query = (
        sqlglot.select(exp.column("id", quoted=True))
        .from_(exp.to_table(table, quoted=True))
        .where(to_sqlglot(typed, reference_date, areas=areas))
        .order_by(exp.column("id", quoted=True))
    )
    return query.sql(dialect=dialect)


def select_values(
    typed: TypedExpression,
    reference_date: date,
    dialect: str,
    table: str = "t",
    *,
    areas: AreaLookup | None = None,
) -> str:
    """Each row's id and the filter's value on it: true, false or NULL."""
    query = (
        sqlglot.select(
            exp.column("id", quoted=True),
            exp.alias_(to_sqlglot(typed, reference_date, areas=areas), "keep", quoted=True),
        )
        .from_(exp.to_table(table, quoted=True))
        .order_by(exp.column("id", quoted=True))
    )
    return query.sql(dialect=dialect)
