"""records a holder keeps per participant, retention events and delete dates

Revision ID: 0008_records
Revises: 0007_outbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_records"
down_revision = "0007_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "held_records",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("holder", sa.String(64), nullable=False, index=True),
        sa.Column("kind", sa.String(40), nullable=False, index=True),
        sa.Column("participant", sa.String(64), nullable=False, index=True),
        sa.Column("referral_id", sa.String(40), nullable=False, index=True),
        sa.Column("programme", sa.String(40), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("run_id", sa.String(40), nullable=False, index=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "retention_facts",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("holder", sa.String(64), nullable=False, index=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("happened_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("holder", "kind", "subject", "happened_on"),
    )
    op.create_table(
        "record_delete_configs",
        sa.Column("holder", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(40), primary_key=True),
        sa.Column("delete_offset", sa.String(20), nullable=False),
        sa.Column("delete_date", sa.Date(), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("record_delete_configs")
    op.drop_table("retention_facts")
    op.drop_table("held_records")
