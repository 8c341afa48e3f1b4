"""Spark as a linkage engine, for the scale that outgrows one machine.

Linkage writes every statement once, in DuckDB's dialect. This engine runs the same
statements on Spark, so the steps, the model and the results are the same code on
both engines:

- queries are transpiled with sqlglot (the library Splink itself uses), after a few
  rewrites for functions Spark spells differently (``try_strptime`` becomes
  ``try_to_timestamp`` with a Java date pattern; ``strip_accents`` is a registered
  function, since Spark has none);
- ``CREATE TABLE ... AS``, ``INSERT`` and ``DELETE``, which Spark supports only on
  managed tables, become DataFrames registered as temporary views. A table is
  materialised with ``localCheckpoint``, which also cuts its lineage, so the
  one-to-one rounds do not grow an ever longer plan;
- Splink gets a ``SparkAPI`` over the same session, with its similarity functions
  (Jaro-Winkler, Damerau-Levenshtein) registered from the jar Splink ships.

The engine joins the active SparkSession (a cluster's, or a test's) and leaves it
running; with none active it starts ``local[threads]`` and stops it on close.
PySpark is imported here only, so ``import accord`` works without it.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlglot
from sqlglot import exp
from sqlglot.dialects.spark import Spark
from sqlglot.errors import SqlglotError
from sqlglot.time import format_time

from accord.errors import ConfigurationError
from accord.linkage.engine import LinkageError
from accord.linkage.redact import redact

__all__ = ["SparkEngine", "java_available", "spark_session", "to_spark_sql"]

log = logging.getLogger(__name__)

_TYPES = {
    "string": "VARCHAR",
    "tinyint": "TINYINT",
    "smallint": "SMALLINT",
    "int": "INTEGER",
    "bigint": "BIGINT",
    "float": "FLOAT",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "timestamp_ntz": "TIMESTAMP",
    "binary": "BLOB",
}
"""Spark's type names as DuckDB's, which is what linkage's recognition reads."""


def java_available() -> bool:
    """Whether a Java runtime is there for Spark to start."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return True
    return shutil.which("java") is not None


def spark_session(
    *, threads: int | None = None, memory: str = "1g", shuffle_partitions: int = 4
) -> Any:
    """The active SparkSession, else a new local one configured for linkage.

    The new session loads Splink's similarity jar, keeps shuffles small (linkage's
    tables are few and narrow) and turns the web UI off.
    """
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if not java_available():
        raise ConfigurationError(
            "engine 'spark' needs a Java runtime (17 or later) and none was found: install "
            "one (scripts/ensure-java does, on Debian) or set JAVA_HOME; or use engine 'duckdb'"
        )
    return (
        SparkSession.builder.master(f"local[{threads or 2}]")
        .appName("accord-linkage")
        .config("spark.jars", similarity_jar_location())
        .config("spark.driver.memory", memory)
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


def _strip_accents(value: str | None) -> str | None:
    if value is None:
        return None
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _rewrite(node: exp.Expr) -> exp.Expr:
    """DuckDB functions Spark spells differently, rewritten before transpiling."""
    if isinstance(node, exp.Anonymous) and node.name.lower() == "try_strptime":
        value, pattern = node.expressions
        java = format_time(pattern.name, Spark.INVERSE_TIME_MAPPING, Spark.INVERSE_TIME_TRIE)
        return exp.Anonymous(
            this="TRY_TO_TIMESTAMP", expressions=[value, exp.Literal.string(java or "")]
        )
    return node


def to_spark_sql(tree: exp.Expr) -> str:
    """A DuckDB-dialect statement as Spark SQL."""
    return tree.copy().transform(_rewrite).sql(dialect="spark")


def _memory(limit: str | None) -> str:
    """DuckDB's ``2GB`` as the JVM's ``2g`` (default 1g)."""
    match = re.fullmatch(r"\s*(\d+)\s*([KMGT])i?B?\s*", limit or "", flags=re.IGNORECASE)
    return f"{match.group(1)}{match.group(2).lower()}" if match else "1g"


class SparkEngine:
    """Spark SQL through one SparkSession; see the module docstring."""

    name = "spark"
    dialect = "spark"

    def __init__(
        self,
        *,
        session: Any = None,
        memory_limit: str | None = "2GB",
        threads: int | None = None,
    ) -> None:
        from pyspark.sql import SparkSession
        from pyspark.sql.types import StringType

        owned = session is None and SparkSession.getActiveSession() is None
        self.spark = session or spark_session(threads=threads, memory=_memory(memory_limit))
        self._owned = owned
        self._views: set[str] = set()
        self._api: Any = None
        self.spark.udf.register("strip_accents", _strip_accents, StringType())

    # -- the Engine protocol -------------------------------------------------------

    def execute(self, sql: str, *, step: str) -> None:
        with self._wrapped(step, sql):
            tree = sqlglot.parse_one(sql, read="duckdb")
            if isinstance(tree, exp.Create):
                self._create(tree)
            elif isinstance(tree, exp.Insert):
                self._insert(tree)
            elif isinstance(tree, exp.Delete):
                self._delete(tree)
            else:
                self.spark.sql(to_spark_sql(tree)).collect()

    def fetch(self, sql: str, *, step: str) -> list[tuple[Any, ...]]:
        with self._wrapped(step, sql):
            return [tuple(row) for row in self._frame(sql).collect()]

    def arrow(self, sql: str, *, step: str) -> pa.Table:
        with self._wrapped(step, sql):
            table: pa.Table = self._frame(sql).toArrow()
            return table

    def register_arrow(self, name: str, table: pa.Table) -> None:
        with self._wrapped(f"register {name}", ""):
            self._register(name, self.spark.createDataFrame(table))

    def register_file(self, name: str, path: Path, kind: str) -> None:
        with self._wrapped(f"read {name}", ""):
            reader = self.spark.read
            frame = (
                reader.parquet(str(path))
                if kind == "parquet"
                else reader.csv(str(path), header=True, inferSchema=True)
            )
            self._register(name, frame)

    def columns(self, table: str) -> list[tuple[str, str]]:
        with self._wrapped("describe input", table):
            dtypes = self.spark.table(table).dtypes
        return [(name, _duckdb_type(kind)) for name, kind in dtypes]

    def splink_api(self) -> Any:
        if self._api is None:
            from splink import SparkAPI

            # Persisting keeps Splink's intermediate tables in the session (memory and
            # local disk) instead of writing Parquet checkpoints to the working directory.
            self._api = SparkAPI(  # type: ignore[no-untyped-call]
                spark_session=self.spark, break_lineage_method="persist"
            )
        return self._api

    def close(self) -> None:
        for name in self._views:
            self.spark.catalog.dropTempView(name)
        for table in self.spark.catalog.listTables():
            if table.isTemporary and table.name.startswith("__splink__"):
                self.spark.catalog.dropTempView(table.name)
        self._views.clear()
        if self._owned:
            self.spark.stop()

    # -- statements Spark runs only on managed tables ---------------------------------

    def _frame(self, sql: str) -> Any:
        return self.spark.sql(to_spark_sql(sqlglot.parse_one(sql, read="duckdb")))

    def _register(self, name: str, frame: Any) -> None:
        frame.createOrReplaceTempView(name)
        self._views.add(name)

    def _create(self, tree: exp.Create) -> None:
        target = tree.this
        kind = str(tree.args.get("kind") or "TABLE").upper()
        if isinstance(target, exp.Schema):
            # CREATE TABLE t (column type, ...): an empty table of that shape.
            columns = [
                f"CAST(NULL AS {definition.args['kind'].sql(dialect='spark')}) AS {definition.name}"
                for definition in target.expressions
                if isinstance(definition, exp.ColumnDef)
            ]
            frame = self.spark.sql(f"SELECT {', '.join(columns)}").limit(0)
            self._register(target.this.name, frame.localCheckpoint())
            return
        query = tree.expression
        frame = self.spark.sql(to_spark_sql(query))
        if kind == "TABLE":
            frame = frame.localCheckpoint()
        self._register(target.name, frame)

    def _insert(self, tree: exp.Insert) -> None:
        name = tree.this.name if isinstance(tree.this, exp.Table) else tree.this.this.name
        existing = self.spark.table(name)
        added = self.spark.sql(to_spark_sql(tree.expression)).toDF(*existing.columns)
        added = added.select(
            *[added[column].cast(kind).alias(column) for column, kind in existing.dtypes]
        )
        self._register(name, existing.unionByName(added).localCheckpoint())

    def _delete(self, tree: exp.Delete) -> None:
        name = tree.this.name
        where = tree.args.get("where")
        if where is None:
            kept = f"SELECT * FROM {name} LIMIT 0"
        else:
            condition = to_spark_sql(where.this)
            kept = f"SELECT * FROM {name} WHERE NOT coalesce(({condition}), false)"
        self._register(name, self.spark.sql(kept).localCheckpoint())

    @contextmanager
    def _wrapped(self, step: str, sql: str) -> Iterator[None]:
        """Spark's and sqlglot's errors as :class:`LinkageError` naming the step."""
        from pyspark.errors import PySparkException

        try:
            yield
        except (PySparkException, SqlglotError) as exc:
            log.debug("linkage step %s failed running: %s", step, redact(sql))
            text = redact(str(exc)).strip()
            first = text.splitlines()[0] if text else type(exc).__name__
            raise LinkageError(f"linkage failed at {step}: {first}") from exc


def _duckdb_type(kind: str) -> str:
    kind = kind.lower()
    if kind.startswith("decimal"):
        return "DECIMAL"
    return _TYPES.get(kind, "VARCHAR")
