"""The metadata store: SQLAlchemy 2 over SQLite (default) or PostgreSQL."""

from accord.store.audit_store import AuditFilter
from accord.store.database import connect_engine
from accord.store.store import Store

__all__ = ["AuditFilter", "Store", "connect_engine"]
