"""governance: stored revisions and assessments, per-owner overrides, decision records
for every outcome with one signature per deciding organisation

Revision ID: 0003_gov
Revises: 0002_governance
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_gov"
down_revision = "0002_governance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_revisions",
        sa.Column("request_id", sa.String(40), sa.ForeignKey("requests.id"), primary_key=True),
        sa.Column("revision", sa.Integer(), primary_key=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("assessment", sa.Text(), nullable=False),
        sa.Column("assessment_sha256", sa.String(64), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.add_column("request_reviews", sa.Column("assessment_sha256", sa.String(64), nullable=True))
    op.add_column("request_reviews", sa.Column("conditions", sa.Text(), nullable=True))
    op.add_column("request_reviews", sa.Column("charge_pence", sa.Integer(), nullable=True))
    op.add_column("request_reviews", sa.Column("charge_basis", sa.Text(), nullable=True))
    # Overrides are given per owner now: a new table whose uniqueness includes the
    # organisation (an unnamed unique constraint cannot be altered portably).
    op.create_table(
        "request_overrides",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "request_id", sa.String(40), sa.ForeignKey("requests.id"), nullable=False, index=True
        ),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("finding", sa.String(200), nullable=False),
        sa.Column("organisation_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("principal_id", sa.String(64), sa.ForeignKey("principals.id"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("request_id", "revision", "finding", "organisation_id", "role"),
    )
    op.execute(
        "INSERT INTO request_overrides "
        "(request_id, revision, finding, organisation_id, role, principal_id, reason, at) "
        "SELECT request_id, revision, finding, '', 'legal', principal_id, reason, at "
        "FROM finding_overrides"
    )
    op.drop_table("finding_overrides")
    op.create_table(
        "decisions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "request_id", sa.String(40), sa.ForeignKey("requests.id"), nullable=False, index=True
        ),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(30), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("agreement_id", sa.String(40), nullable=True, index=True),
        sa.Column("agreement_version", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "decision_signatures",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "decision_id", sa.String(40), sa.ForeignKey("decisions.id"), nullable=False, index=True
        ),
        sa.Column("organisation", sa.String(64), nullable=False),
        sa.Column("key_fingerprint", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(200), nullable=False),
        sa.UniqueConstraint("decision_id", "organisation"),
    )
    op.add_column("agreements", sa.Column("decision_id", sa.String(40), nullable=True))


def downgrade() -> None:
    op.drop_column("agreements", "decision_id")
    op.drop_table("decision_signatures")
    op.drop_table("decisions")
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
    op.execute(  # one override per finding fitted the old table: keep the first
        "INSERT INTO finding_overrides (request_id, revision, finding, principal_id, reason, at) "
        "SELECT request_id, revision, finding, principal_id, reason, at FROM request_overrides "
        "WHERE id IN (SELECT MIN(id) FROM request_overrides GROUP BY request_id, revision, finding)"
    )
    op.drop_table("request_overrides")
    for column in ("charge_basis", "charge_pence", "conditions", "assessment_sha256"):
        op.drop_column("request_reviews", column)
    op.drop_table("request_revisions")
