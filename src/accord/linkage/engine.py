"""The seam between linkage and the engine that runs its SQL.

Every step of a linkage (standardising, deterministic passes, blocking counts,
resolving the one-to-one constraint, tokens) is SQL written in DuckDB's dialect, and
Splink runs the model through its own ``DatabaseAPI``. An :class:`Engine` is the pair:
a place to run that SQL and the matching Splink backend. DuckDB is the default and
runs in process with a memory limit, so a linkage of millions of records stays
within a bounded footprint, spilling to a temporary directory when it must.

Spark (``ACCORD_ENGINE=spark``, for the scale that outgrows one machine) is the
other engine, in :mod:`accord.linkage.spark_engine`: it runs the same DuckDB-dialect
SQL transpiled by sqlglot and hands Splink a ``SparkAPI``. PySpark is imported only
when that engine is opened, so ``import accord`` works without it.
"""

from __future__ import annotations

import importlib.util
import logging
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa

from accord.engine.bounds import bounded_duckdb, query_limits, translate
from accord.errors import AccordError, ConfigurationError
from accord.linkage.redact import redact
from accord.settings import parse_size

__all__ = ["ENGINES", "DuckDBEngine", "Engine", "LinkageError", "open_engine"]

log = logging.getLogger(__name__)


class LinkageError(AccordError):
    """The engine failed while running a linkage step; the message names the step."""

    status_code = 500
    code = "linkage"


class Engine(Protocol):
    """Where a linkage's SQL runs, and the Splink backend that runs the model there."""

    name: str
    dialect: str
    """The SQL dialect the engine runs natively (statements arrive in DuckDB's)."""

    def execute(self, sql: str, *, step: str) -> None:
        """Run a statement; failures become :class:`LinkageError` naming ``step``."""

    def fetch(self, sql: str, *, step: str) -> list[tuple[Any, ...]]:
        """Run a query and return its rows."""

    def arrow(self, sql: str, *, step: str) -> pa.Table:
        """Run a query and return an Arrow table (engine-neutral results)."""

    def register_arrow(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table queryable as ``name``."""

    def register_file(self, name: str, path: Path, kind: str) -> None:
        """Make a ``parquet`` or ``csv`` file (with a header row) queryable as ``name``."""

    def columns(self, table: str) -> list[tuple[str, str]]:
        """Name and engine type of each column of ``table``."""

    def splink_api(self) -> Any:
        """A Splink ``DatabaseAPI`` over the same connection."""

    def close(self) -> None:
        """Release what the engine holds (connections, temporary tables, spill files)."""


class DuckDBEngine:
    """DuckDB in process: the default engine.

    ``memory_limit`` caps DuckDB's own buffers (it spills to ``temp_directory``
    beyond it), never above ``ACCORD_QUERY_MEMORY``; ``threads`` defaults to
    ``ACCORD_QUERY_THREADS``. The connection is opened by
    :func:`accord.engine.bounds.bounded_duckdb`, without a query slot or a wall-clock
    limit, since it lives as long as the linkage job.
    """

    name = "duckdb"
    dialect = "duckdb"

    def __init__(
        self,
        *,
        memory_limit: str | None = "2GB",
        threads: int | None = None,
        temp_directory: Path | None = None,
    ) -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if temp_directory is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="accord-linkage-")
            temp_directory = Path(self._tmp.name)
        base = query_limits()
        asked = parse_size("memory_limit", memory_limit) if memory_limit else base.memory_bytes
        limits = replace(
            base, memory_bytes=min(asked, base.memory_bytes), threads=threads or base.threads
        )
        self._bounded = ExitStack()
        self.connection = self._bounded.enter_context(
            bounded_duckdb(
                limits=limits, slot=False, timed=False, spill_to=temp_directory, what="linkage"
            )
        )
        self._api: Any = None

    def execute(self, sql: str, *, step: str) -> None:
        with _wrapped(step, sql):
            self.connection.execute(sql)

    def fetch(self, sql: str, *, step: str) -> list[tuple[Any, ...]]:
        with _wrapped(step, sql):
            return self.connection.execute(sql).fetchall()

    def arrow(self, sql: str, *, step: str) -> pa.Table:
        with _wrapped(step, sql):
            return self.connection.sql(sql).to_arrow_table()

    def register_arrow(self, name: str, table: pa.Table) -> None:
        self.connection.register(name, table)

    def register_file(self, name: str, path: Path, kind: str) -> None:
        literal = "'" + str(path).replace("'", "''") + "'"
        reader = (
            f"read_parquet({literal})"
            if kind == "parquet"
            else f"read_csv({literal}, header = true, all_varchar = false)"
        )
        self.execute(
            f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {reader}", step=f"read {name}"
        )

    def columns(self, table: str) -> list[tuple[str, str]]:
        rows = self.fetch(f"DESCRIBE {table}", step="describe input")
        return [(str(row[0]), str(row[1])) for row in rows]

    def splink_api(self) -> Any:
        if self._api is None:
            from splink import DuckDBAPI

            self._api = DuckDBAPI(connection=self.connection)
        return self._api

    def close(self) -> None:
        self._bounded.close()
        if self._tmp is not None:
            self._tmp.cleanup()


@contextmanager
def _wrapped(step: str, sql: str) -> Iterator[None]:
    """Turn a driver error into a :class:`LinkageError` naming the step, never the data.

    The statement and the driver's message are redacted first: token SQL holds the
    domain key's pads, and DuckDB quotes the statement back in its message."""
    try:
        yield
    except duckdb.Error as exc:
        log.debug("linkage step %s failed running: %s", step, redact(sql))
        limited = translate(exc, query_limits(), what="linkage")
        if limited is not None:
            raise limited from exc
        raise LinkageError(f"linkage failed at {step}: {redact(str(exc))}") from exc


ENGINES = ("duckdb", "spark")


def open_engine(
    name: str = "duckdb", *, memory_limit: str | None = "2GB", threads: int | None = None
) -> Engine:
    """The engine called ``name``: ``duckdb`` in process, or ``spark``.

    Spark joins the active SparkSession when there is one (a cluster's, or a test's),
    else starts a local one; it needs PySpark and Java, and says so when either is missing.
    """
    if name == "duckdb":
        return DuckDBEngine(memory_limit=memory_limit, threads=threads)
    if name == "spark":
        if importlib.util.find_spec("pyspark") is None:
            raise ConfigurationError(
                "engine 'spark' needs PySpark, which is not installed (install the pyspark "
                "package, or use engine 'duckdb')"
            )
        from accord.linkage.spark_engine import SparkEngine

        return SparkEngine(memory_limit=memory_limit, threads=threads)
    raise ConfigurationError(f"unknown linkage engine {name!r}; choose one of {', '.join(ENGINES)}")
