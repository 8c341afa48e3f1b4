"""What the witness will countersign: a pure verdict with its reason.

A witness that signed (size m, root r) signs (n, r') only if r' provably extends r:
n >= m, and at n == m the same root; otherwise a consistency proof from m to n must
verify. That is what makes a rollback or a fork visible to anyone holding the
witness's countersignatures, even when the deployment's own key is used to sign it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from accord.core.checkpoint import Checkpoint, verify_checkpoint_signature
from accord.core.merkle import EMPTY_ROOT, verify_consistency

__all__ = ["WitnessHead", "WitnessVerdict", "can_cosign"]


@dataclass(frozen=True, slots=True)
class WitnessHead:
    """The last head the witness countersigned."""

    tree_size: int
    root: str
    signed_at: str = ""


@dataclass(frozen=True, slots=True)
class WitnessVerdict:
    allowed: bool
    reason: str


def can_cosign(
    audit_key: Ed25519PublicKey,
    head: WitnessHead | None,
    checkpoint: Checkpoint,
    proof: Sequence[bytes],
) -> WitnessVerdict:
    """May the witness countersign ``checkpoint``, having last signed ``head``?"""
    if checkpoint.root is None or checkpoint.tree_size is None:
        return WitnessVerdict(False, "the checkpoint is version 1: it carries no Merkle root")
    if not verify_checkpoint_signature(audit_key, checkpoint):
        return WitnessVerdict(
            False, "the checkpoint is not signed by the audit key this witness was given"
        )
    size, root = checkpoint.tree_size, bytes.fromhex(checkpoint.root)
    if head is None:
        return WitnessVerdict(True, f"the first head this witness signs: {size:,} events")
    if size < head.tree_size:
        return WitnessVerdict(
            False,
            f"the checkpoint has {size:,} events but this witness already signed a head of "
            f"{head.tree_size:,}: the log was rolled back or its tail cut",
        )
    if size == head.tree_size:
        if checkpoint.root != head.root:
            return WitnessVerdict(
                False,
                f"this witness signed a different root for the same {size:,} events: "
                "the log has forked (history was rewritten)",
            )
        return WitnessVerdict(True, f"the same head of {size:,} events, signed again")
    old_root = bytes.fromhex(head.root) if head.tree_size else EMPTY_ROOT
    if not verify_consistency(head.tree_size, size, old_root, root, proof):
        return WitnessVerdict(
            False,
            f"the consistency proof from {head.tree_size:,} to {size:,} events does not "
            "verify: the new log does not extend the one this witness signed",
        )
    return WitnessVerdict(True, f"extends the signed head of {head.tree_size:,} to {size:,}")
