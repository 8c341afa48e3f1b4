"""Run a plan on PostgreSQL, in place: the rows never leave the server unprocessed.

The plan renders for PostgreSQL (a SELECT Accord compiled, never caller text) and
streams through a server-side cursor. The opt-out register is loaded into a temporary
table with COPY, so identifiers travel as data, never as SQL text. Credentials are not stored in the
catalogue: libpq finds them in PGPASSWORD or ~/.pgpass.

Each plan holds a query slot and runs in a transaction that sets its own
``statement_timeout`` and ``work_mem`` (:func:`accord.engine.bounds.postgres_session_settings`);
a plan cancelled by the timeout fails with the same time-limit error DuckDB's does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import psycopg
import pyarrow as pa
from psycopg import sql as pgsql

from accord.core.catalogue import DatasetVersion
from accord.engine.bounds import postgres_session_settings, query_limits, query_slot, time_exceeded
from accord.engine.duckdb_engine import BATCH_ROWS, OPT_OUT_TABLE
from accord.errors import StoreError

__all__ = ["PostgresSource"]


class PostgresSource:
    def __init__(self, version: DatasetVersion) -> None:
        self.version = version
        self.url = version.location.rsplit("#", 1)[0].replace(
            "postgresql+psycopg://", "postgresql://"
        )

    def batches(
        self,
        sql: str,
        opt_outs: Sequence[str] = (),
        identifiers: Mapping[str, Sequence[str]] | None = None,
    ) -> Iterator[pa.RecordBatch]:
        """Stream the plan's rows; ``identifiers`` names further one-column temporary tables."""
        tables = {OPT_OUT_TABLE: opt_outs, **(identifiers or {})}
        limits = query_limits()
        try:
            with (
                query_slot(limits),
                psycopg.connect(self.url) as conn,
                conn.transaction(),
            ):
                with conn.cursor() as setup:
                    for name, value in postgres_session_settings(limits).items():
                        setup.execute(
                            "SELECT set_config(%s, %s, true)", (name, value), prepare=False
                        )
                    for name, values in tables.items():
                        table = pgsql.Identifier(name)
                        setup.execute(
                            pgsql.SQL(
                                "CREATE TEMP TABLE {} (identifier text) ON COMMIT DROP"
                            ).format(table)
                        )
                        copy_sql = pgsql.SQL("COPY {} (identifier) FROM STDIN").format(table)
                        with setup.copy(copy_sql) as copy:
                            for value in values:
                                copy.write_row((value,))
                with conn.cursor(name="accord_plan") as cursor:
                    cursor.execute(sql)
                    names = [d.name for d in cursor.description or ()]
                    empty = True
                    while rows := cursor.fetchmany(BATCH_ROWS):
                        empty = False
                        yield pa.RecordBatch.from_arrays(
                            [pa.array([r[i] for r in rows]) for i in range(len(names))], names=names
                        )
                    if empty:
                        yield pa.RecordBatch.from_arrays(
                            [pa.array([], pa.string()) for _ in names], names=names
                        )
        except psycopg.errors.QueryCanceled as exc:
            raise time_exceeded(limits.seconds) from exc
        except psycopg.Error as exc:
            raise StoreError(f"the plan failed on PostgreSQL: {exc}\nSQL: {sql}") from exc
