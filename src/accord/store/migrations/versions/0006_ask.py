"""the web service's request drafts, with their DPIA documents' hashes

Revision ID: 0006_ask
Revises: 0005_web
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_ask"
down_revision = "0005_web"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_drafts",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("principal_id", sa.String(64), nullable=False, index=True),
        sa.Column("organisation_id", sa.String(64), nullable=False, index=True),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=True, index=True),
        sa.Column("dpia_sha256", sa.String(64), nullable=True),
        sa.Column("dpia_filename", sa.String(200), nullable=True),
        sa.Column("dpia_bytes", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("web_drafts")
