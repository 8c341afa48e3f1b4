"""Organisation keys as catalogue records, and which of them may be used when.

Each organisation has a signing key (Ed25519) and an encryption key (X25519, in age's
format). Rotation makes a new key current and gives the one it replaces an end date:
until then the old key still verifies signatures and decrypts packages already in
flight; after it, nothing made with it is accepted. Only current keys sign or are
encrypted to.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = ["KeyPurpose", "KeyState", "OrgKey", "fingerprint"]


class KeyPurpose(StrEnum):
    SIGNING = "signing"
    """Ed25519: manifests and receipts."""
    ENCRYPTION = "encryption"
    """X25519 in age's format: package payloads."""


class KeyState(StrEnum):
    CURRENT = "current"
    OVERLAP = "overlap"
    """Replaced, but still accepted for verification and decryption until ``valid_until``."""
    RETIRED = "retired"


def fingerprint(public_key: str) -> str:
    """SHA-256 of the public key's text form: what manifests and receipts name a key by."""
    return hashlib.sha256(public_key.encode("ascii")).hexdigest()


@dataclass(frozen=True, slots=True)
class OrgKey:
    fingerprint: str
    organisation: str
    purpose: KeyPurpose
    public_key: str
    """Ed25519: 64 hex digits of the raw key. Encryption: the age recipient ``age1…``."""
    created_at: datetime
    superseded_at: datetime | None = None
    valid_until: datetime | None = None
    """Set when a newer key replaces this one: the end of the overlap."""

    def state(self, at: datetime) -> KeyState:
        if self.superseded_at is None:
            return KeyState.CURRENT
        if self.valid_until is not None and at < self.valid_until:
            return KeyState.OVERLAP
        return KeyState.RETIRED

    def accepted(self, at: datetime) -> bool:
        """May this key still verify a signature or decrypt a payload at ``at``?"""
        return self.state(at) is not KeyState.RETIRED
