"""retention: the deletion job's plan of work items, and destruction certificates

Revision ID: 0003_retention
Revises: 0002_transfer
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_retention"
down_revision = "0002_transfer"
branch_labels = None
depends_on = None


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "retention_items",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False, unique=True),
        sa.Column("agreement_id", sa.String(40), nullable=False, index=True),
        sa.Column("agreement_version", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(64), nullable=False, index=True),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(30), nullable=False, index=True),
        _time("planned_at"),
        _time("done_at", nullable=True),
        _time("confirm_by", nullable=True),
        sa.Column("certificate_id", sa.String(40), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False, server_default=""),
    )
    op.create_table(
        "destruction_certificates",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("subject_kind", sa.String(40), nullable=False),
        sa.Column("subject_id", sa.String(200), nullable=False),
        sa.Column("holder", sa.String(64), nullable=False, index=True),
        sa.Column("agreement_id", sa.String(40), nullable=False, index=True),
        sa.Column("key_fingerprint", sa.String(64), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        _time("issued_at"),
        sa.UniqueConstraint("subject_kind", "subject_id", "holder"),
    )


def downgrade() -> None:
    op.drop_table("destruction_certificates")
    op.drop_table("retention_items")
