"""NUL and other control characters are refused in values and names, by row and column.

Tab, CR and LF are legal inside a quoted CSV value (and kept); nothing below U+0020,
nor DEL, is legal in a column name. Parquet string columns follow the CSV rule; a
value is never quoted back in the message (it may be personal data).
"""

from __future__ import annotations

import csv
import io
import string
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.ingest import ProblemCode, inspect_file


def _csv(tmp_path: Path, body: bytes) -> Path:
    path = tmp_path / "in.csv"
    path.write_bytes(body)
    return path


def _only_problem(path: Path) -> tuple[str, int | None, str | None, str]:
    outcome = inspect_file(path)
    assert outcome.fatal
    assert outcome.table is None
    problem = outcome.problems[0]
    return problem.code, problem.row, problem.column, problem.message


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x7f"])
def test_a_control_character_in_a_csv_value_is_refused_by_row_and_column(
    tmp_path: Path, char: str
) -> None:
    body = f"nino,note\nAB123456C,fine\nCE654321A,bad{char}value\n".encode()
    code, row, column, message = _only_problem(_csv(tmp_path, body))
    assert code == ProblemCode.CONTROL_CHARACTER
    assert (row, column) == (3, "note")
    assert f"U+{ord(char):04X}" in message
    assert "bad" not in message


@pytest.mark.parametrize("char", ["\x00", "\t", "\n", "\x0b"])
def test_a_control_character_in_a_csv_header_is_refused(tmp_path: Path, char: str) -> None:
    name = f'"no{char}te"'
    body = f"nino,{name}\nAB123456C,x\n".encode()
    code, row, _, message = _only_problem(_csv(tmp_path, body))
    assert code == ProblemCode.CONTROL_CHARACTER
    assert row == 1
    assert "column 2" in message


def test_a_control_character_in_a_ragged_row_is_refused(tmp_path: Path) -> None:
    body = b"nino,note\nAB123456C,x,extra\x00\n"
    code, row, _, _ = _only_problem(_csv(tmp_path, body))
    assert code == ProblemCode.CONTROL_CHARACTER
    assert row == 2


def test_tab_and_newlines_in_quoted_values_are_kept(tmp_path: Path) -> None:
    body = b'nino,note\nAB123456C,"line one\r\nline\ttwo"\n'
    outcome = inspect_file(_csv(tmp_path, body))
    assert outcome.ok
    assert outcome.table is not None
    assert outcome.table.column("note").to_pylist() == ["line one\r\nline\ttwo"]


@pytest.mark.parametrize("dictionary", [True, False])
def test_nul_in_a_parquet_string_column_is_refused(tmp_path: Path, dictionary: bool) -> None:
    values = pa.array(["ok", "ok", "a\x00b", "ok"])
    table = pa.table(
        {"n": pa.array([1, 2, 3, 4]), "note": values.dictionary_encode() if dictionary else values}
    )
    path = tmp_path / "in.parquet"
    pq.write_table(table, path, use_dictionary=dictionary)
    code, row, column, message = _only_problem(path)
    assert code == ProblemCode.CONTROL_CHARACTER
    assert (row, column) == (3, "note")
    assert "U+0000" in message


def test_a_parquet_binary_column_is_not_text_and_is_refused_as_a_type(tmp_path: Path) -> None:
    path = tmp_path / "in.parquet"
    pq.write_table(pa.table({"blob": pa.array([b"\x00\x01"], pa.binary())}), path)
    code, _, column, _ = _only_problem(path)
    assert code == ProblemCode.UNSUPPORTED_TYPE
    assert column == "blob"


def test_a_control_character_in_a_parquet_column_name_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "in.parquet"
    pq.write_table(pa.table({"no\x00te": ["x"]}), path)
    code, _, _, message = _only_problem(path)
    assert code == ProblemCode.CONTROL_CHARACTER
    assert "column 1" in message


REFUSED = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)]


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.lists(
            st.text(alphabet=string.ascii_letters + string.digits + " ,\"'", max_size=8),
            min_size=3,
            max_size=3,
        ),
        min_size=1,
        max_size=20,
    ),
    data=st.data(),
)
def test_a_control_character_anywhere_is_found_where_it_was_put(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]], data: st.DataObject
) -> None:
    at = data.draw(st.integers(0, len(rows) - 1))
    column = data.draw(st.integers(0, 2))
    char = data.draw(st.sampled_from(REFUSED))
    rows[at][column] = rows[at][column][:2] + char + rows[at][column][2:]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([["a", "b", "c"], *rows])
    path = tmp_path_factory.mktemp("fuzz") / "in.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    code, row, name, message = _only_problem(path)
    assert code == ProblemCode.CONTROL_CHARACTER
    assert (row, name) == (at + 2, "abc"[column])
    assert f"U+{ord(char):04X}" in message
