"""Decrypting an age v1 file to an X25519 identity, on ``cryptography``'s primitives.

Why not pyrage here, as for encryption: pyrage decrypts at about 580 MB/s on one core,
and a receiver must hash the whole ciphertext *before* decrypting any of it, so the two
passes add up (about 380 MB/s in all). ``cryptography``'s ChaCha20-Poly1305 runs at
several GB/s, so decryption stops being the slow pass. The format is the standard one
(age-encryption.org/v1, as pyrage and the ``age`` tool write it), and the tests decrypt
what pyrage encrypts, byte for byte, and refuse what it would refuse.

The format, in short: a text header of recipient stanzas, closed by an HMAC over the
header under a key derived from the file key; the X25519 stanza wraps the 16-byte file
key with ChaCha20-Poly1305 under HKDF(X25519(identity, ephemeral share)). Then a 16-byte
nonce, and the payload as STREAM: 64 KiB chunks, each sealed with ChaCha20-Poly1305
under HKDF(file key, nonce, "payload"), nonce = 11-byte chunk counter || last-chunk
flag. A stream cut at a chunk boundary fails, because its final chunk was not sealed
as the last one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from accord.errors import ValidationError

__all__ = ["AgeError", "decrypt_stream", "identity_secret"]

VERSION_LINE = b"age-encryption.org/v1\n"
CHUNK = 64 * 1024
TAG = 16
SEALED_CHUNK = CHUNK + TAG
_MAX_HEADER = 64 * 1024
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_X25519_LABEL = b"age-encryption.org/v1/X25519"


class AgeError(ValidationError):
    """The file is not age v1 for this identity, or was altered."""


def _polymod(values: list[int]) -> int:
    generators = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i, generator in enumerate(generators):
            if (top >> i) & 1:
                check ^= generator
    return check


def identity_secret(identity: str) -> bytes:
    """The 32-byte X25519 secret of an ``AGE-SECRET-KEY-1…`` string (Bech32, BIP 173)."""
    text = identity.strip().lower()
    hrp, separator, data = text.rpartition("1")
    if not separator or hrp != "age-secret-key-" or len(data) < 6:
        raise AgeError("the key is not an age identity (AGE-SECRET-KEY-1…)")
    try:
        values = [_BECH32.index(c) for c in data]
    except ValueError:
        raise AgeError("the age identity has a character Bech32 does not use") from None
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    if _polymod(expanded + values) != 1:
        raise AgeError("the age identity's checksum is wrong")
    accumulator, bits, secret = 0, 0, bytearray()
    for value in values[:-6]:
        accumulator = (accumulator << 5) | value
        bits += 5
        if bits >= 8:
            bits -= 8
            secret.append((accumulator >> bits) & 0xFF)
    if len(secret) != 32 or accumulator & ((1 << bits) - 1):
        raise AgeError("the age identity does not hold a 32-byte key")
    return bytes(secret)


def _hkdf(secret: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(secret)


def _b64(text: bytes, what: str) -> bytes:
    """Unpadded, canonical standard base64, as age writes it."""
    if text.endswith(b"=") or b"\r" in text:
        raise AgeError(f"the age header's {what} is not unpadded base64")
    try:
        decoded = base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except ValueError:
        raise AgeError(f"the age header's {what} is not base64") from None
    if base64.b64encode(decoded).rstrip(b"=") != text:
        raise AgeError(f"the age header's {what} is not canonical base64")
    return decoded


def _read_header(source: BinaryIO) -> tuple[list[tuple[list[bytes], bytes]], bytes, bytes]:
    """The stanzas (arguments, body), the header as MACed, and the MAC."""
    if source.readline(len(VERSION_LINE)) != VERSION_LINE:
        raise AgeError("the payload is not an age v1 file")
    header = bytearray(VERSION_LINE)
    stanzas: list[tuple[list[bytes], bytes]] = []
    while True:
        line = source.readline(_MAX_HEADER)
        if not line.endswith(b"\n") or len(header) + len(line) > _MAX_HEADER:
            raise AgeError("the age header is truncated or too long")
        if line.startswith(b"--- "):
            header += b"---"
            return stanzas, bytes(header), _b64(line[4:-1], "MAC")
        if not line.startswith(b"-> "):
            raise AgeError("the age header has a line that is neither a stanza nor its end")
        header += line
        arguments = line[3:-1].split(b" ")
        body = bytearray()
        while True:
            body_line = source.readline(66)
            if not body_line.endswith(b"\n") or len(body_line) > 65:
                raise AgeError("the age header has a malformed stanza body")
            header += body_line
            body += _b64(body_line[:-1], "stanza body") if len(body_line) > 1 else b""
            if len(body_line) < 65:
                break
        stanzas.append((arguments, bytes(body)))


def _file_key(stanzas: list[tuple[list[bytes], bytes]], secret: bytes) -> bytes:
    identity = X25519PrivateKey.from_private_bytes(secret)
    recipient = identity.public_key().public_bytes_raw()
    for arguments, body in stanzas:
        if arguments[0] != b"X25519":
            continue
        if len(arguments) != 2 or len(body) != 32:
            raise AgeError("the age header has a malformed X25519 stanza")
        share = _b64(arguments[1], "X25519 share")
        if len(share) != 32:
            raise AgeError("the age header has a malformed X25519 share")
        shared = identity.exchange(X25519PublicKey.from_public_bytes(share))
        if shared == bytes(32):
            raise AgeError("the age header's X25519 share is a low-order point")
        wrap = _hkdf(shared, share + recipient, _X25519_LABEL)
        try:
            return ChaCha20Poly1305(wrap).decrypt(bytes(12), body, None)
        except InvalidTag:
            continue  # a stanza for another recipient
    raise AgeError("the payload is not encrypted to this organisation's key")


def decrypt_stream(
    source: BinaryIO, identity: str, sink: Callable[[bytes], None], *, block: int = 16
) -> int:
    """Decrypt the age file ``source`` to ``identity``, passing plaintext to ``sink``.

    Plaintext reaches ``sink`` in runs of ``block`` chunks, each authenticated before it
    is passed on. Returns the plaintext's length. Raises :class:`AgeError` for a file
    that is not age v1 for this identity, or was altered or cut short; ``sink`` may by
    then have had earlier runs, so the caller stages what it writes.
    """
    stanzas, header, mac = _read_header(source)
    file_key = _file_key(stanzas, identity_secret(identity))
    expected = hmac.new(_hkdf(file_key, b"", b"header"), header, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, mac):
        raise AgeError("the age header's MAC does not match: the header was altered")
    nonce = source.read(16)
    if len(nonce) != 16:
        raise AgeError("the age payload is truncated before its nonce")
    aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
    total = 0
    counter = 0
    for run, last in _runs(source, block * SEALED_CHUNK):
        view = memoryview(run)
        pieces = []
        for start in range(0, len(run), SEALED_CHUNK):
            sealed = view[start : start + SEALED_CHUNK]
            final = last and start + SEALED_CHUNK >= len(run)
            if len(sealed) < TAG or (len(sealed) == TAG and (counter or not final)):
                raise AgeError("the age payload is truncated mid-chunk")
            chunk_nonce = counter.to_bytes(11, "big") + (b"\x01" if final else b"\x00")
            try:
                pieces.append(aead.decrypt(chunk_nonce, sealed, None))
            except InvalidTag:
                raise AgeError(
                    f"age payload chunk {counter} does not authenticate: "
                    + ("the payload was cut short or altered" if final else "altered")
                ) from None
            counter += 1
        plain = b"".join(pieces)
        total += len(plain)
        sink(plain)
    return total


def _runs(source: BinaryIO, size: int) -> Iterator[tuple[bytes, bool]]:
    """Read ``size``-byte runs, saying which is the last (one read of look-ahead)."""
    current = source.read(size)
    if not current:
        raise AgeError("the age payload is empty: it has no chunks")
    while True:
        following = source.read(size)
        yield current, not following
        if not following:
            return
        current = following
