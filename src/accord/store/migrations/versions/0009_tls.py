"""client keys: Ed25519 public keys machine clients sign requests with (RFC 9421)

Revision ID: 0009_tls
Revises: every head before it
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_tls"
down_revision = (
    "0002_sharing",
    "0003_assess",
    "0003_audit",
    "0003_release",
    "0003_retention",
    "0004_batch",
    "0004_cellkey",
    "0008_erasure",
    "0008_inbound",
    "0008_outbox",
    "0008_outcomes",
    "0008_records",
    "0008_referrals",
    "0008_reviews",
)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "client_keys",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "principal_id",
            sa.String(64),
            sa.ForeignKey("principals.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("public_key", sa.String(64), nullable=False, unique=True),
        sa.Column("fingerprint", sa.String(32), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("client_keys")
