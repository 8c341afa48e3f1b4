"""Calendar edges, exhaustively: month-end clamping, leap days and birthdays.

The random semantics test rarely lands on a birthday, so these tests walk every day
of a common and a leap year through ``column ± interval`` and ``age(column)`` in the
database, and compare each value with :mod:`accord.core.expressions.dates`, which is
itself pinned to hand-checked values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import psycopg
import pytest
import sqlglot
from sqlglot import exp

from accord.core.expressions import TypedExpression, dates, parse, to_sqlglot
from accord.core.expressions.nodes import Age, DateShift, Expr, IsNull, Unit
from accord.core.vocabulary import DataType
from tests.expressions.engines import create_table, insert_sql

SCHEMA = {"d": DataType.DATE, "t": DataType.TIMESTAMP}
DAYS = [date(2023, 1, 1) + timedelta(days=i) for i in range(365 + 366)]
STAMPS = [datetime(d.year, d.month, d.day, 13, 45, 7, 250) for d in DAYS]
REFERENCES = [
    date(2025, 2, 28),
    date(2025, 3, 1),
    date(2024, 2, 29),
    date(2024, 2, 28),
    date(2024, 12, 31),
]
VALUE_EXPRESSIONS = [
    "d + interval 1 month",
    "d - interval 1 month",
    "d + interval 13 months",
    "d - interval 1 year",
    "d + interval 4 years",
    "d - interval 30 days",
    "d + interval 1 year - interval 1 day",
    "t + interval 1 month",
    "t - interval 1 year + interval 2 days",
    "age(d)",
    "age(t)",
    "age(d - interval 18 years)",
]
ROWS = list(zip(range(len(DAYS)), DAYS, STAMPS, strict=True))
Fetch = Callable[[str], Sequence[Sequence[Any]]]


@pytest.mark.parametrize(
    ("born", "at", "years"),
    [
        (date(2000, 2, 29), date(2025, 2, 28), 24),
        (date(2000, 2, 29), date(2025, 3, 1), 25),
        (date(2000, 2, 29), date(2024, 2, 28), 23),
        (date(2000, 2, 29), date(2024, 2, 29), 24),
        (date(1990, 12, 31), date(2025, 12, 30), 34),
        (date(1990, 12, 31), date(2025, 12, 31), 35),
        (date(1990, 6, 15), date(2025, 6, 14), 34),
        (date(1990, 6, 15), date(2025, 6, 15), 35),
        (date(2025, 1, 1), date(2025, 1, 1), 0),
        (date(2025, 1, 2), date(2025, 1, 1), -1),
    ],
)
def test_age_counts_completed_years(born: date, at: date, years: int) -> None:
    assert dates.age(born, at) == years
    assert dates.age(datetime(born.year, born.month, born.day, 23, 59), at) == years


@pytest.mark.parametrize(
    ("start", "amount", "unit", "end"),
    [
        (date(2024, 1, 31), 1, Unit.MONTH, date(2024, 2, 29)),
        (date(2023, 1, 31), 1, Unit.MONTH, date(2023, 2, 28)),
        (date(2024, 3, 31), -1, Unit.MONTH, date(2024, 2, 29)),
        (date(2024, 2, 29), 1, Unit.YEAR, date(2025, 2, 28)),
        (date(2024, 2, 29), -4, Unit.YEAR, date(2020, 2, 29)),
        (date(2024, 2, 29), 1, Unit.MONTH, date(2024, 3, 29)),
        (date(2024, 12, 15), 13, Unit.MONTH, date(2026, 1, 15)),
        (date(2024, 1, 1), -1, Unit.DAY, date(2023, 12, 31)),
    ],
)
def test_shift_clamps_to_the_month_end(start: date, amount: int, unit: Unit, end: date) -> None:
    assert dates.shift(start, amount, unit) == end


def test_shift_refuses_dates_out_of_range() -> None:
    with pytest.raises(OverflowError):
        dates.shift(date(9999, 12, 1), 1, Unit.MONTH)
    with pytest.raises(OverflowError):
        dates.shift(date(1, 1, 1), -1, Unit.DAY)


def _value(text: str) -> Expr:
    """A non-boolean expression, taken from inside ``… is null``."""
    tree = parse(f"{text} is null")
    assert isinstance(tree, IsNull)
    return tree.operand


def _python(node: Expr, row: int, today: date) -> object:
    match node:
        case DateShift(operand, subtract, amount, unit):
            start = _python(operand, row, today)
            assert isinstance(start, date)
            return dates.shift(start, -amount if subtract else amount, unit)
        case Age(operand):
            born = _python(operand, row, today)
            assert isinstance(born, date)
            return dates.age(born, today)
    return DAYS[row] if node == _value("d") else STAMPS[row]


def _database(fetch: Fetch, dialect: str, node: Expr, today: date) -> list[object]:
    compiled = to_sqlglot(TypedExpression(node, tuple(SCHEMA.items())), today)
    query = (
        sqlglot.select(compiled)
        .from_(exp.to_table("t", quoted=True))
        .order_by(exp.column("id", quoted=True))
    )
    values = [row[0] for row in fetch(query.sql(dialect=dialect))]
    # PostgreSQL's EXTRACT is numeric: compare ages as integers.
    return [int(v) if isinstance(node, Age) else v for v in values]


def _walk_the_calendar(fetch: Fetch, dialect: str) -> None:
    for text in VALUE_EXPRESSIONS:
        node = _value(text)
        for today in REFERENCES if isinstance(node, Age) else REFERENCES[:1]:
            expected = [_python(node, i, today) for i in range(len(DAYS))]
            got = _database(fetch, dialect, node, today)
            wrong = [
                (DAYS[i], g, e)
                for i, (g, e) in enumerate(zip(got, expected, strict=True))
                if g != e
            ]
            assert not wrong, (text, today, wrong[:5])


def test_duckdb_walks_the_calendar(duck: duckdb.DuckDBPyConnection) -> None:
    duck.execute(create_table(SCHEMA, "duckdb"))
    duck.executemany(insert_sql(SCHEMA, "duckdb"), ROWS)
    _walk_the_calendar(lambda q: duck.execute(q).fetchall(), "duckdb")


@pytest.mark.postgres
def test_postgres_walks_the_calendar(pg: psycopg.Connection) -> None:
    pg.execute(create_table(SCHEMA, "postgres"))
    with pg.cursor() as cursor:
        cursor.executemany(insert_sql(SCHEMA, "postgres"), ROWS)
    _walk_the_calendar(lambda q: pg.execute(q).fetchall(), "postgres")
    # An independent oracle for age(): PostgreSQL's own age(), leap days included
    # (for births up to the reference date; it truncates negative ages towards zero).
    node = _value("age(d)")
    for today in REFERENCES:
        native = pg.execute(
            "SELECT EXTRACT(YEAR FROM age(%s, d))::int FROM t ORDER BY id", [today]
        ).fetchall()
        ours = _database(lambda q: pg.execute(q).fetchall(), "postgres", node, today)
        born = [i for i, day in enumerate(DAYS) if day <= today]
        assert [ours[i] for i in born] == [native[i][0] for i in born], today
