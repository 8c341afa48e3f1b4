"""Organisations' private keys, sealed at rest by the home's :class:`~accord.keys.KeyStore`.

A real deployment holds only its own organisation's private keys and the public keys
of the others (from the catalogue); a demo home hosts several organisations, so keys
are filed by organisation and fingerprint. Each private key is sealed under a name
that binds it to its organisation, purpose and fingerprint, so a sealed file copied to
another name does not open.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyrage import x25519  # type: ignore[import-untyped]

from accord.core.transfer.keys import KeyPurpose, OrgKey, fingerprint
from accord.errors import ConfigurationError
from accord.fsutil import write_atomic
from accord.keys import KeyStore

__all__ = ["OrgKeyRing", "verifier"]


def verifier(key: OrgKey) -> Ed25519PublicKey:
    """The public signing key of a catalogue record."""
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(key.public_key))


class OrgKeyRing:
    def __init__(self, keys: KeyStore) -> None:
        self._keys = keys
        self.directory = keys.directory / "organisations"

    def _path(self, key: OrgKey) -> Path:
        return self.directory / key.organisation / f"{key.fingerprint}.{key.purpose.value}.sealed"

    @staticmethod
    def _name(key: OrgKey) -> str:
        return f"org:{key.organisation}:{key.purpose.value}:{key.fingerprint}"

    def generate(self, organisation: str, at: datetime) -> list[OrgKey]:
        """A new signing and encryption key pair, the private halves sealed on disk."""
        signing = Ed25519PrivateKey.generate()
        signing_public = signing.public_key().public_bytes_raw().hex()
        identity = x25519.Identity.generate()
        recipient = str(identity.to_public())
        made = [
            (KeyPurpose.SIGNING, signing_public, signing.private_bytes_raw()),
            (KeyPurpose.ENCRYPTION, recipient, str(identity).encode()),
        ]
        keys = []
        for purpose, public, secret in made:
            key = OrgKey(fingerprint(public), organisation, purpose, public, at)
            path = self._path(key)
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_atomic(path, self._keys.seal(self._name(key), secret), mode=0o600)
            keys.append(key)
        return keys

    def _secret(self, key: OrgKey) -> bytes:
        path = self._path(key)
        if not path.exists():
            raise ConfigurationError(
                f"this home does not hold the private {key.purpose.value} key of "
                f"{key.organisation!r} ({key.fingerprint[:16]}…): only {key.organisation}'s "
                "own Accord can use it"
            )
        return self._keys.unseal(self._name(key), path.read_bytes())

    def signer(self, key: OrgKey) -> Ed25519PrivateKey:
        if key.purpose is not KeyPurpose.SIGNING:
            raise ConfigurationError(f"key {key.fingerprint[:16]}… is not a signing key")
        return Ed25519PrivateKey.from_private_bytes(self._secret(key))

    def identity(self, key: OrgKey) -> x25519.Identity:
        if key.purpose is not KeyPurpose.ENCRYPTION:
            raise ConfigurationError(f"key {key.fingerprint[:16]}… is not an encryption key")
        return x25519.Identity.from_str(self._secret(key).decode())

    def holds(self, key: OrgKey) -> bool:
        return self._path(key).exists()
