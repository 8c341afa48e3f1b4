"""Atomic file writes: a reader sees the old file or the new one, never half of either.

Every temporary file or directory Accord makes carries the prefix :data:`TEMP_PREFIX`,
so that one killed mid-write (holding partial personal data) is recognised and removed
by :func:`sweep_temp` when Accord next starts. A write that fails for want of space or
permission becomes a :class:`~accord.errors.StorageError` naming the path, after the
temporary file is removed, never a raw ``OSError``.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from accord.errors import StorageError

__all__ = [
    "PRIVATE_DIR",
    "PRIVATE_FILE",
    "TEMP_PREFIX",
    "atomic_path",
    "fsync_directory",
    "private_tempdir",
    "sha256_file",
    "storage_error",
    "sweep_temp",
    "translating_storage_errors",
    "write_atomic",
]

TEMP_PREFIX = ".accord-tmp-"
"""The name every temporary file and directory Accord creates starts with."""

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700

_STORAGE_ERRNOS = {
    errno.ENOSPC: "the disk is full: free space on it (or move ACCORD_HOME), then retry",
    errno.EDQUOT: "the disk quota is used up: free space or raise the quota, then retry",
    errno.EFBIG: "the file is larger than this system lets the process write: raise the "
    "file size limit (ulimit -f), then retry",
    errno.EROFS: "the file system is read-only: remount it writable, then retry",
    errno.EACCES: "Accord may not write there: give the user running Accord write access",
    errno.EPERM: "Accord may not write there: give the user running Accord write access",
}
_MESSAGES = {
    "no space left on device": errno.ENOSPC,
    "disk quota exceeded": errno.EDQUOT,
    "file too large": errno.EFBIG,
    "read-only file system": errno.EROFS,
    "permission denied": errno.EACCES,
}


def _storage_errno(exc: BaseException) -> int | None:
    """The errno of a storage failure, also when a library (pyarrow, DuckDB) reworded it."""
    number = getattr(exc, "errno", None)
    if isinstance(number, int) and number in _STORAGE_ERRNOS:
        return number
    text = str(exc).lower()
    return next((n for phrase, n in _MESSAGES.items() if phrase in text), None)


def storage_error(exc: BaseException, path: Path | str) -> StorageError | None:
    """The :class:`StorageError` for ``exc`` if it is a failure to write for want of
    space or permission; None for anything else, which the caller lets through."""
    number = _storage_errno(exc)
    if number is None:
        return None
    fix = _STORAGE_ERRNOS[number]
    return StorageError(
        f"could not write {path}: {os.strerror(number)}; {fix}. Nothing was half-written.",
        details={"path": str(path), "errno": errno.errorcode.get(number, str(number))},
    )


@contextmanager
def translating_storage_errors(path: Path | str) -> Iterator[None]:
    """Turn a full disk or a refused write inside the block into a :class:`StorageError`."""
    try:
        yield
    except StorageError:
        raise
    except Exception as exc:
        translated = storage_error(exc, path)
        if translated is None:
            raise
        raise translated from exc


def sha256_file(path: Path) -> str:
    """The hex SHA-256 of a file's bytes, read in blocks (never the whole file at once)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_path(target: Path, mode: int = PRIVATE_FILE) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success fsync it and rename it over.

    On an exception the temporary file is removed and ``target`` is untouched; a full
    disk or a refused write (in the block or here) is raised as a :class:`StorageError`
    naming ``target``. Files are private to Accord's user unless ``mode`` says otherwise.
    """
    with translating_storage_errors(target):
        target.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=target.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            yield tmp
            os.chmod(tmp, mode)
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, target)
            fsync_directory(target.parent)
        finally:
            tmp.unlink(missing_ok=True)


def write_atomic(target: Path, data: bytes, mode: int = PRIVATE_FILE) -> None:
    with atomic_path(target, mode) as tmp:
        tmp.write_bytes(data)


def private_tempdir(parent: Path, label: str) -> Path:
    """A new private (0700) temporary directory under ``parent``, swept if left behind."""
    with translating_storage_errors(parent):
        parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{label}-", dir=parent))


TRANSIENT_DIRS = ("uploads",)
"""Directories of the home whose every entry is a request's temporary file."""


def sweep_temp(root: Path, *, grace_seconds: float, now: float | None = None) -> int:
    """Remove temporary files and directories under ``root`` older than the grace period.

    They are what a killed write left behind: partial, possibly personal, data that no
    reader will ever look for (names starting :data:`TEMP_PREFIX`, and anything in the
    home's :data:`TRANSIENT_DIRS`). The grace period spares those a live process (an
    ingest in another command, say) is still writing: a file being written has a fresh
    modification time. Returns how many were removed.
    """
    cutoff = (time.time() if now is None else now) - grace_seconds
    transient = {root / name for name in TRANSIENT_DIRS}
    removed = 0
    for directory, dirnames, filenames in os.walk(root):
        for name in [*filenames, *dirnames]:
            if not name.startswith(TEMP_PREFIX) and Path(directory) not in transient:
                continue
            path = Path(directory) / name
            try:
                if path.lstat().st_mtime > cutoff:
                    continue
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
            except FileNotFoundError:
                continue  # removed by its own writer meanwhile
            removed += 1
        dirnames[:] = [
            d
            for d in dirnames
            if not d.startswith(TEMP_PREFIX) and Path(directory) not in transient
        ]
    return removed
