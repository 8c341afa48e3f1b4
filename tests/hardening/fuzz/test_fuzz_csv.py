"""The CSV reader fuzzed with Hypothesis: whatever the bytes (quotes, NULs and other
control characters, BOMs, bytes that are not UTF-8, huge fields, ragged rows), reading
either refuses the file with a problem or accounts for every data row, good or bad.
It never raises anything but an ``AccordError``, and never drops a row silently.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.errors import AccordError
from accord.ingest.csv_source import inspect_csv

FUZZ = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

HOSTILE = st.sampled_from(
    [
        "",
        '"',
        '""',
        "a,b",
        "line\nbreak",
        "cr\rreturn",
        "\x00",
        "nul\x00inside",
        "\x1b[31m",
        "\ufeff",
        "=cmd|' /C calc'!A0",
        "+1",
        "-1",
        "@SUM(A1)",
        "\u202e",
        "é",
        "x" * 70_000,
        "AB123456C",
        "1961-04-12",
        "12.5",
        # Bytes that are not UTF-8 (written through surrogateescape): \xff, \xc3, \x80\x80.
        "\udcff",
        "caf\udcc3",
        "\udc80\udc80",
    ]
)
VALUE = st.one_of(HOSTILE, st.text(st.characters(exclude_categories=["Cs"]), max_size=20))
NAMES = st.lists(
    st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True), min_size=1, max_size=5, unique=True
)


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[bytes, int]:
    """A CSV file as bytes and the number of data records it holds."""
    names = draw(NAMES)
    rows = draw(
        st.lists(
            st.lists(VALUE, min_size=max(1, len(names) - 1), max_size=len(names) + 1),
            max_size=12,
        )
    )
    buffer = io.StringIO()
    terminator = draw(st.sampled_from(["\n", "\r\n"]))
    # csv.writer quotes a value holding a line break only if the break is in its own
    # terminator: with "\n" alone, "a\rb" would go out bare and be two records.
    quoting = csv.QUOTE_ALL if terminator == "\n" else csv.QUOTE_MINIMAL
    writer = csv.writer(buffer, lineterminator=terminator, quoting=quoting)
    writer.writerow(names)
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8", errors="surrogateescape")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    return data, len(rows)


def read(data: bytes) -> object:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.csv"
        path.write_bytes(data)
        return inspect_csv(path)


@FUZZ
@given(csv_files())
def test_every_row_is_accounted_for_or_the_file_refused(case: tuple[bytes, int]) -> None:
    data, records = case
    try:
        outcome = read(data)
    except AccordError:
        return
    assert outcome.fatal or outcome.total_rows == records, (  # type: ignore[attr-defined]
        outcome.problems  # type: ignore[attr-defined]
    )
    if outcome.fatal:  # type: ignore[attr-defined]
        assert outcome.problems  # type: ignore[attr-defined]
    if outcome.bad_rows:  # type: ignore[attr-defined]
        assert any(p.row is not None for p in outcome.problems)  # type: ignore[attr-defined]


@FUZZ
@given(st.binary(max_size=2_000))
def test_arbitrary_bytes_are_read_or_refused_never_crash(data: bytes) -> None:
    try:
        outcome = read(data)
    except AccordError:
        return
    if outcome.fatal:  # type: ignore[attr-defined]
        assert outcome.problems  # type: ignore[attr-defined]
