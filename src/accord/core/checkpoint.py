"""Signed checkpoints of the audit log's head.

The hash chain proves the log is internally consistent; a signed checkpoint proves
the head is the one the platform saw. Without it, someone able to rewrite the whole
table could rebuild a consistent chain, or quietly cut its tail.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = ["Checkpoint", "key_fingerprint", "sign_checkpoint", "verify_checkpoint_signature"]

_CONTEXT = b"accord-audit-checkpoint-v1\x00"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    seq: int
    head_hash: str
    signed_at: str
    key_fingerprint: str
    signature: str


def _message(seq: int, head_hash: str, signed_at: str) -> bytes:
    return _CONTEXT + f"{seq}:{head_hash}:{signed_at}".encode()


def key_fingerprint(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:32]


def sign_checkpoint(key: Ed25519PrivateKey, seq: int, head_hash: str, signed_at: str) -> Checkpoint:
    signature = key.sign(_message(seq, head_hash, signed_at)).hex()
    return Checkpoint(seq, head_hash, signed_at, key_fingerprint(key.public_key()), signature)


def verify_checkpoint_signature(public_key: Ed25519PublicKey, checkpoint: Checkpoint) -> bool:
    if checkpoint.key_fingerprint != key_fingerprint(public_key):
        return False
    try:
        public_key.verify(
            bytes.fromhex(checkpoint.signature),
            _message(checkpoint.seq, checkpoint.head_hash, checkpoint.signed_at),
        )
    except (InvalidSignature, ValueError):
        return False
    return True
