"""Signed checkpoints of the audit log's head.

The hash chain proves the log is internally consistent; a signed checkpoint proves
the head is the one the platform saw. Without it, someone able to rewrite the whole
table could rebuild a consistent chain, or quietly cut its tail.

Two signed forms exist. Version 1 (``accord-audit-checkpoint-v1``) signs the head's
``seq``, hash and time. Version 2 (``accord-audit-checkpoint-v2``) adds the size and
root of the Merkle tree over the events' hashes (:mod:`accord.core.merkle`), so that
a copy of the checkpoint kept *outside* the store, and a witness that countersigned
it, can prove a later log extends it, or was rolled back or rewritten. Checkpoints
stored in version 1 keep verifying as they were signed.

A witness countersigns the version-2 body under its own context
(``accord-audit-witness-v1``), so its signature can never pass for the platform's.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from accord.errors import ValidationError

__all__ = [
    "Checkpoint",
    "Cosignature",
    "checkpoint_from_json",
    "checkpoint_to_json",
    "cosign_checkpoint",
    "key_fingerprint",
    "sign_checkpoint",
    "verify_checkpoint_signature",
    "verify_cosignature",
]

_CONTEXT = b"accord-audit-checkpoint-v1\x00"
_CONTEXT_V2 = b"accord-audit-checkpoint-v2\x00"
_WITNESS_CONTEXT = b"accord-audit-witness-v1\x00"
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    seq: int
    head_hash: str
    signed_at: str
    key_fingerprint: str
    signature: str
    tree_size: int | None = None
    """Events in the Merkle tree the checkpoint signs (version 2); ``None`` in version 1."""
    root: str | None = None
    """Hex Merkle root of the first ``tree_size`` events' hashes (version 2)."""

    @property
    def version(self) -> int:
        return 1 if self.root is None else 2

    def body(self) -> bytes:
        """The signed text, without its context: what a witness countersigns too."""
        if self.root is None:
            return f"{self.seq}:{self.head_hash}:{self.signed_at}".encode()
        return f"{self.seq}:{self.head_hash}:{self.tree_size}:{self.root}:{self.signed_at}".encode()


@dataclass(frozen=True, slots=True)
class Cosignature:
    """A witness's Ed25519 signature over a version-2 checkpoint's body."""

    key_fingerprint: str
    signature: str


def _message(checkpoint: Checkpoint) -> bytes:
    return (_CONTEXT if checkpoint.root is None else _CONTEXT_V2) + checkpoint.body()


def key_fingerprint(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:32]


def sign_checkpoint(
    key: Ed25519PrivateKey, seq: int, head_hash: str, signed_at: str, root: str | None = None
) -> Checkpoint:
    """Sign the head: in version 2 when the Merkle ``root`` of events 1..``seq`` is given."""
    fingerprint = key_fingerprint(key.public_key())
    unsigned = Checkpoint(
        seq, head_hash, signed_at, fingerprint, "", None if root is None else seq, root
    )
    return replace(unsigned, signature=key.sign(_message(unsigned)).hex())


def verify_checkpoint_signature(public_key: Ed25519PublicKey, checkpoint: Checkpoint) -> bool:
    if checkpoint.key_fingerprint != key_fingerprint(public_key):
        return False
    try:
        public_key.verify(
            bytes.fromhex(checkpoint.signature),
            _message(checkpoint),
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def cosign_checkpoint(key: Ed25519PrivateKey, checkpoint: Checkpoint) -> Cosignature:
    """A witness's countersignature; only version-2 checkpoints carry a tree to witness."""
    if checkpoint.root is None:
        raise ValidationError("only a version-2 checkpoint (with a Merkle root) can be witnessed")
    signature = key.sign(_WITNESS_CONTEXT + checkpoint.body()).hex()
    return Cosignature(key_fingerprint(key.public_key()), signature)


def verify_cosignature(
    public_key: Ed25519PublicKey, checkpoint: Checkpoint, cosignature: Cosignature
) -> bool:
    if checkpoint.root is None or cosignature.key_fingerprint != key_fingerprint(public_key):
        return False
    try:
        public_key.verify(
            bytes.fromhex(cosignature.signature), _WITNESS_CONTEXT + checkpoint.body()
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def checkpoint_to_json(checkpoint: Checkpoint) -> dict[str, Any]:
    """The published form: one JSON object per checkpoint (see docs/audit.md)."""
    out: dict[str, Any] = {
        "kind": "checkpoint",
        "version": checkpoint.version,
        "seq": checkpoint.seq,
        "head_hash": checkpoint.head_hash,
        "signed_at": checkpoint.signed_at,
        "key_fingerprint": checkpoint.key_fingerprint,
        "signature": checkpoint.signature,
    }
    if checkpoint.root is not None:
        out["tree_size"] = checkpoint.tree_size
        out["root"] = checkpoint.root
    return out


def checkpoint_from_json(data: Any, where: str = "the checkpoint") -> Checkpoint:
    """Parse a published checkpoint, naming the field that is missing or malformed."""
    if not isinstance(data, Mapping):
        raise ValidationError(f"{where} is not a JSON object")

    def field(name: str, kind: type, pattern: re.Pattern[str] | None = None) -> Any:
        value = data.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ValidationError(f"{where}: field {name!r} is missing or not a {kind.__name__}")
        if isinstance(value, int) and value < 0:
            raise ValidationError(f"{where}: field {name!r} is negative")
        if pattern is not None and isinstance(value, str) and not pattern.fullmatch(value):
            raise ValidationError(f"{where}: field {name!r} is not 64 lowercase hex digits")
        return value

    seq = field("seq", int)
    head_hash = field("head_hash", str, _HEX64)
    signed_at = field("signed_at", str)
    fingerprint = field("key_fingerprint", str)
    signature = field("signature", str)
    if "root" not in data and "tree_size" not in data:
        return Checkpoint(seq, head_hash, signed_at, fingerprint, signature)
    tree_size = field("tree_size", int)
    root = field("root", str, _HEX64)
    if tree_size != seq:
        raise ValidationError(
            f"{where}: tree_size {tree_size} is not its seq {seq} (the tree holds every event)"
        )
    return Checkpoint(seq, head_hash, signed_at, fingerprint, signature, tree_size, root)
