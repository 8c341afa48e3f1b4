"""0003_gov keeps what was recorded before it: overrides move to the per-owner table as
legal's, and a downgrade puts them back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, text

from accord.store.migrate import _config, migrate

OVERRIDE = (
    "INSERT INTO finding_overrides (request_id, revision, finding, principal_id, reason, at) "
    "VALUES ('req-1', 1, 'LEGAL_TERRITORY', 'dwp.legal', 'adequacy', :at)"
)


def test_overrides_survive_the_upgrade_and_the_downgrade(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'store.db'}")
    migrate(engine, "0002_governance")
    with engine.begin() as conn:
        conn.execute(text(OVERRIDE), {"at": datetime.now(UTC)})
    migrate(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT finding, organisation_id, role, principal_id FROM request_overrides")
        ).all()
    assert [tuple(r) for r in rows] == [("LEGAL_TERRITORY", "", "legal", "dwp.legal")]
    config = _config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0002_governance")
    with engine.connect() as conn:
        back = conn.execute(text("SELECT finding, principal_id FROM finding_overrides")).all()
    assert [tuple(r) for r in back] == [("LEGAL_TERRITORY", "dwp.legal")]
    engine.dispose()
