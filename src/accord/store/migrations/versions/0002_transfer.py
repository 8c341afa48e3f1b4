"""transfer: organisation keys, packages sent and received, receipts

Revision ID: 0002_transfer
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_transfer"
down_revision = "0001"
branch_labels = ("transfer",)
depends_on = None


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "org_keys",
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column(
            "organisation_id",
            sa.String(64),
            sa.ForeignKey("organisations.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        _time("created_at"),
        _time("superseded_at", nullable=True),
        _time("valid_until", nullable=True),
    )
    op.create_table(
        "packages_sent",
        sa.Column("transfer_id", sa.String(40), primary_key=True),
        sa.Column("agreement_id", sa.String(40), nullable=False, index=True),
        sa.Column("dataset_id", sa.String(200), nullable=False),
        sa.Column("sender", sa.String(64), nullable=False, index=True),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("test", sa.Boolean(), nullable=False),
        sa.Column("schema_sha256", sa.String(64), nullable=False),
        sa.Column("manifest", sa.LargeBinary(), nullable=False),
        sa.Column("signing_key", sa.String(64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        _time("created_at"),
    )
    op.create_table(
        "packages_received",
        sa.Column("transfer_id", sa.String(40), primary_key=True),
        sa.Column("agreement_id", sa.String(40), nullable=False, index=True),
        sa.Column("dataset_id", sa.String(200), nullable=False),
        sa.Column("sender", sa.String(64), nullable=False),
        sa.Column("recipient", sa.String(64), nullable=False, index=True),
        sa.Column("test", sa.Boolean(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("manifest", sa.LargeBinary(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        _time("received_at"),
    )
    op.create_table(
        "package_receipts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("transfer_id", sa.String(40), nullable=False, unique=True),
        sa.Column("agreement_id", sa.String(40), nullable=False, index=True),
        sa.Column("dataset_id", sa.String(200), nullable=False),
        sa.Column("sender", sa.String(64), nullable=False, index=True),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("test", sa.Boolean(), nullable=False),
        sa.Column("schema_sha256", sa.String(64), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        _time("received_at"),
    )


def downgrade() -> None:
    for table in ("package_receipts", "packages_received", "packages_sent", "org_keys"):
        op.drop_table(table)
