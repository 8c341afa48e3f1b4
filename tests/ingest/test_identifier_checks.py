"""The bulk identifier checks agree with the scalar reference validators, value for value.

Three bulk implementations are held to ``accord.core.identifiers``: Arrow kernels
(files), DuckDB SQL and PostgreSQL SQL (in-place tables).
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import psycopg
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.core.identifiers import is_valid_nhs_number, is_valid_nino, is_valid_postcode
from accord.core.vocabulary import SemanticType
from accord.ingest.identifier_checks import nhs_number_valid, nino_valid, postcode_valid
from accord.ingest.sql_checks import DUCKDB, POSTGRES, Dialect, cleaned_sql, invalid_sql
from tests.ingest.noisy import NHS_TEXT, NINO_TEXT, POSTCODE_TEXT

CASES: list[tuple[SemanticType, Callable[[str], bool], Callable[[pa.Array], pa.Array], object]] = [
    (SemanticType.NINO, is_valid_nino, nino_valid, NINO_TEXT),
    (SemanticType.NHS_NUMBER, is_valid_nhs_number, nhs_number_valid, NHS_TEXT),
    (SemanticType.POSTCODE, is_valid_postcode, postcode_valid, POSTCODE_TEXT),
]
IDS = [case[0].value for case in CASES]

KNOWN = [
    "AB123456C",
    "ab 12 34 56 c",
    "BG123456A",
    "\ufb06123456A",
    "9434765919",
    "943-476-5919",
    "9434765918",
    "SW1A 1AA",
    "sw1a1aa",
    "GIR 0AA",
    "\u017fW1A 1AA",
    "",
    " ",
    None,
]


def expected(scalar: Callable[[str], bool], values: list[str | None]) -> list[bool | None]:
    return [None if value is None else scalar(value) for value in values]


@pytest.mark.parametrize(("semantic", "scalar", "vectorised", "strategy"), CASES, ids=IDS)
def test_arrow_agrees_with_scalar(
    semantic: SemanticType,
    scalar: Callable[[str], bool],
    vectorised: Callable[[pa.Array], pa.Array],
    strategy: st.SearchStrategy[str | None],
) -> None:
    @given(st.lists(strategy, max_size=40))
    def check(values: list[str | None]) -> None:
        array = pa.array(values + KNOWN, type=pa.string())
        assert vectorised(array).to_pylist() == expected(scalar, values + KNOWN)
        # Slices have non-zero offsets: the NHS kernel reads buffers directly.
        assert vectorised(array.slice(1)).to_pylist() == expected(scalar, (values + KNOWN)[1:])

    check()


def sql_invalid(dialect: Dialect, semantic: SemanticType, column: str) -> str:
    return invalid_sql(semantic, column, cleaned_sql(semantic, column), dialect)


@pytest.mark.parametrize(("semantic", "scalar", "vectorised", "strategy"), CASES, ids=IDS)
def test_duckdb_sql_agrees_with_scalar(
    semantic: SemanticType,
    scalar: Callable[[str], bool],
    vectorised: Callable[[pa.Array], pa.Array],
    strategy: st.SearchStrategy[str | None],
) -> None:
    connection = duckdb.connect()

    @settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(strategy, max_size=40))
    def check(values: list[str | None]) -> None:
        values = values + KNOWN
        rows = pa.table({"i": list(range(len(values))), "v": pa.array(values, pa.string())})
        connection.register("vals", rows)
        got = connection.execute(
            f"SELECT {sql_invalid(DUCKDB, semantic, 'v')} FROM vals ORDER BY i"
        ).fetchall()
        assert [row[0] for row in got] == [v is not None and not scalar(v) for v in values]

    check()


@pytest.mark.postgres
@pytest.mark.parametrize(("semantic", "scalar", "vectorised", "strategy"), CASES, ids=IDS)
def test_postgres_sql_agrees_with_scalar(
    postgres_url: str,
    semantic: SemanticType,
    scalar: Callable[[str], bool],
    vectorised: Callable[[pa.Array], pa.Array],
    strategy: st.SearchStrategy[str | None],
) -> None:
    no_nul = strategy.filter(lambda v: v is None or "\x00" not in v)
    with psycopg.connect(postgres_url, autocommit=True) as connection:

        @settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow], deadline=None)
        @given(st.lists(no_nul, max_size=40))
        def check(values: list[str | None]) -> None:
            values = values + KNOWN
            predicate = sql_invalid(POSTGRES, semantic, "v").replace("%", "%%")
            got = connection.execute(
                f"SELECT {predicate} FROM unnest(%s::text[]) WITH ORDINALITY AS t(v, i) ORDER BY i",
                (values,),
            ).fetchall()
            assert [row[0] for row in got] == [v is not None and not scalar(v) for v in values]

        check()
