"""Aggregate-only queries, property-tested on DuckDB without the rest of the platform.

Generated aggregate queries (grouping keys, counts of every kind, sums and means, filters
that isolate small groups) are rewritten, run on a real DuckDB table of 300 records with
rare attributes, and protected; whatever the query, no released count is under the
threshold or off the rounding base, and no released group has fewer records than the
threshold. Generated queries with a construct that cannot be controlled are refused.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.core.plan.aggregate_query import TRUE_COUNT, ResultKind, aggregate_query
from accord.core.plan.query import check_query
from accord.disclosure.query_controls import QueryControl
from accord.disclosure.rules import DisclosureRules
from accord.errors import ValidationError

VIEW = "claims"
FIELDS = frozenset({"id", "area", "age", "benefit", "rare", "amount"})
RULES = DisclosureRules(threshold=10, rounding_base=5)


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    rng = np.random.default_rng(7)
    n = 300
    table = pa.table(
        {
            "id": [f"P{i:04d}" for i in range(n)],
            "area": rng.choice(
                ["A", "B", "C", "D", "E", "F"], n, p=[0.4, 0.3, 0.2, 0.06, 0.03, 0.01]
            ),
            "age": rng.integers(16, 90, n),
            "benefit": rng.choice(["UC", "PIP", "CA", "IS"], n, p=[0.6, 0.25, 0.12, 0.03]),
            "rare": (rng.random(n) < 0.03).astype(np.int64),
            "amount": rng.integers(0, 400, n).astype(np.float64),
        }
    )
    connection = duckdb.connect()
    connection.register("claims_arrow", table)
    connection.execute(f"CREATE TABLE {VIEW} AS SELECT * FROM claims_arrow")
    return connection


def released(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[pa.Table, pa.Table]:
    query = aggregate_query(check_query(sql, {VIEW: FIELDS}))
    raw = con.sql(query.sql()).to_arrow_table()
    out, _ = QueryControl(query.tree, query, RULES).release(raw)
    return raw, out


keys = st.lists(
    st.sampled_from(["area", "benefit", "age", "id", "rare", "age // 10", "upper(area)"]),
    max_size=2,
    unique=True,
)
aggregates = st.lists(
    st.sampled_from(
        [
            "count(*)",
            "count(benefit)",
            "count(DISTINCT age)",
            "count(DISTINCT id)",
            "count_if(rare = 1)",
            "count(*) FILTER (WHERE rare = 1)",
            "sum(rare)",
            "sum(CASE WHEN benefit = 'IS' THEN 1 ELSE 0 END)",
            "sum(amount)",
            "avg(rare)",
            "avg(amount)",
        ]
    ),
    min_size=1,
    max_size=3,
    unique=True,
)
filters = st.sampled_from(
    [
        "",
        "WHERE rare = 1",
        "WHERE benefit = 'IS' OR area = 'F'",
        "WHERE age BETWEEN 30 AND 35 AND NOT benefit IN ('UC')",
        "WHERE id <> 'P0001'",
        "WHERE id = 'P0002'",
        "WHERE area LIKE 'E%'",
    ]
)


@settings(max_examples=200, deadline=None)
@given(keys=keys, aggregates=aggregates, where=filters, ordered=st.booleans())
def test_no_generated_aggregate_releases_a_small_count(
    con: duckdb.DuckDBPyConnection,
    keys: list[str],
    aggregates: list[str],
    where: str,
    ordered: bool,
) -> None:
    items = [*keys, *(f"{a} AS a{i}" for i, a in enumerate(aggregates))]
    group = f" GROUP BY {', '.join(keys)}" if keys else ""
    order = " ORDER BY a0 DESC" if ordered else ""
    sql = f"SELECT {', '.join(items)} FROM {VIEW} {where}{group}{order}"
    raw, out = released(con, sql)
    assert out.num_rows == int(np.sum(np.asarray(raw.column(TRUE_COUNT)) >= RULES.threshold))
    query = aggregate_query(check_query(sql, {VIEW: FIELDS}))
    for column in query.columns:
        if column.kind in (ResultKind.COUNT, ResultKind.SUM):
            for value in out.column(column.name).to_pylist():
                assert value is None or value % RULES.rounding_base == 0, (sql, column)
                if column.kind is ResultKind.COUNT:
                    assert value is None or value >= RULES.threshold, (sql, column)


@settings(max_examples=100, deadline=None)
@given(
    attack=st.sampled_from(
        [
            "SELECT min(id) FROM claims",
            "SELECT area, max(amount) FROM claims GROUP BY area",
            "SELECT area, count(*) FROM claims GROUP BY area HAVING count(*) = 11",
            "SELECT count(*) FROM (SELECT * FROM claims LIMIT 1) AS s",
            "SELECT count(*) FROM claims UNION ALL SELECT count(*) FROM claims WHERE rare = 0",
            "SELECT area, count(*) OVER () FROM claims",
            "SELECT a.area, count(*) FROM claims AS a, claims AS b GROUP BY 1",
            "SELECT id FROM claims",
            "SELECT count(*) FROM claims WHERE id IN (SELECT id FROM claims WHERE rare = 1)",
            "WITH one AS (SELECT * FROM claims LIMIT 1) SELECT count(*) FROM one",
            "WITH g AS (SELECT area FROM claims GROUP BY area) SELECT count(*) FROM g",
            "SELECT count(*) / 2 FROM claims",
            "SELECT median(amount) FROM claims",
            "SELECT stddev(amount) FROM claims",
            "SELECT DISTINCT area FROM claims",
        ]
    ),
    suffix=st.sampled_from(["", " LIMIT 5"]),
)
def test_uncontrollable_constructs_are_refused(attack: str, suffix: str) -> None:
    sql = attack + suffix if "UNION" not in attack else attack
    with pytest.raises(ValidationError, match="only aggregates leave: "):
        aggregate_query(check_query(sql, {VIEW: FIELDS}))
