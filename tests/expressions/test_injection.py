"""Injection: whatever a requester types is a name, a value or an error, never SQL.

Attempts are generated with Hypothesis from classic payloads placed where a filter
takes text (inside a string, as a bare word, inside a quoted name, after a valid
filter). Each is either refused with a ``ValidationError`` or compiles to SQL that,
in every dialect, is one expression with no statement separator and no comment;
run on DuckDB it only reads the filtered table and the other table is untouched.
"""

from __future__ import annotations

import duckdb
import psycopg
import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp
from sqlglot.tokens import TokenType

from accord.core.expressions import DIALECTS, lookup_from_rows, parse_checked, to_sql, to_sqlglot
from accord.core.expressions.describe import quote_identifier, quote_string
from accord.core.vocabulary import DataType
from accord.errors import ValidationError
from tests.expressions.engines import create_table, insert_sql, select_ids
from tests.expressions.strategies import text
from tests.expressions.test_compile import REFERENCE

SCHEMA = {"x": DataType.VARCHAR, "n": DataType.BIGINT}
ROWS = [(0, "a", 1), (1, "b", 2), (2, "a'; drop table secret; --", 3)]

PAYLOADS = [
    "'; drop table secret; --",
    "' or 1=1 --",
    "' or '1'='1",
    "a'; delete from secret where '1'='1",
    '" or 1=1 --',
    'x"" or 1=1',
    "1; select * from secret",
    "1 union select n from secret",
    "(select count(*) from secret)",
    "/* */ or 1=1",
    "read_csv('/etc/passwd')",
    "x || 'a'",
    "\\'; drop table secret; --",
    "$$; drop table secret; $$",
    "`x`",
    "'' ; copy secret to '/tmp/out'",
]
TEMPLATES = [
    "x = '{}'",
    "x = {}",
    "x = 'a' or {}",
    "\"{}\" = 'a'",
    "x in ('a', '{}')",
    "{}",
    "n = 1 and x = '{}'",
    "x = 'a' {}",
    "x like '{}'",
    "x not like 'a' or starts_with(x, '{}')",
    "lower(x) = upper('{}')",
    "in_area(x, '{}')",
    "in_area(x) or x = '{}'",
    "in_area({})",
]
AREAS = lookup_from_rows(
    [
        {"postcode": "a'; drop table secret; --", "la_code": "E06000001"},
        {"postcode": "b", "oa_code": "E00000001", "la_code": "E06000002"},
    ],
    served=("E06000001",),
)
"""A geography whose places include a payload: it must reach SQL only as a literal."""
attempts = st.builds(
    lambda template, payload, tail: template.format(payload + tail),
    st.sampled_from(TEMPLATES),
    st.sampled_from(PAYLOADS),
    st.sampled_from(["", "'", '"', ";", " --", ")"]),
) | st.builds(lambda a, b: a + b, st.sampled_from(TEMPLATES).map(lambda t: t.format("a")), text)


def assert_one_harmless_expression(compiled: exp.Expression) -> None:
    for dialect in DIALECTS:
        sql = compiled.sql(dialect=dialect)
        tokens = sqlglot.tokenize(sql, read=dialect)
        assert all(token.token_type is not TokenType.SEMICOLON for token in tokens), sql
        assert not any(token.comments for token in tokens), sql
        statements = sqlglot.parse(f"SELECT 1 FROM t WHERE {sql}", read=dialect)
        assert len(statements) == 1, sql
        (statement,) = statements
        assert statement is not None
        assert len(list(statement.find_all(exp.Select))) == 1, sql
        tables = {table.name for table in statement.find_all(exp.Table)}
        assert tables == {"t"}, sql


@pytest.fixture
def loaded(duck: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    duck.execute(create_table(SCHEMA, "duckdb"))
    duck.executemany(insert_sql(SCHEMA, "duckdb"), ROWS)
    duck.execute("CREATE TABLE secret AS SELECT 42 AS n")
    return duck


@given(attempt=attempts)
@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_injection_attempts_are_refused_or_inert(
    loaded: duckdb.DuckDBPyConnection, attempt: str
) -> None:
    try:
        typed = parse_checked(attempt, SCHEMA)
    except ValidationError:
        return
    compiled = to_sqlglot(typed, REFERENCE, areas=AREAS)
    assert_one_harmless_expression(compiled)
    query = select_ids(typed, REFERENCE, "duckdb", areas=AREAS)
    ids = [row[0] for row in loaded.execute(query).fetchall()]
    assert set(ids) <= {0, 1, 2}
    assert loaded.execute("SELECT n FROM secret").fetchall() == [(42,)]


@pytest.mark.parametrize(
    "attempt",
    [
        "x = 'a'; drop table t",
        "x = 'a' or 1=1 --",
        '"x"" or 1=1',
        "x = 'a' or 1=1 /*",
        "x = (select max(x) from secret)",
        "x = 'a' union select 1",
        "x = read_csv('/etc/passwd')",
        "x || 'a' = 'ab'",
        "x = 'a' or exists (select 1)",
        "x = 'a' \\; drop table t",
    ],
)
def test_the_classics_are_parse_errors(attempt: str) -> None:
    with pytest.raises(ValidationError, match="at column"):
        parse_checked(attempt, SCHEMA)


def test_payload_inside_a_string_is_only_a_value(loaded: duckdb.DuckDBPyConnection) -> None:
    typed = parse_checked("x = 'a''; drop table secret; --'", SCHEMA)
    compiled = to_sqlglot(typed, REFERENCE)
    assert_one_harmless_expression(compiled)
    literals = [node.this for node in compiled.find_all(exp.Literal)]
    assert literals == ["a'; drop table secret; --"]
    ids = loaded.execute(select_ids(typed, REFERENCE, "duckdb")).fetchall()
    assert ids == [(2,)]
    assert loaded.execute("SELECT n FROM secret").fetchall() == [(42,)]


def test_a_place_in_the_geography_is_only_a_value(loaded: duckdb.DuckDBPyConnection) -> None:
    typed = parse_checked("in_area(x)", SCHEMA)
    compiled = to_sqlglot(typed, REFERENCE, areas=AREAS)
    assert_one_harmless_expression(compiled)
    query = select_ids(typed, REFERENCE, "duckdb", areas=AREAS)
    assert loaded.execute(query).fetchall() == [(2,)]
    assert loaded.execute("SELECT n FROM secret").fetchall() == [(42,)]


def test_payload_as_a_quoted_name_is_only_an_unknown_column() -> None:
    with pytest.raises(ValidationError, match="unknown column 'x\" or 1=1 --'"):
        parse_checked('"x"" or 1=1 --" = 1', SCHEMA)


@given(value=text)
@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_string_round_trips_through_duckdb(duck: duckdb.DuckDBPyConnection, value: str) -> None:
    typed = parse_checked(f"s = {quote_string(value)}", {"s": DataType.VARCHAR})
    sql = to_sql(typed, REFERENCE, "duckdb")
    assert duck.execute(f"SELECT {sql} FROM (SELECT ? AS s)", [value]).fetchall() == [(True,)]


# Any name but the table's own key column, which DuckDB compares case-insensitively.
@given(name=text.filter(lambda name: bool(name) and name.lower() != "id"))
@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_column_name_is_one_quoted_identifier(
    duck: duckdb.DuckDBPyConnection, name: str
) -> None:
    schema = {name: DataType.BIGINT}
    typed = parse_checked(f"{quote_identifier(name)} = 7", schema)
    duck.execute("DROP TABLE IF EXISTS t")
    duck.execute(create_table(schema, "duckdb"))
    duck.execute(insert_sql(schema, "duckdb"), [0, 7])
    assert duck.execute(select_ids(typed, REFERENCE, "duckdb")).fetchall() == [(0,)]


@pytest.mark.postgres
def test_strings_and_names_are_escaped_for_postgres(pg: psycopg.Connection) -> None:
    awkward = ["a'; drop table secret; --", "\\", "it''s", '"', "é ; --", "$$x$$", "\n"]
    name = 'we"ird; name'
    schema = {name: DataType.VARCHAR}
    pg.execute(create_table(schema, "postgres"))
    pg.execute("CREATE TABLE secret AS SELECT 42 AS n")
    with pg.cursor() as cursor:
        cursor.executemany(insert_sql(schema, "postgres"), list(enumerate(awkward)))
    for i, value in enumerate(awkward):
        typed = parse_checked(f"{quote_identifier(name)} = {quote_string(value)}", schema)
        assert pg.execute(select_ids(typed, REFERENCE, "postgres")).fetchall() == [(i,)]
    assert pg.execute("SELECT n FROM secret").fetchall() == [(42,)]
