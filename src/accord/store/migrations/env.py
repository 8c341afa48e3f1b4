"""Alembic environment: runs on the connection Accord hands it (see accord.store.migrate)."""

from __future__ import annotations

from alembic import context

from accord.store import (  # noqa: F401 - registers their tables
    disclosure_models,
    governance_models,
    plane_models,
    sharing_models,
    transfer_models,
)
from accord.store.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - Accord always passes its connection
    raise RuntimeError("run migrations through `accord init`, which passes the connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
