"""assess: the local authority districts each organisation serves

Revision ID: 0003_assess
Revises: 0002_governance
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_assess"
down_revision = "0002_governance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisation_areas",
        sa.Column(
            "organisation_id",
            sa.String(length=64),
            sa.ForeignKey("organisations.id"),
            primary_key=True,
        ),
        sa.Column("area_code", sa.String(length=9), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("organisation_areas")
