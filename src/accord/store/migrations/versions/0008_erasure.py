"""erasure requests, their holders, and copies held downstream

Revision ID: 0008_erasure
Revises: 0007_outbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_erasure"
down_revision = "0007_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erasure_requests",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("provider", sa.String(64), nullable=False, index=True),
        sa.Column("department", sa.String(64), nullable=False, index=True),
        sa.Column("agreement_id", sa.String(64), nullable=False, index=True),
        sa.Column("person_ref", sa.String(64), nullable=False, index=True),
        sa.Column("nino", sa.String(16), nullable=False),
        sa.Column("addressee", sa.Text(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False, index=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False, index=True),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("letters", sa.Text(), nullable=False),
        sa.Column("reminded_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "erasure_holders",
        sa.Column("request_id", sa.String(40), primary_key=True),
        sa.Column("holder", sa.String(64), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("erased", sa.Text(), nullable=False),
        sa.Column("certificate_id", sa.String(40), nullable=False),
        sa.Column("certified_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "erasure_held_copies",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("holder", sa.String(64), nullable=False, index=True),
        sa.Column("agreement_id", sa.String(64), nullable=False, index=True),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("registered_by", sa.String(200), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("erasure_held_copies")
    op.drop_table("erasure_holders")
    op.drop_table("erasure_requests")
