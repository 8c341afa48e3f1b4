"""Private keys, encrypted at rest under a master key.

The master key comes from ``ACCORD_MASTER_KEY`` or a 0600 file in the home created by
``accord init``. Each private key is sealed with AES-256-GCM under it, with the key's
name as associated data, so a sealed file cannot be swapped for another key's.
Public halves are stored in the clear beside them. Nothing here ever exports a
private key.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from accord.core.checkpoint import Checkpoint, sign_checkpoint
from accord.errors import ConfigurationError
from accord.fsutil import write_atomic

__all__ = ["KeyStore"]

_NONCE = 12
AUDIT_KEY = "audit-checkpoint"


class KeyStore:
    def __init__(self, directory: Path, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise ConfigurationError("the master key must be 32 bytes")
        self.directory = directory
        self._aead = AESGCM(master_key)

    @classmethod
    def open(cls, home: Path, master_key_b64: str = "", *, create: bool = False) -> KeyStore:
        """The home's key store; ``create`` makes the master key file when there is none."""
        directory = home / "keys"
        if master_key_b64:
            try:
                master = base64.b64decode(master_key_b64, validate=True)
            except ValueError as exc:
                raise ConfigurationError(
                    "ACCORD_MASTER_KEY is not valid base64. Generate one with "
                    "`openssl rand -base64 32`."
                ) from exc
            if len(master) != 32:
                raise ConfigurationError("ACCORD_MASTER_KEY must be base64 of exactly 32 bytes.")
            return cls(directory, master)
        path = directory / "master.key"
        if not path.exists():
            if not create:
                raise ConfigurationError(
                    f"no master key at {path}. Run `accord init` to create the home, "
                    "or set ACCORD_MASTER_KEY."
                )
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_atomic(path, base64.b64encode(secrets.token_bytes(32)), mode=0o600)
        return cls(directory, base64.b64decode(path.read_bytes()))

    def _seal(self, name: str, secret: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, secret, name.encode())

    def _unseal(self, name: str, sealed: bytes) -> bytes:
        if len(sealed) <= _NONCE:
            raise ConfigurationError(f"the sealed key {name!r} is truncated")
        try:
            return self._aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], name.encode())
        except InvalidTag as exc:
            raise ConfigurationError(
                f"the key {name!r} does not decrypt under this master key: "
                "ACCORD_MASTER_KEY or keys/master.key is not the one it was sealed with"
            ) from exc

    def seal(self, name: str, secret: bytes) -> bytes:
        """Encrypt ``secret`` under the master key, bound to ``name``.

        For other stores in this directory (linkage-domain keys) that keep their own
        files: the blob opens only with the same master key *and* the same name, so a
        sealed secret copied under another name does not decrypt.
        """
        return self._seal(name, secret)

    def unseal(self, name: str, sealed: bytes) -> bytes:
        """Open a blob from :meth:`seal`; a wrong master key or name is a ConfigurationError."""
        return self._unseal(name, sealed)

    def signing_key(self, name: str, *, create: bool = False) -> Ed25519PrivateKey:
        sealed = self.directory / f"{name}.ed25519.sealed"
        if not sealed.exists():
            if not create:
                raise ConfigurationError(f"no signing key {name!r}; run `accord init`")
            key = Ed25519PrivateKey.generate()
            raw = key.private_bytes_raw()
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_atomic(sealed, self._seal(name, raw), mode=0o600)
            public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
            write_atomic(self.directory / f"{name}.ed25519.pub", public.hex().encode())
            return key
        return Ed25519PrivateKey.from_private_bytes(self._unseal(name, sealed.read_bytes()))

    def secret(self, name: str, *, create: bool = False) -> bytes:
        """A named 32-byte secret (for keyed hashes), sealed at rest, made on first use."""
        sealed = self.directory / f"{name}.secret.sealed"
        if not sealed.exists():
            if not create:
                raise ConfigurationError(f"no secret {name!r}; run `accord init`")
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_atomic(sealed, self._seal(name, secrets.token_bytes(32)), mode=0o600)
        return self._unseal(name, sealed.read_bytes())

    def public_key(self, name: str) -> Ed25519PublicKey:
        path = self.directory / f"{name}.ed25519.pub"
        if not path.exists():
            raise ConfigurationError(f"no public key {name!r}; run `accord init`")
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(path.read_text().strip()))

    def audit_signer(self, *, create: bool = False) -> AuditSigner:
        return AuditSigner(self.signing_key(AUDIT_KEY, create=create))


class AuditSigner:
    """Signs audit checkpoints; the store calls it inside the appending transaction."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key

    def __call__(
        self, seq: int, head_hash: str, signed_at: str, root: str | None = None
    ) -> Checkpoint:
        return sign_checkpoint(self._key, seq, head_hash, signed_at, root)
