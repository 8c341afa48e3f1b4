"""disclosure: record keys, batch validation, output airlock

Revision ID: 0002_disclosure
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_disclosure"
down_revision = "0001"
branch_labels = ("disclosure",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "airlock_checkers",
        sa.Column("principal_id", sa.String(length=64), nullable=False),
        sa.Column("organisation_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("principal_id", "organisation_id"),
    )
    op.create_table(
        "airlock_files",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id", "name"),
    )
    with op.batch_alter_table("airlock_files", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_airlock_files_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "airlock_requests",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organisation_id", sa.String(length=64), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("airlock_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_airlock_requests_author"), ["author"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_airlock_requests_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "airlock_reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("reviewer", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id", "file_name", "reviewer"),
    )
    with op.batch_alter_table("airlock_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_airlock_reviews_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "disclosure_batch_budgets",
        sa.Column("check_id", sa.String(length=120), nullable=False),
        sa.Column("organisation_id", sa.String(length=64), nullable=False),
        sa.Column("spent", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("check_id", "organisation_id"),
    )
    op.create_table(
        "disclosure_batch_checks",
        sa.Column("id", sa.String(length=120), nullable=False),
        sa.Column("organisation_id", sa.String(length=64), nullable=False),
        sa.Column("dataset_id", sa.String(length=200), nullable=False),
        sa.Column("key_field", sa.String(length=200), nullable=False),
        sa.Column("criterion", sa.JSON(), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("requesters", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("disclosure_batch_checks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disclosure_batch_checks_organisation_id"),
            ["organisation_id"],
            unique=False,
        )

    op.create_table(
        "disclosure_batch_members",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.String(length=40), nullable=False),
        sa.Column("check_id", sa.String(length=120), nullable=False),
        sa.Column("organisation_id", sa.String(length=64), nullable=False),
        sa.Column("member", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("disclosure_batch_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disclosure_batch_members_batch_id"), ["batch_id"], unique=False
        )
        batch_op.create_index(
            "ix_disclosure_batch_members_lookup",
            ["check_id", "organisation_id", "member"],
            unique=False,
        )

    op.create_table(
        "disclosure_batches",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("check_id", sa.String(length=120), nullable=False),
        sa.Column("organisation_id", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("proportion", sa.Float(), nullable=True),
        sa.Column("band_low", sa.Float(), nullable=True),
        sa.Column("band_high", sa.Float(), nullable=True),
        sa.Column("epsilon", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("disclosure_batches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disclosure_batches_check_id"), ["check_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_disclosure_batches_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "disclosure_record_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dataset_id", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dataset_id", "version"),
    )
    with op.batch_alter_table("disclosure_record_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disclosure_record_keys_dataset_id"), ["dataset_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("disclosure_record_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disclosure_record_keys_dataset_id"))

    op.drop_table("disclosure_record_keys")
    with op.batch_alter_table("disclosure_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disclosure_batches_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_disclosure_batches_check_id"))

    op.drop_table("disclosure_batches")
    with op.batch_alter_table("disclosure_batch_members", schema=None) as batch_op:
        batch_op.drop_index("ix_disclosure_batch_members_lookup")
        batch_op.drop_index(batch_op.f("ix_disclosure_batch_members_batch_id"))

    op.drop_table("disclosure_batch_members")
    with op.batch_alter_table("disclosure_batch_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disclosure_batch_checks_organisation_id"))

    op.drop_table("disclosure_batch_checks")
    op.drop_table("disclosure_batch_budgets")
    with op.batch_alter_table("airlock_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_airlock_reviews_request_id"))

    op.drop_table("airlock_reviews")
    with op.batch_alter_table("airlock_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_airlock_requests_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_airlock_requests_author"))

    op.drop_table("airlock_requests")
    with op.batch_alter_table("airlock_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_airlock_files_request_id"))

    op.drop_table("airlock_files")
    op.drop_table("airlock_checkers")
