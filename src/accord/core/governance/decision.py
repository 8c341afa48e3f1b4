"""The decision record: the ICO data-sharing decision form, filled in from the workflow
and signed with the data-owning organisation's Ed25519 key.

The signature covers canonical JSON of the whole record, which includes the SHA-256 of
the agreement policy: a record verifies only for the exact policy that was approved.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from accord.core.checkpoint import key_fingerprint

__all__ = ["ApprovalEntry", "DecisionRecord", "sign_record", "verify_record"]

_CONTEXT = b"accord-decision-record-v1\x00"


@dataclass(frozen=True, slots=True)
class ApprovalEntry:
    principal: str
    organisation: str
    role: str
    at: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """Fields of the ICO decision form, in its order."""

    request_id: str
    request_title: str
    requesting_organisation: str
    data_owners: tuple[str, ...]
    decision: str
    """``share`` or ``do not share``."""
    decided_at: str
    reasons: str
    purpose: str
    lawful_basis: str
    legal_power: str
    data_items: tuple[str, ...]
    tier: int
    dpia_reference: str
    conditions: tuple[str, ...]
    overridden_findings: tuple[str, ...]
    approvals: tuple[ApprovalEntry, ...]
    review_date: str
    agreement_id: str
    agreement_version: int
    policy_sha256: str

    def canonical(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":")).encode()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sign_record(record: DecisionRecord, key: Ed25519PrivateKey) -> tuple[str, str]:
    """``(signature hex, key fingerprint)``."""
    return key.sign(_CONTEXT + record.canonical()).hex(), key_fingerprint(key.public_key())


def verify_record(record: DecisionRecord, signature: str, key: Ed25519PublicKey) -> bool:
    try:
        key.verify(bytes.fromhex(signature), _CONTEXT + record.canonical())
    except (InvalidSignature, ValueError):
        return False
    return True
