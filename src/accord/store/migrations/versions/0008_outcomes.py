"""recalls of packages sent to the wrong organisation

Revision ID: 0008_outcomes
Revises: 0007_outbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_outcomes"
down_revision = "0007_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recalls",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("transfer_id", sa.String(80), nullable=False, index=True),
        sa.Column("agreement_id", sa.String(64), nullable=False),
        sa.Column("agreement_version", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.String(200), nullable=False),
        sa.Column("sender", sa.String(64), nullable=False, index=True),
        sa.Column("recipient", sa.String(64), nullable=False, index=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(200), nullable=False),
        sa.Column("notice_id", sa.String(40), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by", sa.String(200), nullable=False),
        sa.Column("certificate_id", sa.String(40), nullable=False),
        sa.Column("copy_deleted", sa.Boolean(), nullable=False),
        sa.Column("keep_until", sa.DateTime(timezone=True), nullable=True, index=True),
    )


def downgrade() -> None:
    op.drop_table("recalls")
