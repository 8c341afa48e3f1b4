"""The compiled HMAC kernel (``hmac_native.c``), built on first use and loaded with ctypes.

Why: a per-value Python loop tops out near 1.5M HMACs a second on one core, and
``hashlib`` keeps the GIL for short inputs, so threads do not help it. The C kernel
does the same two compressions per value without Python in the loop, and ctypes
releases the GIL while it runs, so plain threads use every core. It is compiled from
the source shipped with the package by the system's C compiler into a per-user cache
(``$XDG_CACHE_HOME/accord``), keyed by the source's hash; where there is no compiler,
or ``ACCORD_NATIVE=0``, :func:`load` returns None and the Python kernel is used. Both
are tested to give exactly what :func:`hmac.new` gives.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np

from accord.pseudonymise._kernel import DIGEST, pads

__all__ = ["NativeHmac", "load"]

SOURCE = Path(__file__).with_name("hmac_native.c")


class NativeHmac:
    def __init__(self, library: ctypes.CDLL) -> None:
        hexed = library.accord_hmac_sha256_hex_many
        hexed.restype = None
        hexed.argtypes = [
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_void_p,
            ctypes.c_int64,
            ctypes.c_void_p,
        ]
        self._hex_function = hexed
        verify = library.accord_verify_chain
        verify.restype = ctypes.c_int64
        verify.argtypes = [
            ctypes.c_char_p,
            ctypes.c_void_p,
            ctypes.c_int64,
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_int64,
        ]
        self._verify = verify

    def first_unsound(
        self, payloads: bytes, offsets: np.ndarray, hashes: bytes, prev: bytes, separators: int
    ) -> int:
        """Index of the first record of an audit run that fails its checks, or -1.

        See ``accord_verify_chain`` in hmac_native.c and :func:`accord.core.audit.verify_chain`,
        whose exact checks this repeats without Python in the loop.
        """
        positions = np.ascontiguousarray(offsets, dtype=np.int64)
        count = len(positions) - 1
        if len(hashes) != 64 * count or len(prev) != 64:
            return 0
        return int(self._verify(payloads, positions.ctypes.data, count, hashes, prev, separators))

    def hex_digests(self, key: bytes, data: bytes, offsets: np.ndarray) -> memoryview:
        """The HMACs of ``data[offsets[i]:offsets[i + 1]]`` in lowercase hex, concatenated:
        64 bytes a value, ready to be the pseudonyms.

        A view of a new array, not bytes, so Arrow can take the memory without a copy.
        """
        ipad, opad = pads(key)
        positions = np.ascontiguousarray(offsets, dtype=np.int64)
        count = len(positions) - 1
        out = np.empty(2 * DIGEST * max(count, 0), dtype=np.uint8)
        if count > 0:
            self._hex_function(ipad, opad, data, positions.ctypes.data, count, out.ctypes.data)
        return out.data


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "accord"


def _build(target: Path) -> bool:
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        built = Path(work) / target.name
        result = subprocess.run(  # noqa: S603 - a fixed argv: the compiler and our own source
            [compiler, "-O3", "-shared", "-fPIC", "-o", str(built), str(SOURCE)],
            capture_output=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0 or not built.exists():
            return False
        os.replace(built, target)
    return True


class _Once:
    """Build and load at most once per process, whichever thread asks first."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tried = False
        self.kernel: NativeHmac | None = None

    def __call__(self) -> NativeHmac | None:
        with self.lock:
            if not self.tried:
                self.tried = True
                self.kernel = _load()
            return self.kernel


def _load() -> NativeHmac | None:
    if os.environ.get("ACCORD_NATIVE", "1") == "0":
        return None
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]
    tag = f"{sys.implementation.cache_tag}-{sys.platform}"
    target = _cache_dir() / f"hmac-{digest}-{tag}.so"
    try:
        if not target.exists() and not _build(target):
            return None
        return NativeHmac(ctypes.CDLL(str(target)))
    except (OSError, subprocess.SubprocessError):
        return None


load = _Once()
"""The kernel, compiled once per source version; None where it cannot be had."""
