"""Decompression and decoding bombs are refused by their limits, with memory unchanged.

The attack reproduced: an 821-byte Parquet file whose one column is dictionary-encoded
with a single 1 MiB string repeated by index (it decodes to gigabytes) took the server
from 232 MiB to 2.2 GiB and a MemoryError. Here it is uploaded to a real server by an
authorised data owner; the server runs in this process (a thread), so this process's
resident memory is the server's.
"""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from accord.ingest import ProblemCode, inspect_file
from tests.hardening.uploads.conftest import World, WorldFactory

PARQUET = {"Content-Type": "application/vnd.apache.parquet"}
CSV = {"Content-Type": "text/csv"}
MiB = 1024**2


def _rss() -> int:
    """This process's resident set size in bytes, from /proc."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def parquet_bomb(rows: int, *, dictionary: bool = True) -> bytes:
    """One column of one 1 MiB string repeated ``rows`` times, zstd-compressed."""
    value = pa.array(["x" * MiB])
    column = pa.DictionaryArray.from_arrays(pa.array([0] * rows, pa.int32()), value)
    table = pa.table({"note": column if dictionary else column.dictionary_decode()})
    out = io.BytesIO()
    pq.write_table(table, out, use_dictionary=dictionary, compression="zstd")
    return out.getvalue()


def _refusal(world: World, body: bytes, headers: dict[str, str], name: str = "bomb") -> str:
    """Upload ``body`` as alice; the refusal's message, after checking what it left."""
    with world.client("alice") as client:
        response = client.post(f"/datasets/dwp/{name}", content=body, headers=headers)
    assert response.status_code in (413, 422), response.text
    error = response.json()["error"]
    assert world.stored_uploads() == []
    assert not (world.accord.home / "data" / "dwp" / name).exists()
    assert any(d.startswith("dataset.register:") for d in world.denials("alice"))
    return str(error["message"])


def _warm_up(world: World) -> None:
    """One ordinary Parquet upload, so what the first ingest loads is not counted."""
    table = pa.table({"nino": ["AB123456C"], "note": ["ok"]})
    out = io.BytesIO()
    pq.write_table(table, out)
    with world.client("alice") as client:
        response = client.post("/datasets/dwp/warm", content=out.getvalue(), headers=PARQUET)
    assert response.status_code == 201, response.text


def test_the_821_byte_bomb_is_refused_with_memory_unchanged(world: World) -> None:
    bomb = parquet_bomb(8192)  # 8 GiB once decoded
    assert len(bomb) < 4096
    _warm_up(world)
    before = _rss()
    message = _refusal(world, bomb, PARQUET)
    grown = _rss() - before
    assert grown < 50 * MiB, f"resident memory grew by {grown / MiB:.0f} MiB"
    assert "ACCORD_MAX_VALUE_BYTES" in message
    assert "row 1" in message
    assert "note" in message


def test_a_bomb_of_values_under_the_value_limit_stops_at_the_decoded_limit(
    make_world: WorldFactory,
) -> None:
    """Even with values allowed to be 2 MiB, the decoded total stops it, unexpanded."""
    world = make_world(ACCORD_MAX_VALUE_BYTES=str(2 * MiB), ACCORD_MAX_DECODED_BYTES=str(64 * MiB))
    bomb = parquet_bomb(8192)
    _warm_up(world)
    before = _rss()
    message = _refusal(world, bomb, PARQUET)
    assert _rss() - before < 50 * MiB
    assert "ACCORD_MAX_DECODED_BYTES" in message


def test_a_plainly_encoded_bomb_is_refused_by_its_footer(make_world: WorldFactory) -> None:
    """Without a dictionary, the footer's uncompressed size gives it away before a read."""
    world = make_world(ACCORD_MAX_DECODED_BYTES=str(16 * MiB))
    bomb = parquet_bomb(64, dictionary=False)
    assert len(bomb) < 64 * 1024
    message = _refusal(world, bomb, PARQUET)
    assert "declares" in message
    assert "ACCORD_MAX_DECODED_BYTES" in message


def test_a_footer_declaring_too_many_rows_is_refused(make_world: WorldFactory) -> None:
    world = make_world(ACCORD_MAX_ROWS="1000")
    out = io.BytesIO()
    pq.write_table(pa.table({"n": pa.array(range(1001), pa.int64())}), out)
    message = _refusal(world, out.getvalue(), PARQUET)
    assert "1,001 rows" in message
    assert "ACCORD_MAX_ROWS" in message


@pytest.mark.parametrize("size", [100 * 1024, 1 * MiB])
def test_a_huge_csv_cell_is_refused_naming_the_value_limit(world: World, size: int) -> None:
    body = b"nino,note\nAB123456C,ok\nCE654321A," + b"y" * size + b"\n"
    message = _refusal(world, body, CSV)
    assert "ACCORD_MAX_VALUE_BYTES" in message
    assert "row 3" in message


def test_a_header_of_a_million_columns_is_refused(world: World) -> None:
    header = ",".join(f"c{i}" for i in range(1_000_000)).encode()
    before = _rss()
    message = _refusal(world, header + b"\n", CSV)
    assert "1,000,000 columns" in message
    assert "ACCORD_MAX_COLUMNS" in message
    assert _rss() - before < 200 * MiB


def test_a_row_wider_than_the_column_limit_is_refused(make_world: WorldFactory) -> None:
    world = make_world(ACCORD_MAX_COLUMNS="10")
    body = b"a,b\n1,2\n" + b",".join([b"9"] * 50) + b"\n"
    message = _refusal(world, body, CSV)
    assert "50 fields" in message
    assert "row 3" in message


def test_rows_past_the_row_limit_are_refused(make_world: WorldFactory) -> None:
    world = make_world(ACCORD_MAX_ROWS="10")
    body = b"n\n" + b"".join(f"{i}\n".encode() for i in range(11))
    message = _refusal(world, body, CSV)
    assert "ACCORD_MAX_ROWS" in message
    assert "row 12" in message


def test_a_forged_footer_length_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    """A Parquet footer is parsed whole: one claiming a gigabyte is not parsed at all."""
    path = tmp_path / "forged.parquet"
    path.write_bytes(b"PAR1" + b"\0" * 100 + (2**30).to_bytes(4, "little") + b"PAR1")
    outcome = inspect_file(path)
    assert outcome.fatal
    assert outcome.problems[0].code == ProblemCode.OVER_LIMIT
    assert "1,073,741,824 bytes of metadata" in outcome.problems[0].message
