"""Property: one defect injected into a generated CSV is found at its row and column, and
no malformed file can be partly committed.

The commit contract the catalogue relies on:

- ``problems`` non-empty => strict mode commits nothing (and a ``fatal`` outcome is
  refused in any mode, with no table to commit);
- lenient mode => ``table`` holds exactly the good rows and ``quarantine`` exactly
  the bad ones, and good + bad = every data row in the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import string
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.core.catalogue import FieldSpec
from accord.core.identifiers import NINO_DISALLOWED_PREFIXES, nhs_check_digit
from accord.ingest import IngestOutcome, ProblemCode, inspect_file

HEADER = ["id", "nino", "nhs_number", "postcode", "name", "start_date"]

ninos = st.from_regex(r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]", fullmatch=True).filter(
    lambda n: n[:2] not in NINO_DISALLOWED_PREFIXES
)


def with_check_digit(first: str) -> str:
    if nhs_check_digit(first) is None:  # remainder 10: any other last digit has a check digit
        first = first[:8] + str((int(first[8]) + 1) % 10)
    return first + str(nhs_check_digit(first))


nhs_numbers = st.from_regex(r"[1-9][0-9]{8}", fullmatch=True).map(with_check_digit)
postcodes = st.sampled_from(["SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "LS1 4AP"])
# Names may hold commas, quotes, newlines and non-ASCII letters: the CSV quotes them.
names = st.text(alphabet=string.ascii_letters + " ,'\"\néøß-", min_size=1, max_size=20)
dates = st.dates(dt.date(1900, 1, 1), dt.date(2030, 12, 31)).map(dt.date.isoformat)


@st.composite
def rows(draw: st.DrawFn) -> list[list[str]]:
    count = draw(st.integers(min_value=3, max_value=25))
    return [
        [str(i + 1), draw(ninos), draw(nhs_numbers), draw(postcodes), draw(names), draw(dates)]
        for i in range(count)
    ]


def encode(header: list[str] | None, records: list[list[str]]) -> tuple[str, list[int]]:
    """The CSV text and the file line each record starts on."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    starts = []
    line = 1
    if header is not None:
        writer.writerow(header)
        line = 2
    for record in records:
        before = out.tell()
        writer.writerow(record)
        starts.append(line)
        line += out.getvalue()[before:].count("\n")
    return out.getvalue(), starts


@dataclass(frozen=True)
class Defect:
    kind: str
    row: int  # index of the damaged record
    column: int  # index of the damaged field


ROW_DEFECTS = ["too_many", "too_few", "bad_byte", "bad_nino", "bad_nhs", "bad_postcode"]
FILE_DEFECTS = ["duplicate_header", "empty_header", "no_header"]

EXPECTED_CODE = {
    "too_many": ProblemCode.RAGGED_ROW,
    "too_few": ProblemCode.RAGGED_ROW,
    "bad_byte": ProblemCode.BAD_ENCODING,
    "bad_nino": ProblemCode.INVALID_NINO,
    "bad_nhs": ProblemCode.INVALID_NHS_NUMBER,
    "bad_postcode": ProblemCode.INVALID_POSTCODE,
    "type_error": ProblemCode.TYPE_ERROR,
    "duplicate_header": ProblemCode.DUPLICATE_HEADER,
    "empty_header": ProblemCode.EMPTY_HEADER,
    "no_header": ProblemCode.MISSING_HEADER,
}
BAD_VALUE = {
    "bad_nino": (1, st.sampled_from(["BG123456A", "AB123456E", "DA123456A", "AO123456B"])),
    "bad_nhs": (2, st.sampled_from(["9434765918", "94347659", "943476591X"])),
    "bad_postcode": (3, st.sampled_from(["QA1 1AA", "SW1A 1AI", "12345", "SW1A"])),
}


def build(
    draw: st.DrawFn, records: list[list[str]], kind: str
) -> tuple[bytes, int, str | None, int]:
    """Inject ``kind``; return the bytes, the expected row and column, and the record hit."""
    header: list[str] | None = list(HEADER)
    at = draw(st.integers(min_value=0, max_value=len(records) - 1))
    column: str | None = None
    marker = "\x00MARK\x00"
    if kind == "too_many":
        records[at] = [*records[at], draw(names)]
    elif kind == "too_few":
        records[at] = records[at][: draw(st.integers(min_value=1, max_value=len(HEADER) - 1))]
    elif kind == "bad_byte":
        index = draw(st.sampled_from([0, 1, 4]))
        column = HEADER[index]
        records[at][index] = records[at][index] + marker
    elif kind in BAD_VALUE:
        index, values = BAD_VALUE[kind]
        column = HEADER[index]
        records[at][index] = draw(values)
    elif kind == "type_error":
        index = draw(st.sampled_from([0, 5]))
        column = HEADER[index]
        records[at][index] = draw(st.sampled_from(["x", "1.5", "2023-02-30", "31/12/2023x"]))
    elif kind == "duplicate_header":
        index = draw(st.integers(min_value=1, max_value=len(HEADER) - 1))
        header[index] = header[0]  # type: ignore[index]
        return encode(header, records)[0].encode(), 1, header[0], at  # type: ignore[index]
    elif kind == "empty_header":
        header[draw(st.integers(min_value=0, max_value=len(HEADER) - 1))] = ""  # type: ignore[index]
        return encode(header, records)[0].encode(), 1, None, at
    elif kind == "no_header":
        return encode(None, records)[0].encode(), 1, None, at
    text, starts = encode(header, records)
    data = text.encode().replace(marker.encode(), b"\xff")
    return data, starts[at], column, at


def check_contract(outcome: IngestOutcome, total: int) -> None:
    """What every outcome promises, whatever the input."""
    if outcome.fatal:
        assert outcome.problems
        assert outcome.table is None
        assert outcome.quarantine is None
        assert outcome.row_count == 0
        return
    assert outcome.table is not None
    assert outcome.table.num_rows == outcome.row_count
    assert outcome.row_count + outcome.bad_rows == total
    if outcome.bad_rows:
        assert outcome.problems
        assert outcome.quarantine is not None
        assert outcome.quarantine.num_rows == outcome.bad_rows
    else:
        assert outcome.quarantine is None


def inspect_bytes(data: bytes, schema: tuple[FieldSpec, ...] | None = None) -> IngestOutcome:
    with TemporaryDirectory() as directory:
        path = Path(directory) / "input.csv"
        path.write_bytes(data)
        return inspect_file(path, schema=schema)


@settings(max_examples=150, deadline=None)
@given(rows())
def test_clean_files_have_no_problems(records: list[list[str]]) -> None:
    outcome = inspect_bytes(encode(HEADER, records)[0].encode())
    check_contract(outcome, len(records))
    assert outcome.ok
    assert outcome.row_count == len(records)
    assert outcome.table is not None
    assert outcome.table.column("id").to_pylist() == [i + 1 for i in range(len(records))]
    assert outcome.table.column("name").to_pylist() == [r[4] or None for r in records]


@pytest.mark.parametrize("kind", [*ROW_DEFECTS, "type_error", *FILE_DEFECTS])
@settings(max_examples=40, deadline=None)
@given(data=st.data(), records=rows())
def test_one_defect_is_found_where_it_was_put(
    kind: str, data: st.DataObject, records: list[list[str]]
) -> None:
    clean = encode(HEADER, records)[0].encode()
    schema = inspect_bytes(clean).fields if kind == "type_error" else None
    ids = [int(record[0]) for record in records]
    damaged, row, column, at = build(data.draw, records, kind)
    outcome = inspect_bytes(damaged, schema)
    check_contract(outcome, len(records))

    assert outcome.problems, "a defect must never pass unreported"
    found = [(p.code, p.row, p.column) for p in outcome.problems]
    assert (EXPECTED_CODE[kind], row, column) in found

    if kind in FILE_DEFECTS:
        assert outcome.fatal
        return
    assert not outcome.fatal
    assert outcome.bad_rows == 1
    assert outcome.row_count == len(records) - 1
    assert outcome.quarantine is not None
    assert outcome.quarantine.column("_row").to_pylist() == [row]
    assert outcome.table is not None
    assert outcome.table.column("id").to_pylist() == ids[:at] + ids[at + 1 :]
