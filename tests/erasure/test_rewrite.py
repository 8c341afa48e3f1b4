"""Rewriting a holder's file without the person: their rows go, a joint claimant's cell
naming them is blanked, everyone else stays, and the file is replaced whole."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from accord.services.erasure_holders import erase_from_parquet


def test_the_person_goes_in_any_typed_form_and_no_one_else(tmp_path: Path) -> None:
    path = tmp_path / "caseload.parquet"
    table = pa.table(
        {
            "nino": ["JG103759A", "jg 10 37 59 a", "AB123456C", None],
            "surname": ["Other", "Other", "Else", "Nobody"],
            "joint_claimant_nino": [None, None, "JG-10-37-59-A", "AB123456C"],
            "hours": [16, 16, 30, 0],
        }
    )
    pq.write_table(table, path)
    assert erase_from_parquet(path, "JG103759A") == (2, 1)
    after = pq.read_table(path).to_pylist()
    assert after == [
        {"nino": "AB123456C", "surname": "Else", "joint_claimant_nino": None, "hours": 30},
        {"nino": None, "surname": "Nobody", "joint_claimant_nino": "AB123456C", "hours": 0},
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["caseload.parquet"]  # no temp left
    before = path.stat().st_mtime_ns
    assert erase_from_parquet(path, "JG103759A") == (0, 0)  # again: nothing, untouched
    assert path.stat().st_mtime_ns == before
