"""The fast pseudonymisation path: HMAC-SHA256 over Arrow data, in parallel.

Where the compiled kernel (:mod:`accord.pseudonymise.native`) can be built, it does the
hashing in threads; otherwise the standard-library kernel below runs in processes.

Why not SQL for extracts: HMAC written as DuckDB SQL runs at about 0.85M rows/s on two
cores, because each row builds and hashes two padded blobs. Here each value costs two
copies of precomputed SHA-256 states plus one compression each side (see
:mod:`accord.pseudonymise._kernel`); the strings are read straight from the Arrow
buffers and the hex digests written straight into a new Arrow buffer, so the only
per-value Python work is the kernel itself. ``hashlib`` holds the GIL for short
inputs, so parallelism needs processes, not threads; the workers are fresh
interpreters that import only the standard library (see ``_workers``).

Output is the same on every path: lowercase hex (64 characters, ``pa.string()``) of
the HMAC over the UTF-8 bytes of each value, NULL for NULL. Dictionary-encoded input
is hashed once per distinct dictionary entry and keeps its indices.

Streaming: :func:`pseudonymise_batches` (or :meth:`HmacPool.batches` with a pool you
keep) takes an iterator of record batches and yields them in the same order with the
named columns replaced by pseudonyms. Each column of each batch is cut into tasks of
at most ``task_rows`` values; at most ``max_pending`` tasks are in flight, so memory
stays bounded however long the extract is, and the workers hash ahead while the
caller writes the previous batch. Keys travel to the worker processes this module
starts over their private pipes, never anywhere else.
"""

from __future__ import annotations

import binascii
import os
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import numpy as np
import pyarrow as pa

from accord.errors import ValidationError
from accord.pseudonymise._kernel import DIGEST, hmac_digests
from accord.pseudonymise._workers import WorkerPool
from accord.pseudonymise.native import load as load_native

__all__ = [
    "DEFAULT_PARALLEL_FROM",
    "DEFAULT_TASK_ROWS",
    "HEX_LENGTH",
    "HmacPool",
    "default_processes",
    "hmac_hex",
    "pseudonymise_batches",
]

DEFAULT_TASK_ROWS = 65_536
# About a tenth of a second of hashing on one core: below it, a pool costs more than it saves.
DEFAULT_PARALLEL_FROM = 131_072
HEX_LENGTH = 2 * DIGEST
# A pa.string() array addresses its data with int32 offsets: 64 bytes per value.
_MAX_ROWS_PER_ARRAY = (2**31 - 1) // HEX_LENGTH


def default_processes() -> int:
    """The cores this process may run on (the affinity mask, not the machine's total)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def hmac_hex(values: pa.Array | pa.ChunkedArray, key: bytes) -> pa.Array | pa.ChunkedArray:
    """Pseudonyms of a string array (or chunked array) in this process.

    The single-process path: the same bytes as :func:`hmac.new` with SHA-256, as
    lowercase hex. A chunked array gives a chunked array, chunk for chunk.
    """
    if isinstance(values, pa.ChunkedArray):
        return pa.chunked_array(
            [hmac_hex(chunk, key) for chunk in values.chunks], type=_output_type(values.type)
        )
    if pa.types.is_dictionary(values.type):
        return _with_dictionary(values, hmac_hex(values.dictionary, key))
    pieces = _pieces(values, DEFAULT_TASK_ROWS)
    native = load_native()
    if native is not None:
        return _assemble(
            values, [native.hex_digests(key, data, offsets) for data, offsets in pieces]
        )
    return _assemble(
        values,
        [binascii.hexlify(hmac_digests(key, data, offsets.tolist())) for data, offsets in pieces],
    )


class HmacPool:
    """Worker processes for HMAC, kept across calls.

    Use as a context manager. ``processes=1`` runs everything in the calling process
    with no pool at all. With more, the workers start only once ``parallel_from``
    values have been hashed in-process, so a small extract (a test exchange, an
    eligibility batch) never pays for process start-up. Workers are fresh
    interpreters running only the standard-library kernel (see ``_workers``).
    """

    def __init__(
        self,
        processes: int | None = None,
        *,
        task_rows: int = DEFAULT_TASK_ROWS,
        max_pending: int | None = None,
        parallel_from: int = DEFAULT_PARALLEL_FROM,
        native: bool | None = None,
    ) -> None:
        """``native``: use the compiled kernel in threads (default: where it can be built)."""
        self.processes = default_processes() if processes is None else processes
        if self.processes < 1:
            raise ValidationError("HMAC needs at least one process")
        if task_rows < 1:
            raise ValidationError("task_rows must be positive")
        self.task_rows = task_rows
        self.max_pending = max_pending or 4 * self.processes
        self.parallel_from = parallel_from
        self._inline_rows = 0
        self._executor: WorkerPool | None = None
        # With the compiled kernel, threads do the parallel work: ctypes releases the GIL.
        self._native = load_native() if native is not False else None
        if native and self._native is None:
            raise ValidationError("the compiled HMAC kernel is not available on this machine")
        self._threads: ThreadPoolExecutor | None = None

    @property
    def started(self) -> bool:
        """Whether worker processes are running."""
        return self._executor is not None

    @property
    def native(self) -> bool:
        """Whether the compiled kernel does the hashing (in threads, not processes)."""
        return self._native is not None

    def start(self) -> None:
        """Start the workers now (a benchmark or a long-lived service may want that)."""
        if self._executor is None and self.processes > 1:
            self._executor = WorkerPool(self.processes)

    def __enter__(self) -> HmacPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.close()
            self._executor = None
        if self._threads is not None:
            self._threads.shutdown(wait=True)
            self._threads = None

    def hex(self, values: pa.Array | pa.ChunkedArray, key: bytes) -> pa.Array | pa.ChunkedArray:
        """As :func:`hmac_hex`, with the array's tasks spread over the workers."""
        batch = pa.record_batch({"v": values}) if isinstance(values, pa.Array) else None
        if batch is None:
            assert isinstance(values, pa.ChunkedArray)
            return pa.chunked_array(
                [self.hex(chunk, key) for chunk in values.chunks],
                type=_output_type(values.type),
            )
        (out,) = self.batches([batch], {"v": key})
        return out.column(0)

    def batches(
        self, batches: Iterable[pa.RecordBatch], keys: Mapping[str, bytes]
    ) -> Iterator[pa.RecordBatch]:
        """Yield each batch, in order, with each column in ``keys`` pseudonymised under its key.

        Different columns may use different keys (domains). Finished batches are held
        back only while more than ``max_pending`` tasks of ``task_rows`` values are
        queued, so memory is bounded by that plus the batch being submitted, however
        many batches come.
        """
        if not keys:
            raise ValidationError("name at least one column to pseudonymise")
        pending: deque[_PendingBatch] = deque()
        queued = 0
        for batch in batches:
            job = self._submit(batch, keys)
            pending.append(job)
            queued += job.tasks
            while queued > self.max_pending and pending:
                done = pending.popleft()
                queued -= done.tasks
                yield self._finish(done)
        while pending:
            yield self._finish(pending.popleft())

    # -- internals -----------------------------------------------------------------

    def _submit(self, batch: pa.RecordBatch, keys: Mapping[str, bytes]) -> _PendingBatch:
        columns: dict[str, _PendingColumn] = {}
        tasks = 0
        for name, key in keys.items():
            index = batch.schema.get_field_index(name)
            if index < 0:
                raise ValidationError(f"no column {name!r} to pseudonymise in the batch")
            column = batch.column(index)
            source = column.dictionary if pa.types.is_dictionary(column.type) else column
            work = [
                self._run(key, data, offsets) for data, offsets in _pieces(source, self.task_rows)
            ]
            columns[name] = _PendingColumn(column, source, work)
            tasks += len(work)
        return _PendingBatch(batch, columns, max(tasks, 1))

    def _run(self, key: bytes, data: bytes, offsets: np.ndarray) -> _Work:
        """Hex pseudonyms from the compiled kernel; raw digests from the Python one."""
        if self._native is not None:
            if self.processes == 1:
                return self._native.hex_digests(key, data, offsets)
            if self._threads is None:
                self._threads = ThreadPoolExecutor(self.processes, thread_name_prefix="hmac")
            return self._threads.submit(self._native.hex_digests, key, data, offsets)
        if self._executor is None and self._inline_rows >= self.parallel_from:
            self.start()
        if self._executor is None:
            self._inline_rows += len(offsets) - 1
            return hmac_digests(key, data, offsets.tolist())
        return self._executor.submit(key, data, offsets)

    def _finish(self, job: _PendingBatch) -> pa.RecordBatch:
        batch = job.batch
        for name, pending in job.columns.items():
            done: list[bytes | memoryview] = [
                w.result() if isinstance(w, Future) else w for w in pending.work
            ]
            if self._native is None:
                done = [binascii.hexlify(d) for d in done]
            hashed = _assemble(pending.source, done)
            if pending.source is not pending.column:
                hashed = _with_dictionary(pending.column, hashed)
            index = batch.schema.get_field_index(name)
            field = batch.schema.field(index)
            batch = batch.set_column(index, pa.field(name, hashed.type, field.nullable), hashed)
        return batch


def pseudonymise_batches(
    batches: Iterable[pa.RecordBatch],
    keys: Mapping[str, bytes],
    *,
    processes: int | None = None,
    task_rows: int = DEFAULT_TASK_ROWS,
    max_pending: int | None = None,
    parallel_from: int = DEFAULT_PARALLEL_FROM,
    native: bool | None = None,
) -> Iterator[pa.RecordBatch]:
    """Stream ``batches`` with the columns in ``keys`` replaced by their pseudonyms.

    A pool of ``processes`` workers (default: the usable cores) lives as long as the
    iteration and starts only after the first ``parallel_from`` values; closing the
    generator early stops it. For many short streams, keep an
    :class:`HmacPool` instead.
    """
    with HmacPool(
        processes,
        task_rows=task_rows,
        max_pending=max_pending,
        parallel_from=parallel_from,
        native=native,
    ) as pool:
        yield from pool.batches(batches, keys)


_Work = Future[Any] | bytes | memoryview
"""One task's result, or its future: hex (compiled kernel) or raw digests (Python)."""


@dataclass
class _PendingColumn:
    column: pa.Array
    source: pa.Array
    work: list[_Work]


@dataclass
class _PendingBatch:
    batch: pa.RecordBatch
    columns: dict[str, _PendingColumn]
    tasks: int


def _output_type(input_type: pa.DataType) -> pa.DataType:
    if pa.types.is_dictionary(input_type):
        return pa.dictionary(input_type.index_type, pa.string())
    return pa.string()


def _string_array(values: pa.Array) -> pa.Array:
    """``values`` as pa.string() or pa.large_string(), or a clear refusal."""
    kind = values.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return values
    if pa.types.is_string_view(kind):
        return values.cast(pa.large_string())
    if pa.types.is_null(kind):  # all NULL (e.g. an empty column's inferred type)
        return values.cast(pa.string())
    raise ValidationError(
        f"pseudonymise needs a string column, not {kind}: cast it to text in the plan, "
        "so that how it is written out (and so its pseudonym) is explicit"
    )


def _pieces(values: pa.Array, rows: int) -> list[tuple[bytes, np.ndarray]]:
    """Cut a string array into (data bytes, offsets rebased to 0) of at most ``rows`` each."""
    values = _string_array(values)
    count = len(values)
    if count == 0:
        return []
    _, offsets_buffer, data_buffer = values.buffers()
    width = np.int64 if pa.types.is_large_string(values.type) else np.int32
    offsets = np.frombuffer(
        offsets_buffer, dtype=width, count=count + 1, offset=values.offset * width().itemsize
    )
    data = memoryview(data_buffer) if data_buffer is not None else memoryview(b"")
    pieces = []
    for start in range(0, count, rows):
        part = offsets[start : min(start + rows, count) + 1]
        first, last = int(part[0]), int(part[-1])
        pieces.append((bytes(data[first:last]), part - first))
    return pieces


def _assemble(values: pa.Array, hexed: Sequence[bytes | memoryview]) -> pa.Array:
    """A pa.string() array of the hex pseudonyms, in pieces, with the validity of ``values``."""
    count = len(values)
    if count > _MAX_ROWS_PER_ARRAY:
        raise ValidationError(
            f"an array of {count} values is too long for one string array of pseudonyms; "
            "pass a chunked array or record batches"
        )
    hex_bytes = hexed[0] if len(hexed) == 1 else b"".join(hexed)
    offsets = np.arange(0, HEX_LENGTH * (count + 1), HEX_LENGTH, dtype=np.int32)
    validity: Any = None
    if values.null_count:
        validity = values.is_valid().buffers()[1]
    return pa.StringArray.from_buffers(
        count, pa.py_buffer(offsets), pa.py_buffer(hex_bytes), validity, values.null_count
    )


def _with_dictionary(values: pa.Array, hashed_dictionary: pa.Array) -> pa.Array:
    return pa.DictionaryArray.from_arrays(values.indices, hashed_dictionary)
