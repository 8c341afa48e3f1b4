"""governance: requests, reviews, finding overrides, agreement versions

Revision ID: 0002_governance
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_governance"
down_revision = "0001"
branch_labels = ("governance",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "requests",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(30), nullable=False, index=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column(
            "requesting_organisation",
            sa.String(64),
            sa.ForeignKey("organisations.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("requester", sa.String(64), sa.ForeignKey("principals.id"), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "request_reviews",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "request_id", sa.String(40), sa.ForeignKey("requests.id"), nullable=False, index=True
        ),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("principal_id", sa.String(64), sa.ForeignKey("principals.id"), nullable=False),
        sa.Column("organisation_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "finding_overrides",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "request_id", sa.String(40), sa.ForeignKey("requests.id"), nullable=False, index=True
        ),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("finding", sa.String(200), nullable=False),
        sa.Column("principal_id", sa.String(64), sa.ForeignKey("principals.id"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("request_id", "revision", "finding"),
    )
    op.create_table(
        "agreements",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("state", sa.String(20), nullable=False, index=True),
        sa.Column("request_id", sa.String(40), sa.ForeignKey("requests.id"), nullable=False),
        sa.Column("recipient", sa.String(64), nullable=False, index=True),
        sa.Column("policy", sa.Text(), nullable=False),
        sa.Column("policy_sha256", sa.String(64), nullable=False),
        sa.Column("decision_record", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(200), nullable=False),
        sa.Column("key_fingerprint", sa.String(64), nullable=False),
        sa.Column("signed_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("agreements")
    op.drop_table("finding_overrides")
    op.drop_table("request_reviews")
    op.drop_table("requests")
