"""Tables that let the audit log be checked from outside the store.

``audit_tree`` is one row beside ``audit_head``: the Merkle tree's frontier over the
events' hashes (see :mod:`accord.core.merkle`) and the time of the last checkpoint,
both updated under the head's lock in every append, so a checkpoint gets its root
without reading the log and the time rule needs no background thread.

``audit_checkpoint_trees`` holds what a version-2 checkpoint signs beyond a version-1
one (its tree size and root); a version-1 checkpoint simply has no row there.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.store.models import Base

__all__ = ["AuditCheckpointTreeRow", "AuditTreeRow"]


class AuditTreeRow(Base):
    __tablename__ = "audit_tree"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    """Leaves in the tree: always the head's ``seq``."""
    frontier: Mapped[str] = mapped_column(Text)
    """The perfect subtrees' roots, largest first, as concatenated hex."""
    checkpointed_at: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """When the last checkpoint was signed (or the time rule's clock started)."""


class AuditCheckpointTreeRow(Base):
    __tablename__ = "audit_checkpoint_trees"

    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("audit_checkpoints.id"), primary_key=True)
    tree_size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[str] = mapped_column(String(64))
