"""Migration 0009_witness builds the Merkle frontier over the events already written."""

from __future__ import annotations

import importlib
from pathlib import Path

from sqlalchemy import text

from accord.core.audit import AuditEvent
from accord.services.app import Accord
from accord.services.publication import tree_root
from accord.settings import load_settings
from accord.store.migrate import migrate

MIGRATION = importlib.import_module("accord.store.migrations.versions.0009_witness")


def test_an_existing_log_gets_its_tree(tmp_path: Path, store_url: str) -> None:
    settings = load_settings(
        {"ACCORD_HOME": str(tmp_path / "home"), "ACCORD_DATABASE_URL": store_url}
    )
    accord = Accord.init(settings, operator="test")
    event = AuditEvent(actor="principal:auditor", action="audit.show", reason="before 0009")
    accord.store.record_many([event] * 23)
    engine = accord.store.engine
    # Back to the schema before 0009, keeping the events: as a store written before it.
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE audit_checkpoint_trees"))
        conn.execute(text("DROP TABLE audit_tree"))
        conn.execute(text("DELETE FROM alembic_version"))
        conn.execute(
            text("INSERT INTO alembic_version VALUES (:v)"), {"v": MIGRATION.down_revision}
        )
    migrate(engine)
    accord.close()
    accord = Accord.open(settings)
    try:
        accord.store.record(event)
        # The frontier the migration built, extended by two appends, gives the true root.
        checkpoint = accord.audit.checkpoint(accord.operator())
        assert checkpoint.root == tree_root(accord.store, 0, checkpoint.seq).hex()
        assert accord.audit.verify().ok
    finally:
        accord.close()
