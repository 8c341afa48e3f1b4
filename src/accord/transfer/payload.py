"""Age-encrypted payloads, streamed, with both sides' SHA-256 computed on the way.

Encryption: pyrage encrypts files natively in constant memory, but holds the GIL while
it does (and its ``*_io`` variants call back into Python every 8 KiB, at half the
speed). So it runs in a child process (:mod:`accord.transfer.age_worker`) writing to a
pipe, and this process hashes and writes that stream as it comes, in 1 MiB reads into
one reused buffer: encryption and hashing overlap on two cores.

Decryption is never started on a ciphertext whose size and hash have not been checked.
That check is a whole pass of SHA-256 before decryption can begin, so decryption itself
must be quick: :mod:`accord.transfer.age_decrypt` decrypts in this process at several
GB/s, while a thread hashes and writes the plaintext.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import queue
import subprocess
import sys
import threading
from dataclasses import dataclass

from pyrage import x25519  # type: ignore[import-untyped]

from accord.errors import ValidationError
from accord.transfer.age_decrypt import AgeError, decrypt_stream

__all__ = ["CHUNK", "Digest", "decrypt_payload", "digest", "encrypt_payload"]

CHUNK = 8 * 1024 * 1024
PIPE_CHUNK = 1024 * 1024
_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


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


def _encrypt(source: str, recipient: str, target: str) -> Digest:
    """Run the age worker over ``source``; write the ciphertext to ``target``, hashing it."""
    worker = subprocess.Popen(  # noqa: S603 - our own module, with a fixed argument list
        [sys.executable, "-m", "accord.transfer.age_worker", "encrypt", source],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    hasher = hashlib.sha256()
    size = 0
    try:
        assert worker.stdin is not None
        assert worker.stdout is not None
        worker.stdin.write(recipient.encode("ascii"))
        worker.stdin.close()
        stream = worker.stdout.fileno()
        with contextlib.suppress(OSError):
            fcntl.fcntl(stream, _SETPIPE_SZ, PIPE_CHUNK)
        buffer = bytearray(PIPE_CHUNK)
        view = memoryview(buffer)
        out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            while read := os.readv(stream, [buffer]):
                chunk = view[:read]
                hasher.update(chunk)
                written = 0
                while written < read:
                    written += os.write(out, chunk[written:])
                size += read
        finally:
            os.close(out)
        worker.wait()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        problem = worker.stderr.read().decode(errors="replace").strip() if worker.stderr else ""
        for pipe in (worker.stdout, worker.stderr):
            if pipe is not None:
                pipe.close()
    if worker.returncode != 0:
        raise ValidationError(f"age could not encrypt the payload: {problem or 'no reason given'}")
    return Digest(hasher.hexdigest(), size)


def encrypt_payload(
    plaintext: str, ciphertext: str, recipient: x25519.Recipient
) -> tuple[Digest, Digest]:
    """Encrypt ``plaintext`` to one age recipient; return (plaintext, ciphertext) digests.

    The plaintext is hashed in a thread while the worker encrypts it and the ciphertext
    is hashed as it streams back, so the three passes run side by side.
    """
    plain: list[Digest] = []
    hashing = threading.Thread(target=lambda: plain.append(digest(plaintext)), daemon=True)
    hashing.start()
    try:
        cipher = _encrypt(plaintext, str(recipient), ciphertext)
    finally:
        hashing.join()
    return plain[0], cipher


def decrypt_payload(
    ciphertext: str, plaintext: str, identity: x25519.Identity, expected: Digest
) -> Digest:
    """Check the ciphertext against ``expected`` *first*, then decrypt; the plaintext digest.

    A ciphertext that is not byte-for-byte the one the sender hashed and signed is
    refused before any of it reaches the decryptor.
    """
    # Hash and decrypt through one open file, so the file checked is the file decrypted
    # even if the name is pointed elsewhere in between.
    fd = os.open(ciphertext, os.O_RDONLY)
    try:
        held = f"/proc/{os.getpid()}/fd/{fd}"
        source = held if os.path.exists(held) else ciphertext
        found = digest(source)
        if found.size != expected.size:
            raise ValidationError(
                f"payload.age is {found.size:,} bytes, the manifest says {expected.size:,}: "
                "truncated or padded in transit"
            )
        if found.sha256 != expected.sha256:
            raise ValidationError(
                "payload.age does not match the manifest's ciphertext_sha256: altered in transit"
            )
        return _decrypt(source, str(identity), plaintext)
    finally:
        os.close(fd)


def _decrypt(source: str, identity: str, target: str) -> Digest:
    """Decrypt ``source`` into ``target``; a thread hashes and writes as runs come."""
    hasher = hashlib.sha256()
    runs: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
    failure: list[BaseException] = []
    out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)

    def drain() -> None:
        try:
            while (plain := runs.get()) is not None:
                hasher.update(plain)
                view, written = memoryview(plain), 0
                while written < len(plain):
                    written += os.write(out, view[written:])
        except BaseException as exc:  # reported to the decrypting side below
            failure.append(exc)
            while runs.get() is not None:
                continue

    def sink(plain: bytes) -> None:
        if failure:
            raise failure[0]
        runs.put(plain)

    writer = threading.Thread(target=drain, name="payload-writer", daemon=True)
    writer.start()
    try:
        with open(source, "rb") as ciphertext:
            size = decrypt_stream(ciphertext, identity, sink)
    except AgeError as exc:
        raise ValidationError(f"age could not decrypt the payload: {exc}") from exc
    finally:
        runs.put(None)
        writer.join()
        os.close(out)
    if failure:
        raise failure[0]
    return Digest(hasher.hexdigest(), size)
