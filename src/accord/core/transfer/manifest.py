"""The signed manifest of a package, and the receipt that acknowledges one.

The manifest says what the payload must be (its hashes before and after encryption, its
schema and row count) and under which agreement it travels; the sender signs its exact
bytes. The receipt says what the recipient loaded; the recipient signs its canonical
JSON. Both are parsed strictly: an unknown, missing or malformed field is named in the
error, so a tampered document is refused with the reason.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

import pydantic
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from accord.core.transfer.schema import Column, schema_sha256
from accord.errors import ValidationError

__all__ = [
    "MANIFEST_FORMAT",
    "RECEIPT_FORMAT",
    "PackageManifest",
    "Receipt",
    "canonical_json",
]

MANIFEST_FORMAT: Literal["accord-package/1"] = "accord-package/1"
RECEIPT_FORMAT: Literal["accord-receipt/1"] = "accord-receipt/1"


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must carry a time zone (UTC, ending Z or +00:00)")
    return value


Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Time = Annotated[datetime, AfterValidator(_utc)]


def canonical_json(value: dict[str, Any]) -> bytes:
    """Sorted keys, no spaces, UTF-8: the bytes a receipt's signature covers."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class _Document(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    @classmethod
    def parse(cls, data: bytes, what: str) -> Any:
        """Parse JSON bytes, naming every bad field in the error."""
        try:
            return cls.model_validate_json(data)
        except pydantic.ValidationError as exc:
            problems = [
                {"field": ".".join(str(p) for p in e["loc"]) or "(document)", "error": e["msg"]}
                for e in exc.errors()
            ]
            named = "; ".join(f"{p['field']}: {p['error']}" for p in problems)
            raise ValidationError(f"the {what} is malformed: {named}", problems=problems) from None

    def document(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class PackageManifest(_Document):
    format: Literal["accord-package/1"] = MANIFEST_FORMAT
    transfer_id: str = Field(pattern=r"^tr-[0-9a-f]{16}$")
    agreement_id: str = Field(min_length=1)
    agreement_version: int = Field(ge=1)
    policy_sha256: Sha256
    dataset_id: str = Field(min_length=1)
    dataset_version: int = Field(ge=0)
    """0 for a test package, which holds no version of the dataset."""
    sender: str = Field(min_length=1)
    recipient: str = Field(min_length=1)
    recipient_key: Sha256
    """Fingerprint of the recipient's age key the payload is encrypted to."""
    schema_sha256: Sha256
    columns: tuple[tuple[str, str], ...] = Field(min_length=1)
    rows: int = Field(ge=0)
    plaintext_sha256: Sha256
    plaintext_bytes: int = Field(ge=0)
    ciphertext_sha256: Sha256
    ciphertext_bytes: int = Field(gt=0)
    created_at: Time
    expires_at: Time
    test: bool
    payload: Literal["payload.age"] = "payload.age"

    def to_bytes(self) -> bytes:
        """The manifest file's bytes (what the signature covers): sorted, indented JSON."""
        return (json.dumps(self.document(), sort_keys=True, indent=2) + "\n").encode()

    def check_consistent(self) -> None:
        """The schema hash must be the hash of the listed columns."""
        columns: list[Column] = [(name, kind) for name, kind in self.columns]
        if schema_sha256(columns) != self.schema_sha256:
            raise ValidationError(
                "the manifest's schema_sha256 does not match its columns",
                problems=[{"field": "schema_sha256", "error": "does not match columns"}],
            )
        if self.expires_at <= self.created_at:
            raise ValidationError(
                "the manifest's expires_at is not after its created_at",
                problems=[{"field": "expires_at", "error": "not after created_at"}],
            )


class Receipt(_Document):
    format: Literal["accord-receipt/1"] = RECEIPT_FORMAT
    transfer_id: str = Field(pattern=r"^tr-[0-9a-f]{16}$")
    agreement_id: str
    agreement_version: int = Field(ge=1)
    dataset_id: str
    sender: str
    recipient: str
    test: bool
    schema_sha256: Sha256
    rows: int = Field(ge=0)
    plaintext_sha256: Sha256
    ciphertext_sha256: Sha256
    received_at: Time

    def signed_bytes(self) -> bytes:
        return canonical_json(self.document())
