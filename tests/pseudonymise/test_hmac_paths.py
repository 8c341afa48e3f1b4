"""Every HMAC path returns exactly what Python's ``hmac`` returns, NULL for NULL.

Paths: the in-process Arrow function, the parallel batch stream, DuckDB SQL (pads as
literals and as bound parameters) and PostgreSQL SQL (the same two ways). Spark SQL
is checked by its rendering in test_hmac_sql_snapshots.py: no Spark runtime here.
"""

from __future__ import annotations

import duckdb
import psycopg
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from accord.pseudonymise.hmac_sql import (
    hmac_sha256_sql,
    hmac_sha256_sql_parameterised,
    pad_parameters,
)
from accord.pseudonymise.vectorised import HmacPool, hmac_hex
from tests.pseudonymise.conftest import KEYS, TEXT, VALUES, reference

EDGE_VALUES: list[str | None] = [
    "",
    None,
    "AB123456C",
    "x" * 55,  # the longest value whose inner hash is one padded block after ipad
    "x" * 56,
    "x" * 64,
    "é☃\U0001f600" * 30,  # > 64 characters, > 64 bytes, 2- to 4-byte UTF-8
    "\x00",
]
LONG_KEY = bytes(range(100))  # longer than the block: hashed first, as hmac does


def _column_sql(dialect: str, *, parameterised: bool, key: bytes) -> str:
    value = exp.column("v", table="t")
    if parameterised:
        return hmac_sha256_sql_parameterised(value, dialect).sql(dialect)  # type: ignore[arg-type]
    return hmac_sha256_sql(value, key, dialect).sql(dialect)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(key=KEYS, values=VALUES)
@example(key=b"k" * 32, values=EDGE_VALUES)
@example(key=LONG_KEY, values=EDGE_VALUES)
def test_arrow_matches_hmac(key: bytes, values: list[str | None]) -> None:
    expected = reference(key, values)
    array = pa.array(values, type=pa.string())
    assert hmac_hex(array, key).to_pylist() == expected
    assert hmac_hex(array.cast(pa.large_string()), key).to_pylist() == expected
    assert hmac_hex(array.cast(pa.string_view()), key).to_pylist() == expected
    assert hmac_hex(array.dictionary_encode(), key).to_pylist() == expected
    if len(values) > 2:  # slices: the array's offset into its buffers is honoured
        assert hmac_hex(array.slice(1, len(values) - 2), key).to_pylist() == expected[1:-1]
    chunked = pa.chunked_array([array, array.slice(len(values) // 2)], type=pa.string())
    assert hmac_hex(chunked, key).to_pylist() == expected + expected[len(values) // 2 :]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(key=KEYS, values=VALUES)
@example(key=b"k" * 32, values=EDGE_VALUES)
def test_parallel_batches_match_hmac(pool: HmacPool, key: bytes, values: list[str | None]) -> None:
    expected = reference(key, values)
    array = pa.array(values, type=pa.string())
    assert pool.hex(array, key).to_pylist() == expected
    assert pool.hex(array.dictionary_encode(), key).to_pylist() == expected


@settings(max_examples=150, deadline=None)
@given(key=KEYS, values=VALUES, parameterised=st.booleans())
@example(key=b"k" * 32, values=EDGE_VALUES, parameterised=False)
@example(key=LONG_KEY, values=EDGE_VALUES, parameterised=True)
def test_duckdb_sql_matches_hmac(key: bytes, values: list[str | None], parameterised: bool) -> None:
    table = pa.table(
        {"i": pa.array(range(len(values)), pa.int64()), "v": pa.array(values, pa.string())}
    )
    sql = f"SELECT {_column_sql('duckdb', parameterised=parameterised, key=key)} FROM t ORDER BY i"
    with duckdb.connect() as conn:
        conn.register("t", table)
        params = pad_parameters(key) if parameterised else None
        rows = conn.execute(sql, params).fetchall()
    assert [r[0] for r in rows] == reference(key, values)


@pytest.mark.postgres
def test_postgres_sql_matches_hmac(postgres_database: str) -> None:
    with psycopg.connect(postgres_database, autocommit=True) as conn:

        @settings(max_examples=100, deadline=None)
        @given(
            key=KEYS,
            # PostgreSQL text cannot hold U+0000; everything else must round-trip.
            values=st.lists(st.none() | TEXT.filter(lambda s: "\x00" not in s), max_size=40),
            parameterised=st.booleans(),
        )
        @example(key=b"k" * 32, values=EDGE_VALUES[:-1], parameterised=False)
        @example(key=LONG_KEY, values=EDGE_VALUES[:-1], parameterised=True)
        def check(key: bytes, values: list[str | None], parameterised: bool) -> None:
            column = _column_sql("postgres", parameterised=parameterised, key=key)
            sql = (
                f"SELECT {column} FROM unnest(%(values)s::text[]) WITH ORDINALITY AS t(v, i) "
                "ORDER BY t.i"
            )
            params: dict[str, object] = {"values": values}
            if parameterised:
                params.update(pad_parameters(key))
            rows = conn.execute(sql, params).fetchall()  # type: ignore[arg-type]
            assert [r[0] for r in rows] == reference(key, values)

        check()
