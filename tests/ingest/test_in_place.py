"""In-place tables in DuckDB and PostgreSQL: read where they live, never copied or changed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import duckdb
import psycopg
import pytest

from accord.core.vocabulary import Category, DataType, SemanticType
from accord.errors import ValidationError
from accord.ingest import (
    MAX_PROBLEMS_PER_COLUMN,
    IngestOutcome,
    ProblemCode,
    inspect_duckdb_table,
    inspect_postgres_table,
)

ROWS = [
    (1, "AB123456C", "9434765919", "SW1A 1AA", dt.date(1980, 1, 2), 12.5),
    (2, "BG123456A", "9434765918", "XX1", dt.date(1975, 12, 31), 3.0),
    (3, "CE654321D", "401 023 2137", "m1 1ae", None, None),
]
DDL = (
    'CREATE TABLE {name} (id INTEGER NOT NULL, nino VARCHAR, "NHS No" VARCHAR, '
    "postcode VARCHAR, dob DATE, amount DOUBLE PRECISION)"
)


def make_duckdb(path: Path, rows: list[tuple[object, ...]], name: str = "people") -> None:
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE SCHEMA IF NOT EXISTS benefits")
        connection.execute(DDL.format(name=name))
        if rows:
            connection.executemany(f"INSERT INTO {name} VALUES (?, ?, ?, ?, ?, ?)", rows)


def make_postgres(url: str, rows: list[tuple[object, ...]], name: str = "people") -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE SCHEMA IF NOT EXISTS benefits")
        connection.execute(DDL.format(name=name))
        if rows:
            with connection.cursor() as cursor:
                cursor.executemany(f"INSERT INTO {name} VALUES (%s, %s, %s, %s, %s, %s)", rows)


Make = Callable[[list[tuple[object, ...]], str], None]
Inspect = Callable[..., IngestOutcome]


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Make, Inspect]]:
    """Make a table and inspect it, in each database, with the same calls."""
    if request.param == "duckdb":
        database = tmp_path / "source.duckdb"

        def make(rows: list[tuple[object, ...]], name: str = "people") -> None:
            make_duckdb(database, rows, name)

        def inspect(table: str, **options: object) -> IngestOutcome:
            return inspect_duckdb_table(database, table, **options)  # type: ignore[arg-type]

        yield make, inspect
    else:
        url: str = request.getfixturevalue("postgres_database")

        def make(rows: list[tuple[object, ...]], name: str = "people") -> None:
            make_postgres(url, rows, name)

        def inspect(table: str, **options: object) -> IngestOutcome:
            return inspect_postgres_table(url, table, **options)  # type: ignore[arg-type]

        yield make, inspect


def test_schema_suggestions_and_problems(backend: tuple[Make, Inspect]) -> None:
    make, inspect = backend
    make(ROWS, "people")
    outcome = inspect("people")
    assert not outcome.fatal
    assert outcome.table is None
    assert outcome.quarantine is None
    specs = {spec.name: spec for spec in outcome.fields}
    assert specs["id"].data_type is DataType.BIGINT
    assert not specs["id"].nullable
    assert specs["nino"].semantic_type is SemanticType.NINO
    assert specs["NHS No"].semantic_type is SemanticType.NHS_NUMBER
    assert specs["postcode"].semantic_type is SemanticType.POSTCODE
    assert specs["dob"].data_type is DataType.DATE
    assert specs["dob"].category is Category.QUASI_IDENTIFIER
    assert [(p.code, p.row, p.column) for p in outcome.problems] == [
        (ProblemCode.INVALID_NINO, 2, "nino"),
        (ProblemCode.INVALID_NHS_NUMBER, 2, "NHS No"),
        (ProblemCode.INVALID_POSTCODE, 2, "postcode"),
    ]
    assert outcome.bad_rows == 1
    assert outcome.row_count == 2
    assert len(outcome.content_hash) == 64


def test_content_hash_ignores_row_order_but_not_content(backend: tuple[Make, Inspect]) -> None:
    make, inspect = backend
    make(ROWS, "forward")
    make(list(reversed(ROWS)), "backward")
    make([*ROWS[:2], (*ROWS[2][:5], 99.0)], "changed")
    make([*ROWS, ROWS[0]], "duplicated")
    forward = inspect("forward").content_hash
    assert inspect("backward").content_hash == forward
    assert inspect("forward").content_hash == forward
    assert inspect("changed").content_hash != forward
    assert inspect("duplicated").content_hash != forward


def test_empty_table(backend: tuple[Make, Inspect]) -> None:
    make, inspect = backend
    make([], "people")
    outcome = inspect("people")
    assert outcome.ok
    assert outcome.row_count == 0
    assert [spec.semantic_type for spec in outcome.fields][1] is SemanticType.NINO


def test_problems_are_capped_but_counted(backend: tuple[Make, Inspect]) -> None:
    make, inspect = backend
    rows = [(i, "BG123456A", "9434765919", "M1 1AE", None, None) for i in range(150)]
    rows += [(1000 + i, "AB123456C", "9434765919", "M1 1AE", None, None) for i in range(50)]
    make(rows, "people")
    outcome = inspect("people", overrides={"nino": SemanticType.NINO})
    listed = [p for p in outcome.problems if p.code is ProblemCode.INVALID_NINO]
    assert [p.row for p in listed] == list(range(1, MAX_PROBLEMS_PER_COLUMN + 1))
    assert outcome.problems[-1].code is ProblemCode.MORE_PROBLEMS
    assert "50 more" in outcome.problems[-1].message
    assert outcome.bad_rows == 150
    assert outcome.row_count == 50


def test_schema_qualified_and_awkward_names(backend: tuple[Make, Inspect]) -> None:
    make, inspect = backend
    make(ROWS[:1], 'benefits."Carers ""2024"""')
    outcome = inspect('benefits.Carers "2024"')
    assert outcome.ok
    assert outcome.row_count == 1


@pytest.mark.parametrize(
    "hostile",
    [
        "people; DROP TABLE people",
        'people" ; DROP TABLE people; --',
        "people WHERE 1=0",
        "People",  # names are matched exactly
    ],
)
def test_table_names_cannot_inject_sql(backend: tuple[Make, Inspect], hostile: str) -> None:
    make, inspect = backend
    make(ROWS, "people")
    outcome = inspect(hostile)
    assert outcome.fatal
    assert outcome.problems[0].code is ProblemCode.UNREADABLE
    assert inspect("people").bad_rows == 1  # still there, unchanged


@pytest.mark.parametrize("malformed", ["", "a.b.c", ".people", "people.", " people"])
def test_malformed_table_names_raise(backend: tuple[Make, Inspect], malformed: str) -> None:
    _, inspect = backend
    with pytest.raises(ValidationError):
        inspect(malformed)


def test_reinspection_against_the_registered_schema(backend: tuple[Make, Inspect]) -> None:
    make, inspect = backend
    make(ROWS, "people")
    fields = inspect("people").fields
    required = tuple(replace(spec, nullable=spec.name != "dob") for spec in fields)
    outcome = inspect("people", schema=required)
    missing = [p for p in outcome.problems if p.code is ProblemCode.MISSING_VALUE]
    assert [(p.row, p.column) for p in missing] == [(3, "dob")]
    assert outcome.bad_rows == 2

    renamed = tuple(replace(spec, name="ni") if spec.name == "nino" else spec for spec in fields)
    drifted = inspect("people", schema=renamed)
    assert drifted.fatal
    assert {(p.code, p.column) for p in drifted.problems} == {
        (ProblemCode.MISSING_COLUMN, "ni"),
        (ProblemCode.EXTRA_COLUMN, "nino"),
    }

    retyped = tuple(
        replace(spec, data_type=DataType.VARCHAR) if spec.name == "id" else spec for spec in fields
    )
    assert inspect("people", schema=retyped).problems[0].code is ProblemCode.TYPE_MISMATCH


def test_duckdb_missing_database_is_unreadable(tmp_path: Path) -> None:
    outcome = inspect_duckdb_table(tmp_path / "absent.duckdb", "people")
    assert outcome.fatal
    assert outcome.problems[0].code is ProblemCode.UNREADABLE


def test_duckdb_source_is_opened_read_only(tmp_path: Path) -> None:
    database = tmp_path / "source.duckdb"
    make_duckdb(database, ROWS)
    before = database.read_bytes()
    inspect_duckdb_table(database, "people")
    assert database.read_bytes() == before


def test_duckdb_unsupported_column_refuses(tmp_path: Path) -> None:
    database = tmp_path / "source.duckdb"
    with duckdb.connect(str(database)) as connection:
        connection.execute("CREATE TABLE t (id INTEGER, tags VARCHAR[])")
    outcome = inspect_duckdb_table(database, "t")
    assert outcome.fatal
    assert (outcome.problems[0].code, outcome.problems[0].column) == (
        ProblemCode.UNSUPPORTED_TYPE,
        "tags",
    )


def test_postgres_unreachable_server_is_unreadable() -> None:
    outcome = inspect_postgres_table("postgresql://nobody@127.0.0.1:1/none", "people")
    assert outcome.fatal
    assert outcome.problems[0].code is ProblemCode.UNREADABLE
