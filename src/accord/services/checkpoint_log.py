"""The published checkpoint log: an append-only JSON-lines file outside the store.

A checkpoint kept only in the database it vouches for is lost with it: restore an
older backup and the newer checkpoints go too. So each checkpoint, once its
transaction has committed, is also appended here, one JSON object per line, for the
operator to ship off the machine (``tail -F | ssh``, a log shipper). A witness's
countersignature of a checkpoint follows it as a line of its own.

Lines, each a JSON object with a ``kind``::

    {"kind": "checkpoint", "version": 2, "seq": …, "head_hash": …, "tree_size": …,
     "root": …, "signed_at": …, "key_fingerprint": …, "signature": …}
    {"kind": "cosignature", "seq": …, "root": …, "key_fingerprint": …, "signature": …}

The file is opened ``O_APPEND`` with mode 0600, each append is fsynced, and writers
hold an exclusive ``flock`` while they read its last line and append after it, so two
processes (the API server and a CLI command) never publish the same checkpoint twice.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accord.core.checkpoint import (
    Checkpoint,
    Cosignature,
    checkpoint_from_json,
    checkpoint_to_json,
)
from accord.errors import AuditError, ValidationError

__all__ = ["CheckpointLog", "PublishedCheckpoint", "read_published"]

_TAIL = 64 * 1024


@dataclass(frozen=True, slots=True)
class PublishedCheckpoint:
    """A checkpoint as published, with the countersignatures published after it."""

    checkpoint: Checkpoint
    cosignatures: tuple[Cosignature, ...] = field(default=())


def _cosignature_line(checkpoint: Checkpoint, cosignature: Cosignature) -> dict[str, Any]:
    return {
        "kind": "cosignature",
        "seq": checkpoint.seq,
        "root": checkpoint.root,
        "key_fingerprint": cosignature.key_fingerprint,
        "signature": cosignature.signature,
    }


def _parse_lines(lines: Sequence[tuple[int, str]], source: str) -> PublishedCheckpoint | None:
    """The newest checkpoint among ``(line number, text)``, and the cosignatures after it."""
    cosignatures: list[tuple[object, Cosignature]] = []
    for number, text in reversed(lines):
        if not text.strip():
            continue
        where = f"{source} line {number}"
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"{where} is not JSON: {exc.msg}") from None
        kind = data.get("kind", "checkpoint") if isinstance(data, dict) else None
        if kind == "cosignature":
            fingerprint, signature = data.get("key_fingerprint"), data.get("signature")
            if not isinstance(fingerprint, str) or not isinstance(signature, str):
                raise ValidationError(f"{where}: a cosignature needs key_fingerprint and signature")
            cosignatures.append((data.get("seq"), Cosignature(fingerprint, signature)))
            continue
        checkpoint = checkpoint_from_json(data, where)
        mine = tuple(c for seq, c in reversed(cosignatures) if seq == checkpoint.seq)
        return PublishedCheckpoint(checkpoint, mine)
    return None


def read_published(path: Path) -> PublishedCheckpoint:
    """The newest checkpoint in ``path``: a published checkpoints.jsonl, or one JSON object
    (a checkpoint, optionally with a ``cosignatures`` list)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError(f"there is no checkpoint file {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"the checkpoint file {path} could not be read: {exc}") from None
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None
    if isinstance(whole, dict):
        cosignatures = []
        for i, item in enumerate(whole.get("cosignatures") or []):
            if not isinstance(item, dict) or not all(
                isinstance(item.get(k), str) for k in ("key_fingerprint", "signature")
            ):
                raise ValidationError(
                    f"{path}: cosignature {i + 1} needs key_fingerprint and signature"
                )
            cosignatures.append(Cosignature(item["key_fingerprint"], item["signature"]))
        return PublishedCheckpoint(checkpoint_from_json(whole, str(path)), tuple(cosignatures))
    found = _parse_lines(list(enumerate(text.splitlines(), start=1)), str(path))
    if found is None:
        raise ValidationError(f"the checkpoint file {path} holds no checkpoint")
    return found


class CheckpointLog:
    """The append-only file at ``path``; every method translates OS errors to AuditError."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def locked(self) -> Iterator[int]:
        """The file open for appending, exclusively locked: read the tail, then append."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            raise AuditError(
                f"the checkpoint log {self.path} could not be opened: {exc.strerror}"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield fd
        finally:
            os.close(fd)

    def newest(self) -> PublishedCheckpoint | None:
        """The newest published checkpoint, read from the file's tail (not the whole file)."""
        try:
            with self.path.open("rb") as handle:
                size = handle.seek(0, os.SEEK_END)
                chunk = _TAIL
                while True:
                    start = max(0, size - chunk)
                    handle.seek(start)
                    raw = handle.read(size - start)
                    lines = raw.decode("utf-8", errors="replace").splitlines()
                    if start > 0:
                        lines = lines[1:]  # a partial first line
                    # Line numbers are only for messages: counted from this chunk's start.
                    found = _parse_lines(list(enumerate(lines, start=1)), str(self.path))
                    if found is not None or start == 0:
                        return found
                    chunk *= 4
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise AuditError(
                f"the checkpoint log {self.path} could not be read: {exc.strerror}"
            ) from exc

    def append(self, fd: int, checkpoints: Sequence[Checkpoint]) -> None:
        """Append ``checkpoints``, one line each, then fsync."""
        self._write(fd, [checkpoint_to_json(c) for c in checkpoints])

    def append_cosignature(self, fd: int, checkpoint: Checkpoint, cosigned: Cosignature) -> None:
        """Append a witness's countersignature of ``checkpoint`` (already published)."""
        self._write(fd, [_cosignature_line(checkpoint, cosigned)])

    def _write(self, fd: int, lines: list[dict[str, Any]]) -> None:
        if not lines:
            return
        data = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)
        try:
            os.write(fd, data.encode())
            os.fsync(fd)
        except OSError as exc:
            raise AuditError(
                f"the checkpoint log {self.path} could not be written: {exc.strerror}"
            ) from exc
