"""What the store keeps about packages: sent, received, and receipted."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from accord.core.transfer.manifest import Receipt
from accord.errors import ValidationError

__all__ = ["ReceivedPackage", "SentPackage", "SignedReceipt"]


@dataclass(frozen=True, slots=True)
class SentPackage:
    transfer_id: str
    manifest: bytes
    """The manifest file's exact (signed) bytes."""
    signing_key: str
    path: str


@dataclass(frozen=True, slots=True)
class ReceivedPackage:
    transfer_id: str
    manifest: bytes
    location: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class SignedReceipt:
    """A receipt with the recipient's Ed25519 signature over its canonical JSON."""

    receipt: Receipt
    signing_key: str
    signature: bytes

    def to_bytes(self) -> bytes:
        document = {
            "receipt": self.receipt.document(),
            "signature": {
                "algorithm": "ed25519",
                "key": self.signing_key,
                "value": base64.b64encode(self.signature).decode(),
            },
        }
        return (json.dumps(document, sort_keys=True, indent=2) + "\n").encode()

    @classmethod
    def parse(cls, data: bytes) -> SignedReceipt:
        try:
            document = json.loads(data)
            receipt = document["receipt"]
            signature = document["signature"]
            if signature["algorithm"] != "ed25519":
                raise ValueError("signature.algorithm must be ed25519")
            key = str(signature["key"])
            value = base64.b64decode(signature["value"], validate=True)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValidationError(f"the receipt is malformed: {exc}") from None
        parsed: Receipt = Receipt.parse(json.dumps(receipt).encode(), "receipt")
        return cls(parsed, key, value)

    def summary(self) -> dict[str, Any]:
        return {**self.receipt.document(), "signing_key": self.signing_key}
