"""The receiver's age decryption: exactly what pyrage encrypts, and nothing altered.

Encryption is pyrage's (the reference format's own implementation); these tests hold
the in-process decryptor to it at every chunk boundary, and to refusing a wrong key, an
altered header, an altered chunk and a payload cut short, including at a boundary.
"""

from __future__ import annotations

import io
import os

import pyrage  # type: ignore[import-untyped]
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyrage import x25519

from accord.transfer.age_decrypt import CHUNK, AgeError, decrypt_stream, identity_secret

IDENTITY = x25519.Identity.generate()


def _decrypt(ciphertext: bytes, identity: x25519.Identity = IDENTITY) -> bytes:
    out = bytearray()
    size = decrypt_stream(io.BytesIO(ciphertext), str(identity), out.extend, block=2)
    assert size == len(out)
    return bytes(out)


@pytest.mark.parametrize(
    "length",
    [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 7, 5 * CHUNK, 5 * CHUNK + 1],
)
def test_decrypts_what_pyrage_encrypts_at_every_boundary(length: int) -> None:
    plaintext = os.urandom(length)
    ciphertext = pyrage.encrypt(plaintext, [IDENTITY.to_public()])
    assert _decrypt(ciphertext) == plaintext == pyrage.decrypt(ciphertext, [IDENTITY])


@given(st.binary(max_size=3 * CHUNK + 10))
def test_round_trips_any_payload(plaintext: bytes) -> None:
    assert _decrypt(pyrage.encrypt(plaintext, [IDENTITY.to_public()])) == plaintext


def test_a_file_for_several_recipients_opens_with_any_of_their_keys() -> None:
    other = x25519.Identity.generate()
    ciphertext = pyrage.encrypt(b"shared", [other.to_public(), IDENTITY.to_public()])
    assert _decrypt(ciphertext) == _decrypt(ciphertext, other) == b"shared"


def test_an_identity_reads_the_same_in_either_case() -> None:
    """Bech32 strings are case-insensitive; age writes identities in upper case."""
    secret = identity_secret(str(IDENTITY))
    assert len(secret) == 32
    assert identity_secret(str(IDENTITY).lower()) == secret


def test_a_key_that_is_not_an_age_identity_is_refused() -> None:
    with pytest.raises(AgeError, match="not an age identity"):
        identity_secret("age1notasecretkey")
    corrupted = str(IDENTITY)[:-1] + ("q" if str(IDENTITY)[-1] != "Q" else "p")
    with pytest.raises(AgeError, match="checksum"):
        identity_secret(corrupted)


def test_another_organisations_key_is_refused() -> None:
    ciphertext = pyrage.encrypt(b"for someone else", [x25519.Identity.generate().to_public()])
    with pytest.raises(AgeError, match="not encrypted to this organisation's key"):
        _decrypt(ciphertext)


def test_an_altered_header_is_refused() -> None:
    ciphertext = bytearray(pyrage.encrypt(b"payload", [IDENTITY.to_public()]))
    mac_line = ciphertext.index(b"\n--- ")
    ciphertext[mac_line + 6] ^= 0x01  # one bit of the header MAC
    with pytest.raises(AgeError, match="header"):
        _decrypt(bytes(ciphertext))


def test_an_altered_chunk_is_refused() -> None:
    ciphertext = bytearray(pyrage.encrypt(os.urandom(3 * CHUNK), [IDENTITY.to_public()]))
    ciphertext[-CHUNK - 100] ^= 0x80  # inside the second chunk
    with pytest.raises(AgeError, match="does not authenticate"):
        _decrypt(bytes(ciphertext))


@pytest.mark.parametrize("cut", [1, 16, CHUNK + 16, CHUNK + 17])
def test_a_payload_cut_short_is_refused(cut: int) -> None:
    """Cut mid-chunk, or exactly at a chunk boundary (the last whole chunk was not
    sealed as the last, so it does not authenticate as one)."""
    ciphertext = pyrage.encrypt(os.urandom(3 * CHUNK), [IDENTITY.to_public()])
    with pytest.raises(AgeError):
        _decrypt(ciphertext[:-cut])


def test_what_is_not_age_is_refused() -> None:
    with pytest.raises(AgeError, match="not an age v1 file"):
        _decrypt(b"PAR1 not age at all")
    header_only = pyrage.encrypt(b"x", [IDENTITY.to_public()])
    end = header_only.index(b"\n--- ") + 1
    with pytest.raises(AgeError, match="truncated"):
        _decrypt(header_only[:end])
