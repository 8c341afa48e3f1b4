"""Fixtures for running compiled filters: an in-memory DuckDB and a PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import psycopg
import pytest


@pytest.fixture
def duck() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(":memory:")
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
def pg(postgres_database: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(postgres_database, autocommit=True) as connection:
        yield connection
