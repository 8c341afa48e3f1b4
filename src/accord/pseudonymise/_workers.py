"""Worker processes for HMAC: ``python -m accord.pseudonymise._kernel`` over pipes.

Why not :mod:`multiprocessing`: its ``spawn`` and ``forkserver`` workers re-import
the application's main module (a CLI or server that imports DuckDB, pandas, FastAPI:
seconds per worker on a loaded machine; ``forkserver``'s preloading of ``__main__`` is
broken in 3.11), and plain ``fork`` of a process running DuckDB's and Arrow's threads
is unsafe. A worker here is a fresh interpreter that imports only the standard-library
kernel, started in tens of milliseconds.

Each worker has a writer thread (requests, in order) and a reader thread (replies, in
the same order), so transfers overlap the worker's hashing and neither side can block
the other: the worker reads a whole request before it writes its reply, and the reader
drains replies independently of the writer. The threads spend their time in pipe I/O,
which releases the GIL. Keys cross only these private pipes; the workers' environment
has no ``ACCORD_*`` settings, so no worker ever holds the master key.
"""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import sys
import threading
from concurrent.futures import Future
from typing import IO

import numpy as np

from accord.errors import AccordError
from accord.pseudonymise._kernel import DIGEST, REQUEST, read_exact

__all__ = ["WorkerPool"]

_STOP = None


class WorkerPool:
    """``processes`` kernel workers; :meth:`submit` returns a future of the digests."""

    def __init__(self, processes: int) -> None:
        self._workers = [_Worker(index) for index in range(processes)]

    @property
    def pids(self) -> list[int]:
        return [worker.pid for worker in self._workers]

    def submit(self, key: bytes, data: bytes, offsets: np.ndarray) -> Future[bytes]:
        worker = min(self._workers, key=lambda w: w.outstanding)
        return worker.submit(key, data, offsets)

    def close(self) -> None:
        for worker in self._workers:
            worker.close()


class _Worker:
    def __init__(self, index: int) -> None:
        self.index = index
        self.outstanding = 0
        self._lock = threading.Lock()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "accord.pseudonymise._kernel"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=_worker_environment(),
        )
        self._requests: queue.Queue[tuple[Future[bytes], list[bytes]] | None] = queue.Queue()
        self._replies: queue.Queue[tuple[Future[bytes], int] | None] = queue.Queue()
        self._failure: BaseException | None = None
        self._closing = False
        self._writer = threading.Thread(target=self._write, daemon=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._writer.start()
        self._reader.start()

    @property
    def pid(self) -> int:
        return self._process.pid

    def submit(self, key: bytes, data: bytes, offsets: np.ndarray) -> Future[bytes]:
        future: Future[bytes] = Future()
        if self._failure is not None:
            future.set_exception(self._error(self._failure))
            return future
        count = len(offsets) - 1
        header = REQUEST.pack(len(key), count, len(data))
        with self._lock:
            self.outstanding += 1
        future.add_done_callback(self._done)
        self._requests.put((future, [header, key, offsets.astype("<i8").tobytes(), data]))
        return future

    def _done(self, _: Future[bytes]) -> None:
        with self._lock:
            self.outstanding -= 1

    def _write(self) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        while (item := self._requests.get()) is not _STOP:
            future, parts = item
            if self._closing:
                future.set_exception(AccordError("the pseudonymisation pool was closed"))
                continue
            self._replies.put((future, REQUEST.unpack(parts[0])[1] * DIGEST))
            if self._failure is not None:
                continue  # the reader fails it with the cause
            try:
                for part in parts:
                    stdin.write(part)
                stdin.flush()
            except OSError as exc:  # the worker died
                self._failure = self._failure or exc
        self._replies.put(_STOP)
        _close(stdin)

    def _read(self) -> None:
        stdout = self._process.stdout
        assert stdout is not None
        while (item := self._replies.get()) is not _STOP:
            future, size = item
            if self._failure is None:
                try:
                    future.set_result(read_exact(stdout, size))
                    continue
                except (OSError, EOFError) as exc:
                    self._failure = exc
            future.set_exception(self._error(self._failure))
        _close(stdout)

    def _error(self, cause: BaseException) -> AccordError:
        error = AccordError(
            f"pseudonymisation worker {self.index} stopped "
            f"(exit code {self._process.poll()}): {cause}"
        )
        error.__cause__ = cause
        return error

    def close(self) -> None:
        """Stop: requests not yet sent fail, the worker finishes what it has, then exits."""
        self._closing = True
        self._requests.put(_STOP)
        self._writer.join()
        self._reader.join()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def _worker_environment() -> dict[str, str]:
    """The parent's environment without Accord's settings: a worker needs none of them,
    and in particular never the master key (ACCORD_MASTER_KEY)."""
    return {name: value for name, value in os.environ.items() if not name.startswith("ACCORD_")}


def _close(stream: IO[bytes]) -> None:
    with contextlib.suppress(OSError):  # a dead worker's pipe may refuse the final flush
        stream.close()
