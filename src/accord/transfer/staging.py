"""Files that exist under their final name completely or not at all, even if the process
is killed half way.

On Linux a staged file is an *anonymous* file (``O_TMPFILE``) in the target directory:
it has no name until it is linked into place, so a process killed mid-write leaves
nothing behind for anyone to mistake for data (the kernel frees it). Elsewhere it is a
hidden ``.NAME.partial`` file beside the target, swept by the next :func:`sweep`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from accord.fsutil import fsync_directory

__all__ = ["StagedFile", "staged", "sweep"]

PARTIAL = ".partial"


class StagedFile:
    """A file being written for ``target``; :meth:`publish` gives it the target's name."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self._fd = -1
        self._named: Path | None = None
        directory = target.parent
        anonymous = getattr(os, "O_TMPFILE", 0)
        if anonymous and Path("/proc/self/fd").is_dir():
            with contextlib.suppress(OSError):
                self._fd = os.open(directory, anonymous | os.O_RDWR, 0o600)
        if self._fd < 0:
            self._named = directory / f".{target.name}{PARTIAL}"
            self._fd = os.open(self._named, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)

    @property
    def path(self) -> str:
        """A path that opens this file, for libraries that take paths (pyrage, Arrow), in
        this process or a child it starts."""
        if self._named is not None:
            return str(self._named)
        return f"/proc/{os.getpid()}/fd/{self._fd}"

    def publish(self) -> None:
        """fsync, then give the file its final name (refusing to replace an existing one)."""
        os.fsync(self._fd)
        if self._named is not None:
            os.link(self._named, self.target)
            self._named.unlink()
            self._named = None
        else:
            proc = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.link(str(self._fd), self.target, src_dir_fd=proc, follow_symlinks=True)
            finally:
                os.close(proc)
        fsync_directory(self.target.parent)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self._named is not None:
            self._named.unlink(missing_ok=True)
            self._named = None


@contextlib.contextmanager
def staged(target: Path) -> Iterator[StagedFile]:
    """A staged file for ``target``; discarded on exit unless published."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staged_file = StagedFile(target)
    try:
        yield staged_file
    finally:
        staged_file.close()


def sweep(directory: Path) -> int:
    """Remove ``.partial`` files a killed process left behind (where O_TMPFILE is missing)."""
    if not directory.is_dir():
        return 0
    removed = 0
    for leftover in directory.glob(f".*{PARTIAL}"):
        if leftover.is_file():
            leftover.unlink(missing_ok=True)
            removed += 1
    return removed
