"""Table releases: what each recipient received of a table, for protection and differencing.

Revision ID: 0004_cellkey
Revises: 0002_disclosure
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_cellkey"
down_revision = "0002_disclosure"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "disclosure_table_releases",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("source_dataset_id", sa.String(length=200), nullable=False),
        sa.Column("source_version", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=120), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("protection", sa.String(length=20), nullable=False),
        sa.Column("shape", sa.Text(), nullable=False),
        sa.Column("cells", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("disclosure_table_releases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disclosure_table_releases_source_dataset_id"),
            ["source_dataset_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_disclosure_table_releases_recipient"), ["recipient"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("disclosure_table_releases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disclosure_table_releases_recipient"))
        batch_op.drop_index(batch_op.f("ix_disclosure_table_releases_source_dataset_id"))
    op.drop_table("disclosure_table_releases")
