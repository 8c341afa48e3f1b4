"""access reviews: recertifications and review events

Revision ID: 0008_reviews
Revises: 0007_outbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_reviews"
down_revision = "0007_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_recertifications",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("agreement_id", sa.String(40), nullable=False, index=True),
        sa.Column("organisation", sa.String(64), nullable=False, index=True),
        sa.Column("by_principal", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("kept", sa.JSON(), nullable=False),
        sa.Column("removed", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_table(
        "access_review_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("agreement_id", sa.String(40), nullable=False, index=True),
        sa.Column("organisation", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("agreement_id", "organisation", "kind", "due_on"),
    )


def downgrade() -> None:
    op.drop_table("access_review_events")
    op.drop_table("access_recertifications")
