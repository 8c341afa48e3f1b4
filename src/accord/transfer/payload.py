"""Age-encrypted payloads, streamed through files, with both sides' SHA-256.

pyrage's file functions stream natively in constant memory (its ``*_io`` variants call
back into Python every 8 KiB, which costs half the throughput), so each step is one
native pass, and hashing is a separate pass in large chunks into one reused buffer.
Decryption is never started on a ciphertext whose hash has not been checked.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import pyrage  # type: ignore[import-untyped]
from pyrage import x25519

from accord.errors import ValidationError

__all__ = ["CHUNK", "Digest", "decrypt_payload", "digest", "encrypt_payload"]

CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Digest:
    sha256: str
    size: int


def digest(path: str) -> Digest:
    """SHA-256 and size of a file, read in 8 MiB chunks into one buffer (no copies)."""
    hasher = hashlib.sha256()
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    size = 0
    fd = os.open(path, os.O_RDONLY)
    try:
        while read := os.readv(fd, [buffer]):
            hasher.update(view[:read])
            size += read
    finally:
        os.close(fd)
    return Digest(hasher.hexdigest(), size)


def encrypt_payload(
    plaintext: str, ciphertext: str, recipient: x25519.Recipient
) -> tuple[Digest, Digest]:
    """Encrypt ``plaintext`` to one age recipient; return (plaintext, ciphertext) digests."""
    plain = digest(plaintext)
    try:
        pyrage.encrypt_file(plaintext, ciphertext, [recipient])
    except pyrage.EncryptError as exc:
        raise ValidationError(f"the payload could not be encrypted: {exc}") from exc
    return plain, digest(ciphertext)


def decrypt_payload(
    ciphertext: str, plaintext: str, identity: x25519.Identity, expected: Digest
) -> Digest:
    """Check the ciphertext against ``expected`` *first*, then decrypt; the plaintext digest.

    A ciphertext that is not byte-for-byte the one the sender hashed and signed is
    refused before any of it reaches the decryptor.
    """
    found = digest(ciphertext)
    if found.size != expected.size:
        raise ValidationError(
            f"payload.age is {found.size:,} bytes, the manifest says {expected.size:,}: "
            "truncated or padded in transit"
        )
    if found.sha256 != expected.sha256:
        raise ValidationError(
            "payload.age does not match the manifest's ciphertext_sha256: altered in transit"
        )
    try:
        pyrage.decrypt_file(ciphertext, plaintext, [identity])
    except pyrage.DecryptError as exc:
        raise ValidationError(
            f"payload.age does not decrypt with the recipient's key: {exc}"
        ) from exc
    return digest(plaintext)
