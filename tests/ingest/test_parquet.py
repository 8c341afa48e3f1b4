"""Parquet inspection, and the atomic Parquet writer the catalogue commits with."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from accord.core.vocabulary import DataType, SemanticType
from accord.ingest import ProblemCode, inspect_file, write_parquet_atomic


def people() -> pa.Table:
    return pa.table(
        {
            "id": pa.array([1, 2, 3], pa.int32()),
            "nino": ["AB123456C", "BG123456A", None],
            "nhs_number": pa.array([9434765919, 4010232137, 9434765918], pa.int64()),
            "dob": pa.array([dt.date(1980, 1, 2), dt.date(1975, 12, 31), None]),
            "seen": pa.array(
                [dt.datetime(2024, 1, 1, 9, 30)] * 3, pa.timestamp("ns", tz="Europe/London")
            ),
            "amount": pa.array([1.5, 2.25, None], pa.float32()),
            "region": pa.array(["N", "S", "N"]).dictionary_encode(),
        }
    )


def test_types_come_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "people.parquet"
    pq.write_table(people(), path)
    outcome = inspect_file(path)
    types = {spec.name: spec.data_type for spec in outcome.fields}
    assert types == {
        "id": DataType.BIGINT,
        "nino": DataType.VARCHAR,
        "nhs_number": DataType.VARCHAR,  # an identifier: text, though stored as a number
        "dob": DataType.DATE,
        "seen": DataType.TIMESTAMP,
        "amount": DataType.DOUBLE,
        "region": DataType.VARCHAR,
    }
    assert outcome.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    # Row 2 has an unallocated NINO prefix; row 3 a bad NHS check digit. Rows are positions.
    assert [(p.code, p.row, p.column) for p in outcome.problems] == [
        (ProblemCode.INVALID_NINO, 2, "nino"),
        (ProblemCode.INVALID_NHS_NUMBER, 3, "nhs_number"),
    ]
    assert outcome.table is not None
    assert outcome.table.column("id").to_pylist() == [1]
    assert outcome.table.schema.field("seen").type == pa.timestamp("us")
    assert outcome.table.column("seen")[0].as_py() == dt.datetime(2024, 1, 1, 9, 30)
    assert outcome.table.column("nhs_number").to_pylist() == ["9434765919"]
    assert outcome.quarantine is not None
    assert outcome.quarantine.column("_row").to_pylist() == [2, 3]
    assert outcome.quarantine.column("id").to_pylist() == ["2", "3"]


def test_reingest_parses_columns_whose_type_differs(tmp_path: Path) -> None:
    first = tmp_path / "first.parquet"
    pq.write_table(pa.table({"n": [1, 2], "when": [dt.date(2024, 1, 1)] * 2}), first)
    schema = inspect_file(first).fields
    second = tmp_path / "second.parquet"
    pq.write_table(pa.table({"when": ["2024-01-02", "soon"], "n": ["3", "4"]}), second)
    outcome = inspect_file(second, schema=schema)
    assert [(p.code, p.row, p.column) for p in outcome.problems] == [
        (ProblemCode.TYPE_ERROR, 2, "when")
    ]
    assert outcome.table is not None
    assert outcome.table.to_pylist() == [{"n": 3, "when": dt.date(2024, 1, 2)}]


@pytest.mark.parametrize(
    ("table", "code"),
    [
        (pa.table({"tags": [["a"], ["b"]]}), ProblemCode.UNSUPPORTED_TYPE),
        (pa.table({"blob": [b"x", b"y"]}), ProblemCode.UNSUPPORTED_TYPE),
        (
            pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["a", "a"]),
            "duplicate_header",
        ),
        (pa.Table.from_arrays([pa.array([1])], names=[" "]), ProblemCode.EMPTY_HEADER),
    ],
)
def test_file_level_problems_refuse_the_file(tmp_path: Path, table: pa.Table, code: str) -> None:
    path = tmp_path / "odd.parquet"
    pq.write_table(table, path)
    outcome = inspect_file(path)
    assert outcome.fatal
    assert outcome.problems[0].code == code
    assert outcome.table is None


def test_not_parquet_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "fake.parquet"
    path.write_text("id,nino\n1,AB123456C\n")
    outcome = inspect_file(path)
    assert outcome.fatal
    assert outcome.problems[0].code is ProblemCode.UNREADABLE


def test_batches_do_not_change_the_answer(tmp_path: Path) -> None:
    ninos = ["BG123456A" if i % 9 == 0 else "AB123456C" for i in range(100)]
    path = tmp_path / "many.parquet"
    pq.write_table(pa.table({"i": list(range(100)), "nino": ninos}), path, row_group_size=13)
    whole = inspect_file(path)
    batched = inspect_file(path, sample_rows=3, chunk_rows=7)
    assert whole.fields[1].semantic_type is SemanticType.NINO
    assert whole.problems == batched.problems
    assert whole.table == batched.table
    assert whole.quarantine == batched.quarantine
    assert [p.row for p in whole.problems] == [i + 1 for i in range(0, 100, 9)]


def test_write_parquet_atomic_round_trips_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "v1.parquet"
    write_parquet_atomic(people(), target)
    assert pq.read_table(target).num_rows == 3
    assert sorted(os.listdir(tmp_path)) == ["v1.parquet"]
    assert target.stat().st_mode & 0o077 == 0  # personal data: owner-only


def test_a_failed_write_leaves_the_old_file_untouched(tmp_path: Path) -> None:
    target = tmp_path / "v1.parquet"
    write_parquet_atomic(pa.table({"a": [1]}), target)
    before = target.read_bytes()
    with pytest.raises((TypeError, AttributeError, pa.ArrowException)):
        write_parquet_atomic("not a table", target)  # type: ignore[arg-type]
    assert target.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["v1.parquet"]
