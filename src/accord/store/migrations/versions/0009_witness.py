"""witness: the audit log's Merkle frontier and version-2 checkpoints

Merges every head of the 0008 generation (and the older heads still open), so that
the audit tables are complete before the tree is built over the events written so far.

Revision ID: 0009_witness
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from accord.core.merkle import Frontier
from accord.errors import AuditError

revision = "0009_witness"
down_revision = "0009_tls"  # after client keys, which merged every earlier head
branch_labels = None
depends_on = None

_BATCH = 50_000


def upgrade() -> None:
    op.create_table(
        "audit_tree",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("frontier", sa.Text(), nullable=False),
        sa.Column("checkpointed_at", sa.String(32), nullable=True),
    )
    op.create_table(
        "audit_checkpoint_trees",
        sa.Column(
            "checkpoint_id",
            sa.Integer(),
            sa.ForeignKey("audit_checkpoints.id"),
            primary_key=True,
        ),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.String(64), nullable=False),
    )
    # The tree over the events already written: one pass, in seq ranges so memory stays flat.
    conn = op.get_bind()
    head = conn.execute(sa.text("SELECT seq FROM audit_head WHERE id = 1")).scalar()
    size = int(head or 0)
    frontier = Frontier()
    for low in range(1, size + 1, _BATCH):
        rows = conn.execute(
            sa.text("SELECT hash FROM audit_events WHERE seq BETWEEN :low AND :high ORDER BY seq"),
            {"low": low, "high": min(low + _BATCH - 1, size)},
        )
        frontier = frontier.extend(bytes.fromhex(h) for (h,) in rows)
    if frontier.size != size:
        raise AuditError(
            f"the audit log's head says {size} events but {frontier.size} are stored: "
            "run `accord audit verify` before migrating"
        )
    conn.execute(
        sa.text("INSERT INTO audit_tree (id, size, frontier) VALUES (1, :size, :frontier)"),
        {"size": size, "frontier": frontier.encode()},
    )


def downgrade() -> None:
    op.drop_table("audit_checkpoint_trees")
    op.drop_table("audit_tree")
