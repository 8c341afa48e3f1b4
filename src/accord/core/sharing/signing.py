"""Short-lived, HMAC-signed file URLs.

A Delta Sharing client fetches table files with plain HTTP GETs (through fsspec), without
its bearer token, so each file URL must carry its own authority. The URL names a
:class:`FileClaim` (which recipient credential asked, for which agreement version and
which materialised file) and an expiry; the signature covers both. The server re-checks
the agreement and the credential on every fetch, so a signature only ever narrows what
the live checks allow: a revoked agreement stops serving at once, and an outstanding URL
lapses within its few minutes of life even if nothing else changes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime

from accord.errors import PermissionDenied

__all__ = ["FileClaim", "SignedURL", "sign_file", "verify_file"]

_VERSION = "1"


@dataclass(frozen=True, slots=True)
class FileClaim:
    """What a file URL stands for: which credential may read which governed file."""

    share_token: str
    agreement: str
    agreement_version: int
    dataset: str
    dataset_version: int
    variant: str
    """Fingerprint of the opt-out register the file was made under."""
    changes_from: int = 0
    """For a change file: the dataset version the changes are counted from (the file
    holds what ``dataset_version`` added and removed); 0 for a snapshot."""

    def encode(self) -> str:
        parts: list[str | int] = [
            _VERSION,
            self.share_token,
            self.agreement,
            self.agreement_version,
            self.dataset,
            self.dataset_version,
            self.variant,
        ]
        if self.changes_from:
            parts.append(self.changes_from)
        body = json.dumps(parts, separators=(",", ":"))
        return base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> FileClaim:
        try:
            padded = token + "=" * (-len(token) % 4)
            parts = json.loads(base64.urlsafe_b64decode(padded.encode()))
            if not isinstance(parts, list) or len(parts) not in (7, 8):
                raise ValueError(parts)
            version, share_token, agreement, a_version, dataset, d_version, variant = parts[:7]
            changes_from = int(parts[7]) if len(parts) == 8 else 0
            if version != _VERSION or changes_from < 0:
                raise ValueError(version)
            return cls(
                str(share_token), str(agreement), int(a_version), str(dataset), int(d_version),
                str(variant), changes_from,
            )  # fmt: skip
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
            raise PermissionDenied("the file URL is malformed") from exc

    @property
    def file_id(self) -> str:
        """A stable id for the file itself, the same for every recipient credential."""
        name = (
            f"{self.agreement}:v{self.agreement_version}:{self.dataset}:"
            f"v{self.dataset_version}:{self.variant}"
        )
        if self.changes_from:
            name += f":changes-from-v{self.changes_from}"
        return hashlib.sha256(name.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class SignedURL:
    token: str
    expires: int
    """Seconds since the epoch."""
    signature: str

    def query(self) -> str:
        return f"expires={self.expires}&sig={self.signature}"


def _mac(key: bytes, token: str, expires: int) -> str:
    message = f"{token}\n{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def sign_file(key: bytes, claim: FileClaim, expires: int) -> SignedURL:
    token = claim.encode()
    return SignedURL(token, expires, _mac(key, token, expires))


def verify_file(key: bytes, token: str, expires: str, signature: str, now: datetime) -> FileClaim:
    """The claim a URL carries, or PermissionDenied naming what is wrong with it.

    The signature is checked before the expiry, so a tampered expiry reads as tampering.
    """
    try:
        expiry = int(expires)
    except ValueError:
        raise PermissionDenied("the file URL's expiry is not a number") from None
    if not hmac.compare_digest(_mac(key, token, expiry), signature):
        raise PermissionDenied("the file URL's signature does not match: it was altered")
    if now.timestamp() >= expiry:
        raise PermissionDenied(
            f"the file URL expired at {datetime.fromtimestamp(expiry, now.tzinfo).isoformat()}; "
            "query the table again for a fresh one"
        )
    return FileClaim.decode(token)
