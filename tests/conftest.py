"""Shared fixtures: the store backends (SQLite and a real PostgreSQL) and a fresh Accord.

Tests that take ``store_url`` or ``accord`` run once per backend. PostgreSQL is a
throwaway cluster the session starts itself (see ``pgserver.py``); when it cannot be
started, the PostgreSQL cases fail under CI or ``ACCORD_REQUIRE_POSTGRES=1``, and are
skipped with the fix in the message elsewhere.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from hypothesis import settings

from accord.services.app import Accord
from accord.settings import load_settings
from tests.pgserver import find_pg_bin, throwaway_cluster

# Batch answers leave at a fixed deadline (1.5 s by default) so that their timing says
# nothing; the tests of that deadline set their own, and the rest need not wait it out.
FAST_BATCH_ANSWERS = {"ACCORD_BATCH_DEADLINE_MS": "50"}

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]

# Shared machines are noisy: a timing deadline would fail tests for the machine's sake.
settings.register_profile("accord", deadline=None)
settings.load_profile("accord")


def pytest_configure() -> None:
    """The CLI's consoles take their width from COLUMNS when they are made; pytest-xdist's
    workers inherit the controller's terminal width there, and the CLI tests set their
    own per invocation. Cleared before any test module imports the CLI."""
    for name in ("COLUMNS", "LINES"):
        os.environ.pop(name, None)


def _require_postgres() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("ACCORD_REQUIRE_POSTGRES") == "1"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A superuser URL on a PostgreSQL server started for this session."""
    if os.environ.get("ACCORD_TEST_POSTGRES_URL"):
        yield os.environ["ACCORD_TEST_POSTGRES_URL"]
        return
    bindir = find_pg_bin()
    if bindir is None:
        message = (
            "PostgreSQL server binaries not found: install Debian's `postgresql` package "
            "(`make test` does it as root), or set ACCORD_PG_BIN or ACCORD_TEST_POSTGRES_URL"
        )
        if _require_postgres():
            pytest.fail(message)
        pytest.skip(message)
    with throwaway_cluster(bindir) as url:
        yield url


@pytest.fixture
def postgres_database(postgres_url: str) -> Iterator[str]:
    """A fresh, empty database on the session's server, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = postgres_url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'accord.sqlite'}"
    url: str = request.getfixturevalue("postgres_database")
    return url


@pytest.fixture
def accord(tmp_path: Path, store_url: str) -> Iterator[Accord]:
    """A freshly initialised Accord over each backend."""
    settings = load_settings(
        {
            "ACCORD_HOME": str(tmp_path / "home"),
            "ACCORD_DATABASE_URL": store_url,
            **FAST_BATCH_ANSWERS,
        }
    )
    app = Accord.init(settings, operator="test")
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def sqlite_accord(tmp_path: Path) -> Iterator[Accord]:
    """SQLite only, for tests about the interfaces rather than the store."""
    app = Accord.init(
        load_settings({"ACCORD_HOME": str(tmp_path / "home"), **FAST_BATCH_ANSWERS}),
        operator="test",
    )
    try:
        yield app
    finally:
        app.close()


def _spark_missing() -> str | None:
    import importlib.util

    if importlib.util.find_spec("pyspark") is None:
        return "PySpark is not installed"
    from accord.linkage.spark_engine import java_available

    if not java_available():
        return "no Java runtime (scripts/ensure-java installs one, or set JAVA_HOME)"
    return None


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """One local Spark session for the whole run (a JVM takes seconds to start): two
    cores, small shuffles, a 1 GB driver, Splink's similarity functions loaded.

    Without PySpark or Java the Spark cases fail under ``ACCORD_REQUIRE_SPARK=1`` (CI
    sets it) rather than silently testing less, and are skipped with the fix elsewhere.
    """
    missing = _spark_missing()
    if missing is not None:
        if os.environ.get("ACCORD_REQUIRE_SPARK") == "1":
            pytest.fail(f"ACCORD_REQUIRE_SPARK=1 but Spark cannot run: {missing}")
        pytest.skip(f"Spark tests skipped: {missing}")
    from accord.linkage.spark_engine import spark_session

    session = spark_session(threads=2, memory="1g", shuffle_partitions=2)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
