"""Engine construction: durable SQLite by default, PostgreSQL by URL.

SQLite runs in WAL mode with ``synchronous=FULL``, so a committed transaction
survives power loss, and every transaction begins IMMEDIATE: writers queue for the
lock up front instead of failing later with "database is locked" when two of them
try to upgrade a read lock, which matters because every change appends to one
audit chain.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

__all__ = ["connect_engine", "is_sqlite"]


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def connect_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **kwargs)
    engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to the "begin" hook below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
