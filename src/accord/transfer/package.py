"""A package on disk: one directory, three files.

    tr-0123456789abcdef/
        manifest.json   what the payload is and which agreement it travels under
        manifest.sig    the sender's Ed25519 signature over manifest.json's exact bytes
        payload.age     the governed extract (Parquet), encrypted to the recipient's age key

The directory is built under a hidden name and renamed into place, so a package is
complete or absent. Reading checks that all three files are there and bounded in size
before anything else looks at them.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from accord.core.transfer.schema import Column
from accord.errors import NotFoundError, ValidationError

__all__ = [
    "MANIFEST",
    "PAYLOAD",
    "SIGNATURE",
    "PackageFiles",
    "Signature",
    "arrow_columns",
]

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PAYLOAD = "payload.age"
MAX_MANIFEST_BYTES = 1024 * 1024


def arrow_columns(schema: pa.Schema) -> list[Column]:
    """The (name, type) pairs a schema hash covers."""
    return [(field.name, str(field.type)) for field in schema]


@dataclass(frozen=True, slots=True)
class Signature:
    key: str
    """Fingerprint of the signing key, as registered in the catalogue."""
    value: bytes

    @classmethod
    def sign(cls, key: Ed25519PrivateKey, fingerprint: str, data: bytes) -> Signature:
        return cls(fingerprint, key.sign(data))

    def verifies(self, public: Ed25519PublicKey, data: bytes) -> bool:
        try:
            public.verify(self.value, data)
        except InvalidSignature:
            return False
        return True

    def to_bytes(self) -> bytes:
        document = {
            "algorithm": "ed25519",
            "key": self.key,
            "value": base64.b64encode(self.value).decode(),
        }
        return (json.dumps(document, sort_keys=True, indent=2) + "\n").encode()

    @classmethod
    def parse(cls, data: bytes) -> Signature:
        try:
            document = json.loads(data)
        except ValueError:
            raise ValidationError(f"{SIGNATURE} is not JSON") from None
        if not isinstance(document, dict):
            raise ValidationError(f"{SIGNATURE} is not a JSON object")
        if document.get("algorithm") != "ed25519":
            raise ValidationError(f"{SIGNATURE} field 'algorithm' must be 'ed25519'")
        key = document.get("key")
        if not isinstance(key, str) or len(key) != 64:
            raise ValidationError(f"{SIGNATURE} field 'key' must be a 64-digit key fingerprint")
        try:
            value = base64.b64decode(str(document.get("value", "")), validate=True)
        except ValueError:
            raise ValidationError(f"{SIGNATURE} field 'value' is not base64") from None
        if len(value) != 64:
            raise ValidationError(f"{SIGNATURE} field 'value' is not a 64-byte Ed25519 signature")
        return cls(key, value)


@dataclass(frozen=True, slots=True)
class PackageFiles:
    directory: Path

    @property
    def manifest(self) -> Path:
        return self.directory / MANIFEST

    @property
    def signature(self) -> Path:
        return self.directory / SIGNATURE

    @property
    def payload(self) -> Path:
        return self.directory / PAYLOAD

    @classmethod
    def open(cls, path: Path) -> PackageFiles:
        """The package at ``path`` (its directory, or its manifest.json), all files present."""
        directory = path.parent if path.name == MANIFEST else path
        if not directory.is_dir():
            raise NotFoundError(
                f"no package at {path}: a package is a directory holding "
                f"{MANIFEST}, {SIGNATURE} and {PAYLOAD}"
            )
        files = cls(directory)
        missing = [
            p.name for p in (files.manifest, files.signature, files.payload) if not p.is_file()
        ]
        if missing:
            raise ValidationError(f"the package at {directory} is missing {', '.join(missing)}")
        if files.manifest.stat().st_size > MAX_MANIFEST_BYTES:
            raise ValidationError(f"{MANIFEST} is larger than any manifest Accord writes")
        return files

    def read_manifest(self) -> bytes:
        return self.manifest.read_bytes()

    def read_signature(self) -> Signature:
        data = self.signature.read_bytes()
        if len(data) > 4096:
            raise ValidationError(f"{SIGNATURE} is larger than any signature Accord writes")
        return Signature.parse(data)
