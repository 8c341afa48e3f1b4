"""The compiled SQL agrees with the reference evaluator, row by row.

Random well-typed filters over random small tables, NULLs included. For each row
the filter's value in the database (true, false or NULL) must equal the
evaluator's, and the rows a ``WHERE`` keeps must be exactly those where it is
true: SQL's three-valued logic. DuckDB always; a real PostgreSQL when the suite
has one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import duckdb
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.core.expressions import check, evaluate
from accord.core.expressions.nodes import Expr
from tests.expressions.engines import (
    create_table,
    insert_sql,
    parameters,
    select_ids,
    select_values,
)
from tests.expressions.strategies import AREAS, SCHEMA, filters, reference_dates, rows

tables = st.lists(rows(), min_size=1, max_size=8)
Fetch = Callable[[str], Sequence[Sequence[Any]]]


def agree(
    fetch: Fetch, dialect: str, tree: Expr, table: list[dict[str, object]], today: date
) -> None:
    typed = check(tree, SCHEMA)
    expected = [evaluate(typed, row, today, areas=AREAS) for row in table]
    query = select_values(typed, today, dialect, areas=AREAS)
    assert [row[1] for row in fetch(query)] == expected, query
    query = select_ids(typed, today, dialect, areas=AREAS)
    assert [row[0] for row in fetch(query)] == [i for i, v in enumerate(expected) if v is True]


@given(tree=filters(), table=tables, today=reference_dates)
@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_duckdb_agrees_with_the_evaluator(
    duck: duckdb.DuckDBPyConnection, tree: Expr, table: list[dict[str, object]], today: date
) -> None:
    duck.execute("DROP TABLE IF EXISTS t")
    duck.execute(create_table(SCHEMA, "duckdb"))
    duck.executemany(insert_sql(SCHEMA, "duckdb"), parameters(SCHEMA, table))
    agree(lambda q: duck.execute(q).fetchall(), "duckdb", tree, table, today)


@pytest.mark.postgres
@given(tree=filters(), table=tables, today=reference_dates)
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_postgres_agrees_with_the_evaluator(
    pg: psycopg.Connection, tree: Expr, table: list[dict[str, object]], today: date
) -> None:
    pg.execute("DROP TABLE IF EXISTS t")
    pg.execute(create_table(SCHEMA, "postgres"))
    with pg.cursor() as cursor:
        cursor.executemany(insert_sql(SCHEMA, "postgres"), parameters(SCHEMA, table))
    agree(lambda q: pg.execute(q).fetchall(), "postgres", tree, table, today)
