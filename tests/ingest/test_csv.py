"""CSV inspection: inference, every defect located by file line and column, quarantine."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from accord.core.catalogue import FieldSpec, Problem
from accord.core.vocabulary import Category, DataType, SemanticType
from accord.errors import ValidationError
from accord.ingest import (
    MAX_PROBLEMS_PER_COLUMN,
    IngestOutcome,
    ProblemCode,
    inspect_file,
)

HEADER = "id,nino,nhs_number,postcode,dob,amount\n"
GOOD = [
    "1,AB123456C,9434765919,SW1A 1AA,1980-01-02,12.50\n",
    "2,CE654321D,4010232137,M1 1AE,1975-12-31,3\n",
    "3,JK111111A,943 476 5919,b33 8th,2001-02-28,\n",
]


def write(tmp_path: Path, text: str | bytes, name: str = "data.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8", newline="")
    else:
        path.write_bytes(text)
    return path


def codes(outcome: IngestOutcome) -> list[tuple[str, int | None, str | None]]:
    return [(p.code, p.row, p.column) for p in outcome.problems]


def test_clean_file_is_inferred_and_typed(tmp_path: Path) -> None:
    outcome = inspect_file(write(tmp_path, HEADER + "".join(GOOD)))
    assert outcome.ok
    assert not outcome.fatal
    assert outcome.row_count == 3
    assert outcome.bad_rows == 0
    assert outcome.quarantine is None
    by_name = {spec.name: spec for spec in outcome.fields}
    assert by_name["id"].data_type is DataType.BIGINT
    assert by_name["nino"].semantic_type is SemanticType.NINO
    assert by_name["nino"].category is Category.DIRECT_IDENTIFIER
    assert by_name["nhs_number"].data_type is DataType.VARCHAR
    assert by_name["postcode"].semantic_type is SemanticType.POSTCODE
    assert by_name["dob"].data_type is DataType.DATE
    assert by_name["dob"].semantic_type is SemanticType.DATE_OF_BIRTH
    assert by_name["amount"].data_type is DataType.DOUBLE
    assert not any(spec.confirmed for spec in outcome.fields)
    assert outcome.table is not None
    assert outcome.table.schema.field("dob").type == pa.date32()
    assert outcome.table.column("amount").to_pylist() == [12.5, 3.0, None]
    assert outcome.table.column("dob")[2].as_py() == dt.date(2001, 2, 28)


def test_content_hash_is_sha256_of_the_bytes(tmp_path: Path) -> None:
    import hashlib

    path = write(tmp_path, HEADER + "".join(GOOD))
    outcome = inspect_file(path)
    assert outcome.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert inspect_file(path).content_hash == outcome.content_hash


def test_identifier_problems_name_row_and_column(tmp_path: Path) -> None:
    bad = "4,BG123456A,9434765918,XX1,1980-01-02,1\n"
    outcome = inspect_file(write(tmp_path, HEADER + "".join(GOOD) + bad))
    assert codes(outcome) == [
        (ProblemCode.INVALID_NINO, 5, "nino"),
        (ProblemCode.INVALID_NHS_NUMBER, 5, "nhs_number"),
        (ProblemCode.INVALID_POSTCODE, 5, "postcode"),
    ]
    assert "never allocated" in outcome.problems[0].message
    assert outcome.problems[0].value == "BG123456A"
    # Messages go to refusals and the audit log: they name the rule, never the value.
    assert all(p.value and p.value not in str(p) for p in outcome.problems)
    assert "check digit" in outcome.problems[1].message
    assert not outcome.fatal
    assert outcome.row_count == 3
    assert outcome.bad_rows == 1
    assert outcome.quarantine is not None
    assert outcome.quarantine.to_pylist() == [
        {
            "id": "4",
            "nino": "BG123456A",
            "nhs_number": "9434765918",
            "postcode": "XX1",
            "dob": "1980-01-02",
            "amount": "1",
            "_extra": None,
            "_row": 5,
            "_problems": "nino: invalid_nino; nhs_number: invalid_nhs_number; "
            "postcode: invalid_postcode",
        }
    ]


def test_ragged_rows_are_reported_and_kept_whole(tmp_path: Path) -> None:
    text = HEADER + GOOD[0] + "2,CE654321D,4010232137\n" + GOOD[1] + "9,a,b,c,d,e,f,g\n"
    outcome = inspect_file(write(tmp_path, text))
    assert codes(outcome) == [
        (ProblemCode.RAGGED_ROW, 3, None),
        (ProblemCode.RAGGED_ROW, 5, None),
    ]
    assert "too few fields: expected 6, found 3" in outcome.problems[0].message
    assert "too many fields: expected 6, found 8" in outcome.problems[1].message
    assert outcome.quarantine is not None
    rows = outcome.quarantine.to_pylist()
    assert [row["_row"] for row in rows] == [3, 5]
    assert rows[0]["postcode"] is None
    assert rows[1]["_extra"] == "f,g"
    assert outcome.row_count == 2


def test_bad_bytes_are_located_by_row_and_column(tmp_path: Path) -> None:
    data = (HEADER + GOOD[0]).encode() + b"2,CE65\xff4321D,4010232137,M1 1AE,1975-12-31,3\n"
    data += GOOD[2].encode()
    outcome = inspect_file(write(tmp_path, data))
    assert codes(outcome) == [(ProblemCode.BAD_ENCODING, 3, "nino")]
    assert outcome.problems[0].value == "CE65\\xff4321D"
    assert outcome.quarantine is not None
    assert outcome.quarantine.column("nino").to_pylist() == ["CE65\\xff4321D"]
    assert outcome.row_count == 2


def test_quoted_newlines_keep_line_numbers_true(tmp_path: Path) -> None:
    text = 'id,notes,nino\n1,"two\nlines",AB123456C\n2,plain,AB123456C\n3,"x",BG123456A\n'
    outcome = inspect_file(write(tmp_path, text))
    assert codes(outcome) == [(ProblemCode.INVALID_NINO, 5, "nino")]
    assert outcome.table is not None
    assert outcome.table.column("notes").to_pylist() == ["two\nlines", "plain"]


def test_crlf_bom_and_blank_lines(tmp_path: Path) -> None:
    text = "\ufeffid,nino\r\n1,AB123456C\r\n\r\n2,BG123456A\r\n"
    outcome = inspect_file(write(tmp_path, text))
    assert [spec.name for spec in outcome.fields] == ["id", "nino"]
    assert codes(outcome) == [(ProblemCode.INVALID_NINO, 4, "nino")]


def test_single_column_blank_line_is_a_missing_value(tmp_path: Path) -> None:
    outcome = inspect_file(write(tmp_path, "nino\nAB123456C\n\nCE654321D\n"))
    assert outcome.ok
    assert outcome.table is not None
    assert outcome.table.column("nino").to_pylist() == ["AB123456C", None, "CE654321D"]


@pytest.mark.parametrize(
    ("text", "code", "column"),
    [
        ("", ProblemCode.MISSING_HEADER, None),
        ("\n1,2\n", ProblemCode.MISSING_HEADER, None),
        ("1,AB123456C,9434765919\n2,CE654321D,4010232137\n", ProblemCode.MISSING_HEADER, None),
        ("id,,nino\n1,2,AB123456C\n", ProblemCode.EMPTY_HEADER, None),
        ("id,nino,id\n1,AB123456C,2\n", ProblemCode.DUPLICATE_HEADER, "id"),
        ("id, nino ,nino\n1,AB123456C,2\n", ProblemCode.DUPLICATE_HEADER, "nino"),
    ],
)
def test_header_problems_are_fatal(
    tmp_path: Path, text: str, code: ProblemCode, column: str | None
) -> None:
    outcome = inspect_file(write(tmp_path, text))
    assert outcome.fatal
    assert (outcome.problems[0].code, outcome.problems[0].column) == (code, column)
    assert outcome.table is None
    assert outcome.quarantine is None
    assert outcome.row_count == 0


def test_bad_bytes_in_the_header_are_fatal(tmp_path: Path) -> None:
    outcome = inspect_file(write(tmp_path, b"id,n\xffino\n1,AB123456C\n"))
    assert outcome.fatal
    assert codes(outcome) == [(ProblemCode.UNREADABLE, 1, None)]


def test_unreadable_file_is_fatal(tmp_path: Path) -> None:
    outcome = inspect_file(tmp_path / "missing.csv")
    assert outcome.fatal
    assert outcome.problems[0].code is ProblemCode.UNREADABLE


def test_unsupported_suffix_raises(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="expected a file ending"):
        inspect_file(write(tmp_path, "a\n1\n", name="data.xlsx"))


def test_header_only_file_has_no_rows(tmp_path: Path) -> None:
    outcome = inspect_file(write(tmp_path, "id,nino\n"))
    assert outcome.ok
    assert outcome.row_count == 0
    assert outcome.table is not None
    assert outcome.table.num_rows == 0
    assert [spec.semantic_type for spec in outcome.fields] == [
        SemanticType.OTHER,
        SemanticType.NINO,
    ]


def test_a_stray_value_beyond_the_sample_is_a_type_error(tmp_path: Path) -> None:
    lines = [f"{i},2024-01-{(i % 28) + 1:02d}\n" for i in range(1, 51)]
    lines[39] = "40,not a date\n"
    outcome = inspect_file(write(tmp_path, "n,when\n" + "".join(lines)), sample_rows=10)
    assert [spec.data_type for spec in outcome.fields] == [DataType.BIGINT, DataType.DATE]
    assert codes(outcome) == [(ProblemCode.TYPE_ERROR, 41, "when")]
    assert "yyyy-mm-dd" in outcome.problems[0].message
    assert outcome.row_count == 49


def test_impossible_dates_are_not_dates(tmp_path: Path) -> None:
    lines = "d\n2024-02-29\n2023-02-29\n"
    outcome = inspect_file(write(tmp_path, lines), sample_rows=1)
    assert outcome.fields[0].data_type is DataType.DATE
    assert codes(outcome) == [(ProblemCode.TYPE_ERROR, 3, "d")]


def test_leading_zeros_keep_a_column_as_text(tmp_path: Path) -> None:
    outcome = inspect_file(write(tmp_path, "code\n007\n12\n"))
    assert outcome.fields[0].data_type is DataType.VARCHAR
    assert outcome.table is not None
    assert outcome.table.column("code").to_pylist() == ["007", "12"]


def registered(tmp_path: Path) -> tuple[FieldSpec, ...]:
    return inspect_file(write(tmp_path, HEADER + "".join(GOOD), name="first.csv")).fields


def test_reingest_checks_values_against_the_schema(tmp_path: Path) -> None:
    schema = registered(tmp_path)
    text = "nino,id,nhs_number,postcode,dob,amount\n"  # columns may come in any order
    text += "AB123456C,x1,9434765919,SW1A 1AA,1980-13-01,1\n"
    outcome = inspect_file(write(tmp_path, text), schema=schema)
    assert codes(outcome) == [
        (ProblemCode.TYPE_ERROR, 2, "id"),
        (ProblemCode.TYPE_ERROR, 2, "dob"),
    ]
    assert [spec.name for spec in outcome.fields] == [spec.name for spec in schema]


def test_reingest_with_missing_and_extra_columns_is_fatal(tmp_path: Path) -> None:
    schema = registered(tmp_path)
    text = "id,nino,nhs_number,postcode,dob,surprise\n1,AB123456C,9434765919,M1 1AE,,x\n"
    outcome = inspect_file(write(tmp_path, text), schema=schema)
    assert outcome.fatal
    assert codes(outcome) == [
        (ProblemCode.MISSING_COLUMN, 1, "amount"),
        (ProblemCode.EXTRA_COLUMN, 1, "surprise"),
    ]


def test_required_values_must_be_present(tmp_path: Path) -> None:
    schema = tuple(
        FieldSpec(s.name, s.data_type, s.category, s.semantic_type, nullable=s.name != "nino")
        for s in registered(tmp_path)
    )
    text = HEADER + "1,,9434765919,SW1A 1AA,1980-01-02,1\n"
    outcome = inspect_file(write(tmp_path, text), schema=schema)
    assert codes(outcome) == [(ProblemCode.MISSING_VALUE, 2, "nino")]


def test_overrides_replace_suggestions_and_are_confirmed(tmp_path: Path) -> None:
    text = "ref,label\nAB123456C,9434765919\n"
    outcome = inspect_file(
        write(tmp_path, text),
        overrides={"label": SemanticType.FREE_TEXT, "ref": SemanticType.NINO},
    )
    label = outcome.fields[1]
    assert label.semantic_type is SemanticType.FREE_TEXT
    assert label.confirmed
    assert label.category is Category.PERSONAL
    with pytest.raises(ValidationError, match="nope"):
        inspect_file(write(tmp_path, text), overrides={"nope": SemanticType.NINO})


def test_problems_are_capped_per_column_but_counts_are_complete(tmp_path: Path) -> None:
    bad = 250
    lines = [f"{i},AB123456C\n" for i in range(50)]
    lines += [f"{i},BG123456A\n" for i in range(bad)]
    schema = inspect_file(write(tmp_path, "id,nino\n1,AB123456C\n", name="s.csv")).fields
    outcome = inspect_file(write(tmp_path, "id,nino\n" + "".join(lines)), schema=schema)
    listed = [p for p in outcome.problems if p.code is ProblemCode.INVALID_NINO]
    assert len(listed) == MAX_PROBLEMS_PER_COLUMN
    assert [p.row for p in listed] == list(range(52, 52 + MAX_PROBLEMS_PER_COLUMN))
    assert outcome.problems[-1] == Problem(
        ProblemCode.MORE_PROBLEMS,
        f"{bad - MAX_PROBLEMS_PER_COLUMN:,} more problems not listed",
        column="nino",
    )
    assert outcome.bad_rows == bad
    assert outcome.row_count == 50
    assert outcome.quarantine is not None
    assert outcome.quarantine.num_rows == bad


def test_chunks_do_not_change_the_answer(tmp_path: Path) -> None:
    lines = [f"{i},{'BG123456A' if i % 7 == 0 else 'AB123456C'},x\n" for i in range(1, 200)]
    lines[50] = "51,AB123456C\n"
    path = write(tmp_path, "id,nino,other\n" + "".join(lines))
    whole = inspect_file(path)
    chunked = inspect_file(path, sample_rows=5, chunk_rows=7)
    assert whole.fields == chunked.fields
    assert whole.problems == chunked.problems
    assert whole.table == chunked.table
    assert whole.quarantine == chunked.quarantine
