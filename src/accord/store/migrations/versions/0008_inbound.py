"""messages sent back to the data owners (the inbound channel)

Revision ID: 0008_inbound
Revises: 0007_outbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_inbound"
down_revision = "0007_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("agreement_id", sa.String(64), nullable=False, index=True),
        sa.Column("organisation", sa.String(64), nullable=False, index=True),
        sa.Column("sender_organisation", sa.String(64), nullable=False),
        sa.Column("sender", sa.String(200), nullable=False),
        sa.Column("form", sa.String(32), nullable=False, index=True),
        sa.Column("template", sa.String(64), nullable=False),
        sa.Column("referral_id", sa.String(32), nullable=False, index=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("actioned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actioned_by", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("inbound_messages")
