"""linkage domains owned by agreements: the owner and every agreement sharing each domain

Revision ID: 0004_domains
Revises: 0003_gov
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_domains"
down_revision = "0003_gov"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "linkage_domains",
        sa.Column("domain", sa.String(63), primary_key=True),
        sa.Column("owner_agreement", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "linkage_domain_members",
        sa.Column(
            "domain", sa.String(63), sa.ForeignKey("linkage_domains.domain"), primary_key=True
        ),
        sa.Column("agreement_id", sa.String(40), primary_key=True),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("data_owners", sa.Text(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("linkage_domain_members")
    op.drop_table("linkage_domains")
