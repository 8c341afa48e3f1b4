"""One bounded way to run a caller's work on an engine: memory, threads, time, slots.

Every DuckDB connection that runs a caller's query, extract, check, aggregate, linkage
or change-file read is opened by :func:`bounded_duckdb`, which sets

- ``memory_limit`` (``ACCORD_QUERY_MEMORY``): DuckDB's limit is per *database
  instance*, and each in-memory connection is its own instance, so the limit is per
  query; a DuckDB file opened read-only is one instance shared by the queries on it;
- ``threads`` (``ACCORD_QUERY_THREADS``);
- spilling: off by default (``temp_directory`` empty), because spilled pages are
  unencrypted personal data that no agreement governs, and DuckDB would otherwise
  spill an in-memory database into ``.tmp`` in the working directory. With
  ``ACCORD_QUERY_TEMP_BYTES`` above 0 it spills to a directory of its own under
  ``ACCORD_HOME/tmp/spill``, capped by ``max_temp_directory_size`` and removed at close;
- ``preserve_insertion_order = false``: releases promise no row order (an ORDER BY in a
  caller's query still holds), and keeping it costs memory;
- a wall-clock limit (``ACCORD_QUERY_SECONDS``): DuckDB has no statement timeout, so a
  timer thread calls ``connection.interrupt()``.

and, unless told otherwise, holds one of ``ACCORD_MAX_CONCURRENT_QUERIES`` process-wide
slots for as long as the connection is open; a caller who finds every slot busy waits
``ACCORD_QUERY_WAIT_SECONDS`` and is then answered :class:`~accord.errors.RateLimited`
(429 with ``Retry-After``). PostgreSQL sessions take the same slots through
:func:`query_slot` and bound themselves with :func:`postgres_session_settings`.

DuckDB's ``OutOfMemoryException`` and ``InterruptException`` become
:class:`~accord.errors.LimitExceeded` naming the limit and its setting (see
:func:`translate`); the release path audits them as failures like any engine error.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from accord.errors import LimitExceeded, RateLimited
from accord.settings import Settings, load_settings

__all__ = [
    "QueryLimits",
    "bounded_duckdb",
    "configure",
    "memory_exceeded",
    "postgres_session_settings",
    "query_limits",
    "query_slot",
    "time_exceeded",
    "translate",
]


def _human(size: int) -> str:
    for unit, factor in (("GB", 1000**3), ("MB", 1000**2), ("KB", 1000)):
        if size >= factor:
            return f"{size / factor:g} {unit}"
    return f"{size} bytes"


@dataclass(frozen=True, slots=True)
class QueryLimits:
    """The limits every query and extract runs within; see the settings of the same names."""

    memory_bytes: int = 1_000_000_000
    threads: int = 2
    seconds: float = 120.0
    temp_bytes: int = 0
    max_concurrent: int = 4
    wait_seconds: float = 2.0
    home: Path | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> QueryLimits:
        return cls(
            memory_bytes=settings.query_memory_bytes,
            threads=settings.query_threads,
            seconds=float(settings.query_seconds),
            temp_bytes=settings.query_temp_bytes,
            max_concurrent=settings.max_concurrent_queries,
            wait_seconds=float(settings.query_wait_seconds),
            home=settings.home,
        )

    @property
    def memory(self) -> str:
        return _human(self.memory_bytes)


class _Process:
    """The process's configured limits and its query slots (one per process)."""

    def __init__(self) -> None:
        self.limits: QueryLimits | None = None
        self.slots: tuple[int, threading.BoundedSemaphore] | None = None
        self.lock = threading.Lock()


_process = _Process()
_held = threading.local()


def configure(limits: QueryLimits | None) -> None:
    """Set the process's limits (the API does at start-up); None reads the settings again."""
    _process.limits = limits


def query_limits() -> QueryLimits:
    """The configured limits, else those of the environment's settings."""
    configured = _process.limits
    return configured if configured is not None else QueryLimits.from_settings(load_settings())


def _semaphore(size: int) -> threading.BoundedSemaphore:
    """The process's slots, remade only when their number is changed by configuration."""
    with _process.lock:
        if _process.slots is None or _process.slots[0] != size:
            _process.slots = (size, threading.BoundedSemaphore(size))
        return _process.slots[1]


class _Slot:
    __slots__ = ("released",)

    def __init__(self) -> None:
        self.released = False


@contextmanager
def query_slot(limits: QueryLimits | None = None, *, what: str = "query") -> Iterator[None]:
    """Hold one of the process's query slots; 429 when none frees up in time.

    A thread that already holds a slot (a query materialising the views it reads, say)
    is not made to wait for a second one, which could never come if every holder did
    the same.
    """
    limits = limits or query_limits()
    mine: _Slot | None = getattr(_held, "slot", None)
    if mine is not None and not mine.released:
        yield
        return
    semaphore = _semaphore(limits.max_concurrent)
    if not semaphore.acquire(timeout=limits.wait_seconds):
        raise RateLimited(
            f"the server is running as many queries as it may "
            f"({limits.max_concurrent}, ACCORD_MAX_CONCURRENT_QUERIES); this {what} was not "
            f"started: try again shortly",
            retry_after=max(1.0, limits.wait_seconds),
        )
    slot = _Slot()
    _held.slot = slot
    try:
        yield
    finally:
        slot.released = True
        semaphore.release()


def memory_exceeded(limits: QueryLimits, what: str = "query") -> LimitExceeded:
    return LimitExceeded(
        f"the {what} needed more than {limits.memory} of memory (ACCORD_QUERY_MEMORY) and "
        "was stopped: select fewer rows or columns, or aggregate first",
        limit="ACCORD_QUERY_MEMORY",
    )


def time_exceeded(seconds: float, what: str = "query") -> LimitExceeded:
    return LimitExceeded(
        f"the {what} ran past its {seconds:g} second limit (ACCORD_QUERY_SECONDS) and was stopped",
        limit="ACCORD_QUERY_SECONDS",
    )


def _spill_exceeded(limits: QueryLimits, what: str) -> LimitExceeded:
    return LimitExceeded(
        f"the {what} needed more than {_human(limits.temp_bytes)} of spill space on disk "
        "(ACCORD_QUERY_TEMP_BYTES) and was stopped",
        limit="ACCORD_QUERY_TEMP_BYTES",
    )


class _Timer:
    """Interrupts a connection once ``seconds`` have passed, and remembers that it did."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, seconds: float) -> None:
        self.fired = False
        self.seconds = seconds
        self._connection = connection
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        self._connection.interrupt()

    def cancel(self) -> None:
        self._timer.cancel()


def translate(
    exc: BaseException, limits: QueryLimits, *, timed_out: bool = False, what: str = "query"
) -> LimitExceeded | None:
    """The clear limit error a DuckDB exception means, or None if it is another failure.

    Rows streamed through Arrow surface DuckDB's errors as a plain ``OSError`` (saying
    ``INTERRUPT Error: Interrupted!``), so those are read by their text.
    """
    text = str(exc)
    streamed = isinstance(exc, pa.ArrowException | OSError)
    if isinstance(exc, duckdb.OutOfMemoryException) or (streamed and "Out of Memory" in text):
        if "max_temp_directory_size" in text:
            return _spill_exceeded(limits, what)
        return memory_exceeded(limits, what)
    interrupted = "interrupt" in text.lower()
    if isinstance(exc, duckdb.InterruptException) or (
        (timed_out or streamed)
        and interrupted
        and isinstance(exc, duckdb.Error | pa.ArrowException | OSError)
    ):
        return time_exceeded(limits.seconds, what)
    return None


@contextmanager
def bounded_duckdb(
    database: str | Path = ":memory:",
    *,
    read_only: bool = False,
    limits: QueryLimits | None = None,
    seconds: float | None = None,
    slot: bool = True,
    timed: bool = True,
    spill_to: Path | None = None,
    what: str = "query",
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection within the limits, closed (and its spill removed) on exit.

    ``seconds`` lowers the time limit for this connection (never raises it); ``slot``
    False opens it without a concurrency slot, for work that is not a caller's query
    (a linkage job, whose connection lives as long as the job), and ``timed`` False
    without the wall-clock limit. ``spill_to`` is a directory the caller owns and
    removes, for work that must be able to spill (linkage at scale); it is capped by
    ``ACCORD_QUERY_TEMP_BYTES`` when that is set. DuckDB errors raised inside the block
    that mean a limit was reached leave it as :class:`~accord.errors.LimitExceeded`.
    """
    limits = limits or query_limits()
    if seconds is not None:
        limits = QueryLimits(
            memory_bytes=limits.memory_bytes,
            threads=limits.threads,
            seconds=min(seconds, limits.seconds),
            temp_bytes=limits.temp_bytes,
            max_concurrent=limits.max_concurrent,
            wait_seconds=limits.wait_seconds,
            home=limits.home,
        )
    with query_slot(limits, what=what) if slot else _nothing():
        spill: Path | None = None
        config: dict[str, Any] = {
            "memory_limit": f"{limits.memory_bytes}B",
            "threads": limits.threads,
            "preserve_insertion_order": False,
        }
        if spill_to is not None:
            config["temp_directory"] = str(spill_to)
            if limits.temp_bytes > 0:
                config["max_temp_directory_size"] = f"{limits.temp_bytes}B"
        elif limits.temp_bytes > 0 and limits.home is not None:
            root = limits.home / "tmp" / "spill"
            root.mkdir(parents=True, exist_ok=True, mode=0o700)
            spill = Path(tempfile.mkdtemp(prefix="query-", dir=root))
            config["temp_directory"] = str(spill)
            config["max_temp_directory_size"] = f"{limits.temp_bytes}B"
        else:
            config["temp_directory"] = ""
            config["max_temp_directory_size"] = "0B"
        try:
            connection = duckdb.connect(str(database), read_only=read_only, config=config)
        except duckdb.Error:
            if spill is not None:
                shutil.rmtree(spill, ignore_errors=True)
            raise
        timer = _Timer(connection, limits.seconds) if timed else None
        try:
            yield connection
        except (duckdb.Error, pa.ArrowException, OSError) as exc:
            fired = timer is not None and timer.fired
            limited = translate(exc, limits, timed_out=fired, what=what)
            if limited is not None:
                raise limited from exc
            raise
        finally:
            if timer is not None:
                timer.cancel()
            connection.close()
            if spill is not None:
                shutil.rmtree(spill, ignore_errors=True)


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def postgres_session_settings(limits: QueryLimits | None = None) -> dict[str, str]:
    """What a PostgreSQL session running a plan sets for itself, with ``SET LOCAL``.

    ``statement_timeout`` and ``work_mem`` are settable by any role. ``work_mem`` bounds
    each sort or hash of the plan, not the session, so a plan of several uses a few
    times it. ``temp_file_limit`` may only be set by a superuser, which Accord's role
    should not be: set it on the server or the role (``ALTER ROLE accord SET
    temp_file_limit = '1GB'``) as docs/limits-queries.md says.
    """
    limits = limits or query_limits()
    work_mem_kb = max(64, min(limits.memory_bytes // 1024, 2_000_000))
    return {
        "statement_timeout": f"{int(limits.seconds * 1000)}",
        "work_mem": f"{work_mem_kb}kB",
    }
