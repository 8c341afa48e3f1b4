"""The in-place query checker fuzzed with Hypothesis: hostile SQL assembled from the
ways out of a governed view (files, the environment, settings, the catalogue, other
tables, extensions, several statements, comments, quoting tricks, look-alike letters)
is either refused with a ``ValidationError`` or accepted, and then, run by DuckDB over
a database that also holds a secret table and beside a secret file, it never returns
either secret: an accepted query reads only the agreement's view.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.core.plan.query import check_query
from accord.errors import AccordError

SECRET = "SECRET-MARKER-7f3a"
VIEWS = {"dwp_carers": frozenset({"person_id", "postcode", "weekly_hours"})}

FUZZ = settings(
    max_examples=400,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

COLUMNS = st.sampled_from(
    [
        "person_id",
        "postcode",
        "weekly_hours",
        "*",
        "secret",
        "nino",
        "count(*)",
        "upper(postcode)",
        '"postcode"',
        '"POSTCODE"',
        "dwp_carers.postcode",
        "getenv('HOME')",
        "current_setting('threads')",
        "read_text('{secret_file}')",
        "(select value from secrets)",
        "(select * from read_csv('{secret_file}'))",
        "version()",
        "pg_read_file('{secret_file}')",
        "'{secret_file}'",
        "glob('*')",
        "lower(person_id) || 'x'",
        "1",
        "sum(weekly_hours) over (partition by postcode)",
    ]
)
SOURCES = st.sampled_from(
    [
        "dwp_carers",
        "DWP_CARERS",
        '"dwp_carers"',
        "main.dwp_carers",
        "secrets",
        '"secrets"',
        "dwp_carers, secrets",
        "dwp_carers join secrets on true",
        "read_csv('{secret_file}')",
        "read_csv_auto('{secret_file}')",
        "read_parquet('{secret_file}')",
        "'{secret_file}'",
        "glob('*')",
        "duckdb_settings()",
        "information_schema.tables",
        "pg_catalog.pg_class",
        "duckdb_tables()",
        "dw\u0440_carers",  # a Cyrillic er, looking like p
        "(select * from secrets) as dwp_carers",
        "(select * from dwp_carers) t",
        "dwp_carers as secrets",
        "secrets as dwp_carers",
    ]
)
SUFFIXES = st.sampled_from(
    [
        "",
        " where postcode = 'x'",
        " union select value from secrets",
        " union all select * from read_csv('{secret_file}')",
        "; select * from secrets",
        "; attach '{secret_file}' as s",
        "; copy secrets to '{secret_file}.out'",
        "; install httpfs; load httpfs",
        "; pragma database_list",
        "; set enable_external_access = true",
        " -- trailing comment",
        " /* block */",
        " limit 1",
        " order by 1",
        "\x00",
        ";",
    ]
)


@st.composite
def hostile_sql(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(["", "with x as (select * from dwp_carers) ", "/**/", "("]))
    columns = ", ".join(draw(st.lists(COLUMNS, min_size=1, max_size=3)))
    source = draw(SOURCES)
    if prefix.startswith("with") and draw(st.booleans()):
        source = "x"
    sql = f"{prefix}select {columns} from {source}{draw(SUFFIXES)}"
    if prefix == "(":
        sql += ")"
    return sql


@pytest.fixture(scope="module")
def engine(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[duckdb.DuckDBPyConnection, Path]]:
    """A database holding the agreement's view and, beside it, what it must never reach:
    a secret table and a secret file, both holding the marker."""
    tmp = tmp_path_factory.mktemp("fuzz-query")
    secret_file = tmp / "secret.csv"
    secret_file.write_text(f"value\n{SECRET}\n")
    con = duckdb.connect()
    con.execute(f"create table secrets as select '{SECRET}' as value")
    con.execute(
        "create table carers as select 'P' || i as person_id, 'M1 1AE' as postcode,"
        " 35 + i as weekly_hours, 'AB12345' || i || 'C' as nino from range(5) t(i)"
    )
    con.execute("create view dwp_carers as select person_id, postcode, weekly_hours from carers")
    yield con, secret_file
    con.close()


def verdict(sql: str) -> tuple[str | None, str]:
    """The SQL the checker accepted (as it would run), or None and the reason it gave;
    anything but an ``AccordError`` escapes and fails the test."""
    try:
        return check_query(sql, VIEWS).sql(), ""
    except AccordError as exc:
        return None, f"{type(exc).__name__}: {exc}"


def checked_or_refused(sql: str) -> str | None:
    """As :func:`verdict`, insisting that a refusal is a ValidationError with a reason."""
    accepted, reason = verdict(sql)
    if accepted is None:
        kind, _, message = reason.partition(": ")
        assert kind == "ValidationError", reason
        assert message, "a refusal without a reason"
    return accepted


@FUZZ
@given(hostile_sql())
def test_hostile_sql_is_refused_or_reads_only_the_view(
    engine: tuple[duckdb.DuckDBPyConnection, Path], sql: str
) -> None:
    con, secret_file = engine
    sql = sql.replace("{secret_file}", str(secret_file))
    accepted = checked_or_refused(sql)
    if accepted is None:
        return
    assert SECRET not in accepted
    try:
        rows = con.execute(accepted).fetchall()
    except duckdb.Error:
        return  # the engine refused what the checker let through: nothing was read
    assert SECRET not in repr(rows), f"{sql!r} read a secret: {rows!r}"
    assert "AB12345" not in repr(rows), f"{sql!r} read a field outside the agreement"


@FUZZ
@given(st.text(max_size=300))
def test_arbitrary_text_is_refused_or_checked_never_crashes(sql: str) -> None:
    accepted, reason = verdict(sql)
    assert accepted is not None or reason


@settings(max_examples=5, derandomize=True, deadline=None, database=None)
@given(st.integers(10_000, 200_000))
def test_huge_inputs_are_refused_or_checked_quickly(size: int) -> None:
    sql = "select " + " + ".join(["weekly_hours"] * (size // 15)) + " from dwp_carers"
    accepted, reason = verdict(sql)
    assert accepted is not None or reason
