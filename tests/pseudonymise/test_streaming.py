"""The batch stream: order kept, other columns untouched, memory bounded, errors clear."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from accord.errors import AccordError, ValidationError
from accord.pseudonymise._workers import WorkerPool
from accord.pseudonymise.vectorised import (
    HEX_LENGTH,
    HmacPool,
    hmac_hex,
    pseudonymise_batches,
)
from tests.pseudonymise.conftest import reference

KEY_A, KEY_B = b"a" * 32, b"b" * 32


def _batches(count: int, rows: int) -> list[pa.RecordBatch]:
    out = []
    for b in range(count):
        ids = list(range(b * rows, (b + 1) * rows))
        out.append(
            pa.record_batch(
                {
                    "id": pa.array(ids, pa.int64()),
                    "nino": pa.array([None if i % 7 == 0 else f"AB{i:06d}C" for i in ids]),
                    "nhs": pa.array([f"{9_000_000_000 + i}" for i in ids]),
                }
            )
        )
    return out


@pytest.mark.parametrize("native", [False, True])
@pytest.mark.parametrize("processes", [1, 2])
def test_order_and_other_columns_kept_with_a_key_per_column(processes: int, native: bool) -> None:
    batches = _batches(6, 50)
    out = list(
        pseudonymise_batches(
            iter(batches),
            {"nino": KEY_A, "nhs": KEY_B},
            processes=processes,
            task_rows=16,
            parallel_from=0 if processes > 1 else 10**9,
            native=native,
        )
    )
    assert len(out) == len(batches)
    for before, after in zip(batches, out, strict=True):
        assert after.schema.names == ["id", "nino", "nhs"]
        assert after.column("id").equals(before.column("id"))
        assert after.column("nino").to_pylist() == reference(
            KEY_A, before.column("nino").to_pylist()
        )
        assert after.column("nhs").to_pylist() == reference(KEY_B, before.column("nhs").to_pylist())
        assert after.schema.field("nino").type == pa.string()


def test_the_input_is_consumed_lazily(pool: HmacPool) -> None:
    """Memory is bounded: the stream reads only a few batches ahead of its consumer."""
    pulled = 0

    def source() -> Iterator[pa.RecordBatch]:
        nonlocal pulled
        for batch in _batches(40, 6):
            pulled += 1
            yield batch

    stream = pool.batches(source(), {"nino": KEY_A})
    first = next(stream)
    assert first.column("id")[0].as_py() == 0
    # max_pending=4 tasks of 3 rows: a 6-row batch is 2 tasks, so at most 3 are queued.
    assert pulled <= 4
    rest = list(stream)
    assert pulled == 40
    assert len(rest) == 39


def test_closing_the_stream_early_stops_cleanly() -> None:
    stream = pseudonymise_batches(
        iter(_batches(20, 10)), {"nino": KEY_A}, processes=2, task_rows=5, parallel_from=0
    )
    next(stream)
    stream.close()


def test_pool_reuse_and_chunked_arrays(pool: HmacPool) -> None:
    chunked = pa.chunked_array([["a", None], [], ["b" * 100]])
    expected = reference(KEY_A, ["a", None, "b" * 100])
    assert pool.hex(chunked, KEY_A).to_pylist() == expected
    assert hmac_hex(chunked, KEY_A).to_pylist() == expected
    assert pool.hex(pa.array([], pa.string()), KEY_A).to_pylist() == []


def test_output_is_fixed_width_lowercase_hex() -> None:
    out = hmac_hex(pa.array(["AB123456C", "ab123456c"]), KEY_A).to_pylist()
    assert all(len(v) == HEX_LENGTH and v == v.lower() for v in out)
    assert out[0] != out[1]  # no normalisation here: that is the compiler's job


def test_refusals() -> None:
    with pytest.raises(ValidationError, match="string column"):
        hmac_hex(pa.array([1, 2, 3]), KEY_A)
    with pytest.raises(ValidationError, match="no column 'missing'"):
        list(pseudonymise_batches(iter(_batches(1, 3)), {"missing": KEY_A}, processes=1))
    with pytest.raises(ValidationError, match="at least one column"):
        list(pseudonymise_batches(iter(_batches(1, 3)), {}, processes=1))
    with pytest.raises(ValidationError):
        HmacPool(0)


def test_an_all_null_column_stays_null() -> None:
    assert hmac_hex(pa.nulls(3), KEY_A).to_pylist() == [None, None, None]


def test_workers_start_only_past_the_threshold() -> None:
    with HmacPool(2, task_rows=10, parallel_from=25, native=False) as lazy:
        small = list(lazy.batches(_batches(2, 10), {"nino": KEY_A}))
        assert not lazy.started
        large = list(lazy.batches(_batches(3, 10), {"nino": KEY_A}))
        assert lazy.started
    for batch in [*small, *large]:
        expected = reference(
            KEY_A, [None if i % 7 == 0 else f"AB{i:06d}C" for i in batch["id"].to_pylist()]
        )
        assert batch.column("nino").to_pylist() == expected


def test_a_dead_worker_fails_its_tasks_clearly() -> None:
    pool = WorkerPool(1)
    try:
        (pid,) = pool.pids
        offsets = np.array([0, 1, 2], dtype=np.int64)
        assert pool.submit(KEY_A, b"ab", offsets).result(timeout=30) == b"".join(
            bytes.fromhex(h) for h in reference(KEY_A, ["a", "b"]) if h is not None
        )
        os.kill(pid, signal.SIGKILL)
        failure = None
        for _ in range(100):  # the kill lands asynchronously
            try:
                pool.submit(KEY_A, b"ab", offsets).result(timeout=30)
            except AccordError as exc:
                failure = exc
                break
            time.sleep(0.05)
        assert failure is not None
        assert "pseudonymisation worker 0 stopped" in str(failure)
    finally:
        pool.close()


def test_workers_never_hold_the_master_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_MASTER_KEY", "c2VjcmV0")
    pool = WorkerPool(1)
    try:
        (pid,) = pool.pids
        # One answered task: the worker has exec'd (before that, a child's environment
        # is still a copy of the parent's).
        pool.submit(KEY_A, b"a", np.array([0, 1], dtype=np.int64)).result(timeout=30)
        environ = Path(f"/proc/{pid}/environ")
        if not environ.exists():
            pytest.skip("no /proc on this platform")
        assert b"ACCORD_MASTER_KEY" not in environ.read_bytes()
    finally:
        pool.close()
