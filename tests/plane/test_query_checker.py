"""The query checker, property-tested over generated SQL.

Benign queries are generated from the grammar the docs promise (AND, OR, NOT, IN,
BETWEEN, LIKE, CASE, window functions, CTEs over the views) and must be accepted and
run on a real DuckDB holding the view; queries that reach anything outside the views
(catalogues, table functions, files, aliases or CTEs named like catalogues) must be
refused with a reason naming what was refused.
"""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.core.plan.query import check_query
from accord.errors import ValidationError

VIEW = "dwp_carers"
FIELDS = {
    "postcode": "VARCHAR",
    "age": "INTEGER",
    "weekly_amount": "DOUBLE",
    "start_date": "DATE",
    "benefit": "VARCHAR",
}
VIEWS = {VIEW: frozenset(FIELDS)}


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    columns = ", ".join(f"{name} {kind}" for name, kind in FIELDS.items())
    connection.execute(f"CREATE TABLE {VIEW} ({columns})")
    connection.execute(
        f"INSERT INTO {VIEW} VALUES ('M1 1AA', 34, 81.9, DATE '2020-01-02', 'CA'),"
        "('SW1A 1AA', 61, 40.0, DATE '2019-06-30', 'PIP')"
    )
    connection.execute("SET enable_external_access = false")
    return connection


numbers = st.integers(-5, 100).map(str)
texts = st.sampled_from(["'CA'", "'PIP'", "'M1%'", "'%AA'", "'x'"])


@st.composite
def predicates(draw: st.DrawFn, depth: int = 2) -> str:
    simple = st.one_of(
        st.builds(
            lambda o, n: f"age {o} {n}", st.sampled_from(["=", "<>", "<", ">=", "!="]), numbers
        ),
        st.builds(lambda t: f"benefit = {t}", texts),
        st.builds(lambda a, b: f"age BETWEEN {a} AND {b}", numbers, numbers),
        st.builds(lambda a, b: f"age NOT BETWEEN {a} AND {b}", numbers, numbers),
        st.builds(lambda t: f"postcode LIKE {t}", texts),
        st.builds(lambda t: f"postcode NOT ILIKE {t}", texts),
        st.builds(lambda a, b: f"age IN ({a}, {b})", numbers, numbers),
        st.builds(lambda a: f"benefit NOT IN ('CA', {a})", texts),
        st.just("start_date >= DATE '2020-01-01'"),
        st.just("weekly_amount IS NOT NULL"),
        st.just("upper(benefit) = 'CA'"),
        st.just(f"age IN (SELECT age FROM {VIEW} WHERE benefit = 'CA')"),
        st.just(f"EXISTS (SELECT 1 FROM {VIEW} AS inner_v WHERE inner_v.age > 50)"),
    )
    if depth == 0:
        return draw(simple)
    left = draw(predicates(depth - 1))
    right = draw(predicates(depth - 1))
    shape = draw(
        st.sampled_from(["{l} AND {r}", "{l} OR {r}", "NOT ({l})", "({l}) AND NOT {r}", "{l}"])
    )
    return shape.format(l=left, r=right)


select_items = st.lists(
    st.sampled_from(
        [
            "postcode",
            "age",
            "weekly_amount * 2 AS doubled",
            "CASE WHEN age >= 65 THEN 'older' WHEN age >= 18 THEN 'adult' ELSE 'young' END AS band",
            "extract(year FROM start_date) AS start_year",
            "coalesce(benefit, 'none') AS benefit_or_none",
            "row_number() OVER (PARTITION BY benefit ORDER BY age) AS rn",
            "rank() OVER (ORDER BY weekly_amount DESC) AS position",
            "sum(weekly_amount) OVER (PARTITION BY benefit) AS benefit_total",
            "lag(age) OVER (ORDER BY start_date) AS previous_age",
        ]
    ),
    min_size=1,
    max_size=4,
    unique=True,
)


@st.composite
def benign_queries(draw: st.DrawFn) -> str:
    items = ", ".join(draw(select_items))
    where = draw(predicates())
    source = draw(st.sampled_from([VIEW, "recent", "v2"]))
    order = draw(st.sampled_from(["", " ORDER BY 1", " ORDER BY 1 DESC LIMIT 5"]))
    body = f"SELECT {items} FROM {source} WHERE {where}{order}"
    if source == "recent":
        return f"WITH recent AS (SELECT * FROM {VIEW} WHERE start_date > DATE '2019-01-01') " + body
    if source == "v2":
        return (
            f"WITH base AS (SELECT * FROM {VIEW}), v2 AS (SELECT * FROM base WHERE age > 0) " + body
        )
    return body


aggregates = st.sampled_from(
    [
        f"SELECT benefit, count(*) AS n FROM {VIEW} GROUP BY benefit",
        f"SELECT benefit, avg(age) FROM {VIEW} WHERE age > 18 AND benefit <> 'x' GROUP BY 1",
        f"SELECT count(*) FROM {VIEW} WHERE benefit = 'CA' OR benefit = 'PIP'",
        f"SELECT postcode FROM {VIEW} UNION SELECT postcode FROM {VIEW}",
        f"SELECT postcode FROM {VIEW} EXCEPT SELECT postcode FROM {VIEW} WHERE age > 60",
    ]
)


@settings(max_examples=300, deadline=None)
@given(sql=st.one_of(benign_queries(), aggregates))
def test_generated_benign_queries_are_accepted_and_run(
    con: duckdb.DuckDBPyConnection, sql: str
) -> None:
    checked = check_query(sql, VIEWS)
    assert checked.views == frozenset({VIEW})
    con.sql(checked.sql()).fetchall()  # the checked SQL is the SQL that runs


def test_and_or_are_not_refused_as_functions() -> None:
    """sqlglot 30 models AND and OR as functions; they used to be refused."""
    check_query(f"SELECT postcode FROM {VIEW} WHERE age = 1 AND benefit = 'CA'", VIEWS)
    check_query(f"SELECT postcode FROM {VIEW} WHERE age = 1 OR NOT benefit = 'CA'", VIEWS)


CATALOGUES = [
    "pg_settings",
    "pg_catalog.pg_settings",
    "information_schema.tables",
    "information_schema.columns",
    "sqlite_master",
    "duckdb_settings()",
    "duckdb_tables()",
    "duckdb_extensions()",
    "pragma_database_list",
    "accord_opt_outs",
    "main.dwp_carers",
    "memory.main.dwp_carers",
    "system.main.duckdb_settings",
]
READERS = [
    "read_csv('/etc/passwd')",
    "read_csv_auto('/etc/passwd')",
    "read_parquet('/tmp/x.parquet')",
    "read_json('/tmp/x.json')",
    "read_text('/etc/hostname')",
    "read_blob('/etc/hostname')",
    "glob('/*')",
    "range(10)",
    "generate_series(1, 3)",
    "'/etc/passwd'",
    "'data.csv'",
    '"data.parquet"',
    "unnest([1, 2])",
]


@st.composite
def outside_references(draw: st.DrawFn) -> tuple[str, str]:
    """A query that reaches outside the views, and a word the refusal must contain."""
    target = draw(st.sampled_from(CATALOGUES + READERS))
    alias = draw(
        st.sampled_from(
            ["", " AS x", " AS pg_settings", " AS pg_settings(n, s)", f" AS {VIEW}", " t(a, b)"]
        )
    )
    where = draw(st.sampled_from(["", " WHERE 1 = 1 AND 2 = 2"]))
    shape = draw(
        st.sampled_from(
            [
                "SELECT * FROM {t}{a}{w}",
                "SELECT count(*) FROM {t}{a}{w}",
                f"SELECT postcode FROM {VIEW} WHERE postcode IN (SELECT * FROM {{t}}{{a}}{{w}})",
                f"SELECT * FROM {VIEW} JOIN {{t}}{{a}} ON true{{w}}",
                f"SELECT postcode FROM {VIEW} UNION ALL SELECT * FROM {{t}}{{a}}{{w}}",
                "WITH c AS (SELECT * FROM {t}{a}{w}) SELECT * FROM c",
                f"WITH c AS (SELECT * FROM {VIEW}) SELECT * FROM c, {{t}}{{a}}{{w}}",
                "SELECT * FROM (SELECT * FROM {t}{a}{w}) AS sub",
            ]
        )
    )
    return shape.format(t=target, a=alias, w=where), target


@settings(max_examples=400, deadline=None)
@given(case=outside_references())
def test_references_outside_the_views_are_refused_with_a_reason(case: tuple[str, str]) -> None:
    sql, _ = case
    with pytest.raises(ValidationError, match="query refused: ") as refused:
        check_query(sql, VIEWS)
    reason = refused.value.message
    assert any(
        phrase in reason
        for phrase in (
            "is not a view of this agreement",
            "names a schema",
            "is not allowed",
            "reads outside the agreement's views",
            "looks like the engine's catalogue",
            "has the name of a view",
        )
    ), reason


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("SELECT * FROM pg_settings AS pg_settings(n, s)", "pg_settings is not a view"),
        (
            f"WITH pg_settings AS (SELECT * FROM {VIEW}) SELECT * FROM pg_settings",
            "looks like the engine's catalogue",
        ),
        (
            f"WITH {VIEW} AS (SELECT * FROM pg_settings) SELECT * FROM {VIEW}",
            "has the name of a view",
        ),
        # A CTE is not visible inside itself, to those before it, or outside its query.
        ("WITH c AS (SELECT * FROM c) SELECT * FROM c", "c is not a view"),
        (
            f"WITH a AS (SELECT * FROM b), b AS (SELECT * FROM {VIEW}) SELECT * FROM a",
            "b is not a view",
        ),
        (
            f"SELECT * FROM (WITH c AS (SELECT * FROM {VIEW}) SELECT * FROM c) AS s, c",
            "c is not a view",
        ),
        (
            f"WITH c AS (SELECT * FROM {VIEW}) "
            "SELECT * FROM (WITH c AS (SELECT 1) SELECT * FROM c)",
            "defined twice",
        ),
        ("WITH RECURSIVE c AS (SELECT 1) SELECT * FROM c", "WITH RECURSIVE"),
        (f"SELECT current_setting('threads') FROM {VIEW}", "current_setting is not allowed"),
        (f"SELECT getenv('HOME') FROM {VIEW}", "is not allowed"),
        (f"SELECT * FROM {VIEW} TABLESAMPLE 10%", "is not allowed"),
        ("SELECT * FROM (VALUES (1)) AS t(a)", "is not allowed"),
        (f"SELECT * FROM {VIEW} WHERE age = $1", "is not allowed"),
        (f"SELECT * FROM {VIEW} PIVOT (count(*) FOR benefit IN ('CA'))", "not allowed"),
    ],
)
def test_scoping_and_allow_list_refusals(sql: str, reason: str) -> None:
    with pytest.raises(ValidationError, match="query refused: ") as refused:
        check_query(sql, VIEWS)
    assert reason in refused.value.message


def test_the_engine_refuses_files_too(con: duckdb.DuckDBPyConnection) -> None:
    """Defence in depth: even SQL that got past the checker could not read a file."""
    with pytest.raises(duckdb.Error, match=r"external access|disabled"):
        con.sql("SELECT * FROM read_csv('/etc/passwd')").fetchall()
