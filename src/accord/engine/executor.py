"""Executors: where a governed release runs. One Protocol, one execute method.

An executor accepts only a :class:`~accord.core.plan.release.GovernedRelease`, so no
row is read that the release path has not authorised. :class:`BaseExecutor.execute`
is the one entry point (``@final``): it renders the release's SQL for the executor's
dialect, logs it, streams Arrow record batches, and translates every driver error into
:class:`EngineError` with the message scrubbed of data values (a conversion error can
carry the very value it failed on). DuckDB and PostgreSQL run here today; Spark comes
behind the same Protocol. Nothing outside this module branches on a source's kind.

Each engine runs within the query limits of :mod:`accord.engine.bounds`; a release that
reaches one fails with :class:`EngineLimitError`, an :class:`EngineError` (so every
release path that audits engine failures audits it) that answers 422 and names the
setting, its message kept whole since it holds no data.
"""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Protocol, final

import duckdb
import psycopg
import pyarrow as pa

from accord.core.catalogue import DatasetVersion, SourceKind
from accord.core.plan.release import GovernedRelease
from accord.engine.duckdb_engine import DuckDBSource, source_table
from accord.engine.postgres_engine import PostgresSource
from accord.errors import AccordError, LimitExceeded, StoreError

__all__ = [
    "BaseExecutor",
    "DuckDBExecutor",
    "EngineError",
    "EngineLimitError",
    "Executor",
    "PostgresExecutor",
    "executor_for",
    "own_rows",
    "scrub",
]

log = logging.getLogger(__name__)

_SINGLE = re.compile(r"'(?:[^']|'')*'")
_DOUBLE = re.compile(r'"(?:[^"]|"")*"')
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w])")


class EngineError(StoreError):
    """The engine failed while running a release; the message carries no data values."""


class EngineLimitError(EngineError, LimitExceeded):
    """The engine stopped a release at one of its limits (memory, time, spill space)."""

    status_code = LimitExceeded.status_code
    code = LimitExceeded.code

    def __init__(self, cause: LimitExceeded) -> None:
        AccordError.__init__(self, cause.message, details=dict(cause.details))
        self.limit = cause.limit


def scrub(message: str, identifiers: Collection[str] = ()) -> str:
    """A driver's message without the values it may quote.

    Keeps the first line (the error class and what went wrong), drops the SQL context
    that follows it, replaces every single-quoted literal with ``'?'``, every number
    with ``N``, and every double-quoted string that is not one of ``identifiers`` (the
    columns and views the caller may name) with ``"?"``: PostgreSQL quotes bad input
    values in double quotes.
    """
    first = message.strip().splitlines()[0] if message.strip() else "engine error"
    text = _SINGLE.sub("'?'", first)
    text = _DOUBLE.sub(lambda m: m.group(0) if m.group(0)[1:-1] in identifiers else '"?"', text)
    return _NUMBER.sub("N", text)


class Executor(Protocol):
    """Runs a governed release where its data lives and streams the rows out."""

    dialect: str

    def execute(
        self,
        release: GovernedRelease,
        *,
        tables: Mapping[str, Sequence[str]] | None = None,
    ) -> Iterator[pa.RecordBatch]:
        """The release's rows. ``tables`` are one-column identifier tables the plan may
        read (``identifier`` text), such as the identifiers a per-record check asks about."""
        ...


class BaseExecutor(ABC):
    dialect = "duckdb"
    driver_errors: tuple[type[BaseException], ...] = ()

    @final
    def execute(
        self,
        release: GovernedRelease,
        *,
        tables: Mapping[str, Sequence[str]] | None = None,
    ) -> Iterator[pa.RecordBatch]:
        if not isinstance(release, GovernedRelease):
            raise TypeError("an executor runs only a GovernedRelease")
        sql = release.sql(self.dialect)
        log.debug("release %s %s on %s: %s", release.channel, release.plan.dataset_id,
                  self.dialect, sql)  # fmt: skip
        names = {c.name for c in release.plan.outputs} | {f.name for f in release.dataset.fields}
        try:
            yield from self._run(release, sql, {**release.tables(), **(tables or {})})
        except EngineLimitError:
            raise
        except LimitExceeded as exc:
            raise EngineLimitError(exc) from exc
        except StoreError as exc:
            raise EngineError(scrub(exc.message, names)) from exc
        except self.driver_errors as exc:
            raise EngineError(
                f"the plan failed on {self.dialect}: {scrub(str(exc), names)}"
            ) from exc

    @abstractmethod
    def _run(
        self, release: GovernedRelease, sql: str, tables: Mapping[str, Sequence[str]]
    ) -> Iterator[pa.RecordBatch]:
        """The engine's own execution of ``sql``; each implementation supplies it."""


class DuckDBExecutor(BaseExecutor):
    """Parquet versions and DuckDB tables, read in place by embedded DuckDB."""

    dialect = "duckdb"
    driver_errors = (duckdb.Error,)

    def __init__(self, version: DatasetVersion, kind: SourceKind) -> None:
        self.source = DuckDBSource(version, kind)

    def _run(
        self, release: GovernedRelease, sql: str, tables: Mapping[str, Sequence[str]]
    ) -> Iterator[pa.RecordBatch]:
        yield from self.source.batches(sql, release.opt_outs, tables=tables)


class PostgresExecutor(BaseExecutor):
    """PostgreSQL tables, queried in place; only the governed rows leave the server."""

    dialect = "postgres"
    driver_errors = (psycopg.Error,)

    def __init__(self, version: DatasetVersion) -> None:
        self.source = PostgresSource(version)

    def _run(
        self, release: GovernedRelease, sql: str, tables: Mapping[str, Sequence[str]]
    ) -> Iterator[pa.RecordBatch]:
        yield from self.source.batches(sql, release.opt_outs, tables)


def own_rows(kind: SourceKind, version: DatasetVersion) -> Path | pa.Table:
    """An organisation's own dataset version, read whole where it lives (not a release:
    a recipient linking its own records to a governed view reads them as they are)."""
    if kind is SourceKind.FILE:
        return Path(version.location)
    dialect = "postgres" if kind is SourceKind.POSTGRES else "duckdb"
    sql = f"SELECT * FROM {source_table(kind, version.location).sql(dialect=dialect)}"
    try:
        if kind is SourceKind.POSTGRES:
            batches = list(PostgresSource(version).batches(sql, ()))
        else:
            batches = list(DuckDBSource(version, kind).batches(sql))
    except LimitExceeded as exc:
        raise EngineLimitError(exc) from exc
    except StoreError as exc:
        raise EngineError(scrub(exc.message)) from exc
    return pa.Table.from_batches(batches)


def executor_for(release: GovernedRelease) -> Executor:
    """The executor for where the release's dataset version lives."""
    kind = release.dataset.source_kind
    if kind is SourceKind.POSTGRES:
        return PostgresExecutor(release.version)
    return DuckDBExecutor(release.version, kind)
