"""Destruction certificates: a holder's signed statement that it destroyed a copy.

One record for every kind of deletion that another organisation must be able to trust:
it names its *subject* generically (a kind and an id: a received package today; an
erased record or a revoked extract later), what was destroyed, when, how and by whom,
and is signed with the holder organisation's Ed25519 signing key (the key registered
in the catalogue, ``accord org rotate-keys``). Anyone holding the catalogue's public
keys can verify it; a change to any field breaks the signature.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "CERTIFICATE_FORMAT",
    "DestructionCertificate",
    "DestructionMethod",
    "SignedCertificate",
    "sign_certificate",
    "verify_signature",
]

CERTIFICATE_FORMAT = "accord-destruction-certificate/1"
_CONTEXT = b"accord-destruction-certificate-v1\x00"


class DestructionMethod(StrEnum):
    """How the copy was destroyed (NCSC's guidance on secure sanitisation, in short)."""

    SECURE_DELETE = "secure_delete"
    """Files deleted from storage that is encrypted at rest or overwritten on delete."""
    CRYPTO_SHRED = "crypto_shred"
    """The key that encrypted the copy was destroyed."""
    OVERWRITE = "overwrite"
    """The storage was overwritten before release."""
    PHYSICAL = "physical_destruction"
    """The medium was physically destroyed."""


@dataclass(frozen=True, slots=True)
class DestructionCertificate:
    id: str
    subject_kind: str
    """What kind of thing was destroyed, e.g. ``received_package``."""
    subject_id: str
    """Which one, e.g. the package's transfer id."""
    holder: str
    """The organisation that held the copy and certifies its destruction."""
    agreement_id: str
    agreement_version: int
    description: str
    """What was destroyed, in words (dataset, rows, where it was held)."""
    destroyed_at: str
    """When, as ISO 8601 UTC."""
    method: str
    certified_by: str
    """The principal who certifies, on the holder's behalf."""
    issued_at: str
    note: str = ""
    format: str = CERTIFICATE_FORMAT

    def canonical(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":")).encode()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class SignedCertificate:
    certificate: DestructionCertificate
    key_fingerprint: str
    signature: str
    """Hex Ed25519 signature over the context string and the canonical certificate."""

    def to_json(self) -> str:
        """The portable form: the certificate, and its signature beside it."""
        return json.dumps(
            {
                "certificate": self.certificate.as_dict(),
                "signature": {
                    "algorithm": "ed25519",
                    "key": self.key_fingerprint,
                    "value": self.signature,
                },
            },
            sort_keys=True,
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> SignedCertificate:
        """Parse the portable form; ValueError names what is missing or malformed."""
        try:
            document = json.loads(text)
            signature = document["signature"]
            if signature["algorithm"] != "ed25519":
                raise ValueError("signature.algorithm must be ed25519")
            certificate = DestructionCertificate(**document["certificate"])
            return cls(certificate, str(signature["key"]), str(signature["value"]))
        except (KeyError, TypeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not a destruction certificate: {exc}") from exc


def sign_certificate(
    certificate: DestructionCertificate, key: Ed25519PrivateKey, fingerprint: str
) -> SignedCertificate:
    signature = key.sign(_CONTEXT + certificate.canonical()).hex()
    return SignedCertificate(certificate, fingerprint, signature)


def verify_signature(signed: SignedCertificate, key: Ed25519PublicKey) -> bool:
    try:
        key.verify(bytes.fromhex(signed.signature), _CONTEXT + signed.certificate.canonical())
    except (InvalidSignature, ValueError):
        return False
    return True


def parse_time(text: str) -> datetime:
    """An ISO 8601 time as given on the command line or in the API; ValueError says how."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"destroyed_at {text!r} is not a time: write it as YYYY-MM-DD or "
            "YYYY-MM-DDTHH:MM:SS+00:00"
        ) from None
    return moment
