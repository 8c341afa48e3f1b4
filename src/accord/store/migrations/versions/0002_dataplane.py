"""data plane: opt-out registers

Revision ID: 0002_dataplane
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_dataplane"
down_revision = "0001"
branch_labels = ("dataplane",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "opt_outs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "organisation_id",
            sa.String(64),
            sa.ForeignKey("organisations.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("identifier_type", sa.String(20), nullable=False),
        sa.Column("identifier", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("organisation_id", "identifier_type", "identifier"),
    )


def downgrade() -> None:
    op.drop_table("opt_outs")
