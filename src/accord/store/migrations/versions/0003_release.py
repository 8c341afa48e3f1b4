"""release path: live deliveries counted against an agreement's frequency

Revision ID: 0003_release
Revises: 0002_dataplane
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_release"
down_revision = "0002_dataplane"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "live_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("agreement_id", sa.String(64), nullable=False, index=True),
        sa.Column("agreement_version", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("live_deliveries")
