"""each data owner's approved sub-contractors

Revision ID: 0008_referrals
Revises: 0007_outbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_referrals"
down_revision = "0007_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subcontractor_approvals",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("owner", sa.String(64), nullable=False, index=True),
        sa.Column("subcontractor", sa.String(64), nullable=False, index=True),
        sa.Column("prime", sa.String(64), nullable=False),
        sa.Column("approved_from", sa.Date(), nullable=False),
        sa.Column("approved_to", sa.Date(), nullable=False),
        sa.Column("due_diligence", sa.Text(), nullable=False),
        sa.Column("no_offshore", sa.Boolean(), nullable=False),
        sa.Column("approved_by", sa.String(128), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.String(128), nullable=False),
        sa.Column("withdrawal_reason", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("subcontractor_approvals")
