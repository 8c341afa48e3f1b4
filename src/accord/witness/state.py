"""The witness's own home: its Ed25519 key, the audit key it trusts, the head it signed.

Three files in one directory (0700), each 0600 and each replaced atomically (temp
file, fsync, rename), so a witness killed mid-write keeps its previous head, never
half of one. The head is stored *before* the countersignature is answered: a witness
that crashed after answering would otherwise forget a head it vouched for.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from accord.errors import ConfigurationError, ValidationError
from accord.fsutil import write_atomic
from accord.witness.policy import WitnessHead

__all__ = ["WitnessState", "parse_public_key"]

_KEY = "witness.ed25519"
_CONFIG = "witness.json"
_HEAD = "head.json"


def parse_public_key(text: str, what: str) -> Ed25519PublicKey:
    try:
        raw = bytes.fromhex(text.strip())
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise ValidationError(
            f"{what} is not an Ed25519 public key as 64 hex digits "
            "(e.g. the content of ACCORD_HOME/keys/audit-checkpoint.ed25519.pub)"
        ) from None


class WitnessState:
    def __init__(self, home: Path) -> None:
        self.home = home

    @classmethod
    def init(cls, home: Path, audit_public_key: str) -> WitnessState:
        """Create the home with a new key, trusting ``audit_public_key`` (hex); keeps an
        existing key and head, so running it again only changes the trusted audit key."""
        parse_public_key(audit_public_key, "the audit public key")
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(home, 0o700)
        state = cls(home)
        if not (home / _KEY).exists():
            key = Ed25519PrivateKey.generate()
            write_atomic(home / _KEY, key.private_bytes_raw().hex().encode(), mode=0o600)
        config = {"audit_public_key": audit_public_key.strip().lower()}
        write_atomic(home / _CONFIG, json.dumps(config).encode(), mode=0o600)
        return state

    @classmethod
    def open(cls, home: Path) -> WitnessState:
        if not (home / _KEY).exists() or not (home / _CONFIG).exists():
            raise ConfigurationError(
                f"there is no witness at {home}: run `accord witness init --home {home} "
                "--audit-public-key HEX` first"
            )
        return cls(home)

    def key(self) -> Ed25519PrivateKey:
        try:
            return Ed25519PrivateKey.from_private_bytes(
                bytes.fromhex((self.home / _KEY).read_text().strip())
            )
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"the witness key {self.home / _KEY} is unreadable") from exc

    def public_key_hex(self) -> str:
        return self.key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()

    def audit_key(self) -> Ed25519PublicKey:
        try:
            config = json.loads((self.home / _CONFIG).read_text())
        except (OSError, ValueError) as exc:
            raise ConfigurationError(
                f"the witness configuration {self.home / _CONFIG} is unreadable"
            ) from exc
        return parse_public_key(str(config.get("audit_public_key", "")), "the audit public key")

    def head(self) -> WitnessHead | None:
        path = self.home / _HEAD
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text())
            return WitnessHead(int(data["tree_size"]), str(data["root"]), str(data["signed_at"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # Never start afresh over a damaged head: that would let a rollback through.
            raise ConfigurationError(
                f"the witness head {path} is unreadable; restore it from a backup, never delete it"
            ) from exc

    def store_head(self, head: WitnessHead) -> None:
        data = {"tree_size": head.tree_size, "root": head.root, "signed_at": head.signed_at}
        write_atomic(self.home / _HEAD, json.dumps(data).encode(), mode=0o600)
