"""batch validation: a total epsilon per dataset lineage, allocated to agreements

Revision ID: 0004_batch
Revises: 0002_disclosure
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_batch"
down_revision = "0002_disclosure"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "disclosure_lineage_budgets",
        sa.Column("dataset_id", sa.String(length=200), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("allocated", sa.Float(), nullable=False),
        sa.Column("declared_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("dataset_id"),
    )
    op.create_table(
        "disclosure_agreement_budgets",
        sa.Column("dataset_id", sa.String(length=200), nullable=False),
        sa.Column("agreement_id", sa.String(length=64), nullable=False),
        sa.Column("allocated", sa.Float(), nullable=False),
        sa.Column("spent", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("dataset_id", "agreement_id"),
    )


def downgrade() -> None:
    op.drop_table("disclosure_agreement_budgets")
    op.drop_table("disclosure_lineage_budgets")
