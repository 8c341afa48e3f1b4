"""audit: every event names the data-owner organisations it concerns

Adds the hashed ``owners`` column, the ``audit_event_owners`` index that makes "events
about my data" a lookup, and ``audit_head.owners_from``: the first event that records
its owners. Events already in the log keep ``owners`` NULL and are verified as they
were hashed, so the chain and every signed checkpoint still verify after the upgrade.

Revision ID: 0003_audit
Revises: 0002_governance
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_audit"
down_revision = "0002_governance"
branch_labels = None
depends_on = None

APPEND_ONLY_SQLITE = (
    "CREATE TRIGGER audit_event_owners_no_{op} BEFORE {OP} ON audit_event_owners "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
)
APPEND_ONLY_PG = (
    "CREATE TRIGGER audit_event_owners_append_only BEFORE UPDATE OR DELETE ON "
    "audit_event_owners FOR EACH ROW EXECUTE FUNCTION accord_audit_append_only()"
)


def upgrade() -> None:
    # Plain ADD COLUMN (not a batch copy), so SQLite keeps the append-only triggers.
    op.add_column("audit_events", sa.Column("owners", sa.Text(), nullable=True))
    op.add_column(
        "audit_head",
        sa.Column("owners_from", sa.BigInteger(), nullable=False, server_default="1"),
    )
    op.execute("UPDATE audit_head SET owners_from = seq + 1")
    op.create_table(
        "audit_event_owners",
        sa.Column("organisation", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("organisation", "seq"),
    )
    if op.get_bind().dialect.name == "sqlite":
        for operation in ("update", "delete"):
            op.execute(APPEND_ONLY_SQLITE.format(op=operation, OP=operation.upper()))
    else:
        op.execute(APPEND_ONLY_PG)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_event_owners_no_update")
        op.execute("DROP TRIGGER audit_event_owners_no_delete")
    else:
        op.execute("DROP TRIGGER audit_event_owners_append_only ON audit_event_owners")
    op.drop_table("audit_event_owners")
    with op.batch_alter_table("audit_head") as batch_op:
        batch_op.drop_column("owners_from")
    # audit_events keeps its triggers only if it is not copied: drop the column natively.
    op.drop_column("audit_events", "owners")
