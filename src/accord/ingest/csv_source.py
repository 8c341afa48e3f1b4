"""Read a CSV file as a stream of chunks, locating every defect by file line and column.

The file is read twice. The first pass hashes its bytes and checks they are UTF-8,
in C, a block at a time. The second parses it with the ``csv`` module (so a quoted
field may hold commas and newlines) over a text stream that maps undecodable bytes to
lone surrogates rather than failing: a bad byte then costs one row, which is
reported and quarantined, instead of the whole file. Only when the first pass found
bad bytes does the second look for them row by row.

Row numbers are file lines, the header being line 1; a record whose quoted field
spans lines is numbered by the line it starts on. Blank lines are skipped in files
of more than one column (they hold no data, so nothing is lost); in a one-column file
a blank line is a missing value.

The file is read within :class:`~accord.ingest.limits.ReadLimits`: its size bounds the
decoded bytes (CSV is not compressed), the header and every row the columns, each
record the value size and each chunk its Python strings (a chunk ends at a row count
or a character budget, whichever comes first, so a wide or heavy file is checked in
smaller chunks). Control characters are refused in header names and values alike.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from accord.core.catalogue import FieldSpec, Problem
from accord.core.vocabulary import DataType, SemanticType
from accord.ingest.explain import shorten
from accord.ingest.fields import apply_overrides, suggest_fields
from accord.ingest.identifier_checks import nhs_number_valid, nino_valid, postcode_valid
from accord.ingest.limits import (
    CONTROL_IN_NAME,
    CONTROL_IN_VALUE,
    ReadLimits,
    control_problem,
    first_control,
    over_limit,
)
from accord.ingest.outcome import IngestOutcome, ProblemCode, ProblemLog
from accord.ingest.parsing import infer_data_type, null_empty, parse
from accord.ingest.validator import RowValidator

__all__ = ["DEFAULT_CHUNK_ROWS", "DEFAULT_SAMPLE_ROWS", "inspect_csv"]

DEFAULT_SAMPLE_ROWS = 20_480
"""Leading non-empty values per column used to infer types: DuckDB's default sample."""
DEFAULT_CHUNK_ROWS = 100_000
"""Rows checked per vectorised pass: large enough to amortise the kernels, small
enough that a chunk's Python strings stay in the tens of megabytes."""

_BLOCK = 1 << 20
_CHUNK_CELLS = 4_000_000
"""Cells held as Python strings at once, whatever the width: about 200 MB at most."""
_CHUNK_CHARS = 64 * 1024**2
"""Characters held as Python strings at once, whatever the values' sizes."""
_CONTROL = re.compile(CONTROL_IN_VALUE)
_SURROGATE = re.compile("[\udc80-\udcff]")


def _hash_and_check(path: Path) -> tuple[str, bool]:
    """SHA-256 of the file's bytes, and whether they are all valid UTF-8."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    valid = True
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
            if valid:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    valid = False
        if valid:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                valid = False
    return digest.hexdigest(), valid


def _visible(value: str) -> str:
    """Text with undecodable bytes shown as ``\\xNN``, so the quarantine can hold it."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _fatal(fields: tuple[FieldSpec, ...], digest: str, log: ProblemLog) -> IngestOutcome:
    return IngestOutcome(
        fields=fields,
        table=None,
        row_count=0,
        content_hash=digest,
        problems=log.problems(),
        fatal=True,
        quarantine=None,
        bad_rows=0,
    )


def _looks_like_data(names: Sequence[str]) -> str | None:
    """A header cell that is a value, not a name: the file probably has no header.

    Column names are never NINOs, NHS numbers, postcodes or dates; and a row of
    nothing but numbers or true/false is data. The answer is the telltale cell.
    """
    cells = pa.array(list(names), type=pa.string())
    for check in (nino_valid, nhs_number_valid, postcode_valid):
        hits = check(cells).to_pylist()
        if any(hits):
            return str(names[hits.index(True)])
    for data_type in (DataType.DATE, DataType.TIMESTAMP):
        _, bad = parse(cells, data_type)
        if not bad.all():
            return names[int(np.flatnonzero(~bad)[0])]
    for data_type in (DataType.BIGINT, DataType.DOUBLE, DataType.BOOLEAN):
        _, bad = parse(cells, data_type)
        if not bad.any():
            return names[0]
    return None


def _check_header(
    header: list[str] | None,
    schema: Sequence[FieldSpec] | None,
    log: ProblemLog,
    limits: ReadLimits,
) -> list[str]:
    """The column names, after logging every file-level problem with them."""
    if not header or header == [""]:
        log.add(Problem(ProblemCode.MISSING_HEADER, "the file has no header row", row=1))
        return []
    if len(header) > limits.max_columns:
        log.add(over_limit(limits, "max_columns", f"the header has {len(header):,} columns", row=1))
        return []
    if any(_SURROGATE.search(name) for name in header):
        log.add(Problem(ProblemCode.UNREADABLE, "the header row is not valid UTF-8", row=1))
        return []
    names = [name.strip() for name in header]
    if names[0].startswith("\ufeff"):
        names[0] = names[0][1:].strip()
    if (cell := _looks_like_data(names)) is not None:
        log.add(
            Problem(
                ProblemCode.MISSING_HEADER,
                "row 1 looks like data, not column names (a cell holds a value, kept in .value)",
                row=1,
                value=shorten(cell),
            )
        )
        return names
    if (bad := first_control(pa.array(header, pa.string()), CONTROL_IN_NAME)) is not None:
        log.add(
            control_problem(
                header[bad],
                row=1,
                column=None,
                where=f"the name of column {bad + 1}",
                pattern=CONTROL_IN_NAME,
            )
        )
        return []
    first_seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if not name:
            log.add(Problem(ProblemCode.EMPTY_HEADER, f"column {position} has no name", row=1))
        elif name in first_seen:
            log.add(
                Problem(
                    ProblemCode.DUPLICATE_HEADER,
                    f"column {position} repeats the name of column {first_seen[name]}",
                    row=1,
                    column=name,
                )
            )
        else:
            first_seen[name] = position
    if schema is not None and not log.fatal:
        expected = [spec.name for spec in schema]
        for name in expected:
            if name not in first_seen:
                log.add(
                    Problem(
                        ProblemCode.MISSING_COLUMN,
                        f"the dataset's column {name!r} is missing",
                        row=1,
                        column=name,
                    )
                )
        for name in names:
            if name not in expected:
                log.add(
                    Problem(
                        ProblemCode.EXTRA_COLUMN,
                        f"column {name!r} is not in the dataset's schema",
                        row=1,
                        column=name,
                    )
                )
    return names


class _CsvInspection:
    """The state of one pass over one file."""

    def __init__(
        self,
        names: list[str],
        schema: Sequence[FieldSpec] | None,
        overrides: Mapping[str, SemanticType] | None,
        sample_rows: int,
        log: ProblemLog,
        limits: ReadLimits,
    ) -> None:
        self.limits = limits
        self.utf8 = True
        """Whether the first pass found only UTF-8 (else rows are searched for bad bytes)."""
        self.names = names
        self.width = len(names)
        self.schema = schema
        self.overrides = overrides
        self.sample_rows = sample_rows
        self.log = log
        self.validator: RowValidator | None = None
        # Column order of the schema, as positions in the file.
        self.order = (
            list(range(self.width))
            if schema is None
            else [names.index(spec.name) for spec in schema]
        )
        self.rejected_rows: list[int] = []
        self.rejected_values: list[list[str | None]] = []
        self.rejected_extras: list[str | None] = []
        self.rejected_reasons: list[str] = []

    def reject(self, row: int, record: list[str], has_bad_bytes: bool) -> None:
        """Log and keep a row that cannot be split into the header's columns."""
        reasons: list[str] = []
        for position, value in enumerate(record):
            if _CONTROL.search(value):
                column = self.names[position] if position < self.width else None
                self.log.add(
                    control_problem(
                        value, row=row, column=column, where=f"field {position + 1} of the row"
                    )
                )
                return
        if has_bad_bytes:
            for position, value in enumerate(record):
                if _SURROGATE.search(value):
                    column = self.names[position] if position < self.width else None
                    self.log.add(
                        Problem(
                            ProblemCode.BAD_ENCODING,
                            "the value holds bytes that are not UTF-8",
                            row=row,
                            column=column,
                            value=shorten(_visible(value)),
                        )
                    )
                    reasons.append(f"{column or 'extra field'}: {ProblemCode.BAD_ENCODING}")
        if len(record) != self.width:
            excess = "many" if len(record) > self.width else "few"
            self.log.add(
                Problem(
                    ProblemCode.RAGGED_ROW,
                    f"too {excess} fields: expected {self.width}, found {len(record)}",
                    row=row,
                )
            )
            reasons.append(f"{ProblemCode.RAGGED_ROW}: {len(record)} fields")
        visible = [_visible(value) for value in record]
        padded: list[str | None] = [*visible[: self.width]]
        padded += [None] * (self.width - len(padded))
        extra = None
        if len(visible) > self.width:
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="").writerow(visible[self.width :])
            extra = buffer.getvalue()
        self.rejected_rows.append(row)
        self.rejected_values.append([padded[position] for position in self.order])
        self.rejected_extras.append(extra)
        self.rejected_reasons.append("; ".join(reasons))

    def check(self, records: list[list[str]], rows: list[int]) -> None:
        """Validate a chunk of well-formed records (the first one also fixes the schema)."""
        if records:
            transposed = list(zip(*records, strict=True))
            text = [
                null_empty(pa.array(transposed[position], type=pa.string()))
                for position in self.order
            ]
        else:
            text = [pa.array([], type=pa.string()) for _ in self.order]
        if not self._within_limits(text, rows):
            return
        if self.validator is None:
            self.validator = RowValidator(self._fields(text), self.log)
        self.validator.check(text, np.asarray(rows, dtype=np.int64))

    def _within_limits(self, text: list[pa.Array], rows: list[int]) -> bool:
        """Log the first oversized value or control character in a chunk; True if none."""
        for column, position in zip(text, self.order, strict=True):
            name = self.names[position]
            lengths = pc.binary_length(column)
            longest = pc.max(lengths).as_py() or 0
            if longest > self.limits.max_value_bytes:
                at = pc.index(pc.greater(lengths, self.limits.max_value_bytes), True).as_py()
                self.log.add(
                    over_limit(
                        self.limits,
                        "max_value_bytes",
                        f"a value of {longest:,} bytes",
                        row=rows[at],
                        column=name,
                    )
                )
                return False
            if (at := first_control(column)) is not None:
                self.log.add(
                    control_problem(
                        column[at].as_py(),
                        row=rows[at],
                        column=name,
                        where=f"the value of {name!r}",
                    )
                )
                return False
        return True

    def _fields(self, text: list[pa.Array]) -> tuple[FieldSpec, ...]:
        if self.schema is not None:
            return apply_overrides(self.schema, self.overrides)
        samples = [pc.drop_null(column).slice(0, self.sample_rows) for column in text]
        fields = suggest_fields(
            self.names,
            [infer_data_type(sample) for sample in samples],
            [sample.to_pylist() for sample in samples],
        )
        return apply_overrides(fields, self.overrides)

    def finish(self, digest: str) -> IngestOutcome:
        if self.validator is None:
            self.check([], [])
        assert self.validator is not None
        self.validator.reject(
            self.rejected_rows,
            self.rejected_values,
            self.rejected_extras,
            self.rejected_reasons,
        )
        table, quarantine = self.validator.finish()
        return IngestOutcome(
            fields=self.validator.fields,
            table=table,
            row_count=self.validator.good_rows,
            content_hash=digest,
            problems=self.log.problems(),
            fatal=self.log.fatal,
            quarantine=quarantine,
            bad_rows=self.validator.bad_rows,
        )


def inspect_csv(
    path: Path,
    *,
    schema: Sequence[FieldSpec] | None = None,
    overrides: Mapping[str, SemanticType] | None = None,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    limits: ReadLimits | None = None,
) -> IngestOutcome:
    """Inspect a CSV file: see ``accord.ingest.inspect_file``."""
    limits = limits or ReadLimits()
    log = ProblemLog()
    fields = tuple(schema or ())
    try:
        size = path.stat().st_size
        if size > limits.max_decoded_bytes:
            log.add(over_limit(limits, "max_decoded_bytes", f"the file holds {size:,} bytes"))
            return _fatal(fields, "", log)
        digest, utf8 = _hash_and_check(path)
    except OSError as exc:
        log.add(Problem(ProblemCode.UNREADABLE, f"cannot read the file: {exc.strerror or exc}"))
        return _fatal(fields, "", log)
    chunk_rows = max(chunk_rows, sample_rows)
    with path.open("rb") as raw:
        stream = io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape", newline="")
        reader = csv.reader(stream)
        try:
            names = _check_header(next(reader, None), schema, log, limits)
        except csv.Error as exc:
            log.add(_parse_problem(exc, limits, 1, "cannot parse the header"))
        if log.fatal:
            return _fatal(fields, digest, log)
        inspection = _CsvInspection(names, schema, overrides, sample_rows, log, limits)
        inspection.utf8 = utf8
        _read_rows(reader, inspection, chunk_rows)
        if log.fatal:
            return _fatal(fields, digest, log)
    return inspection.finish(digest)


def _read_rows(reader: Any, inspection: _CsvInspection, chunk_rows: int) -> None:
    """Check every row after the header, in chunks; stop at the first fatal problem."""
    log, limits, width = inspection.log, inspection.limits, inspection.width
    utf8 = inspection.utf8
    # A chunk ends at chunk_rows, at _CHUNK_CELLS cells or at _CHUNK_CHARS characters.
    rows_per_chunk = min(chunk_rows, max(1, _CHUNK_CELLS // max(1, width)))
    records: list[list[str]] = []
    rows: list[int] = []
    chars = 0
    seen = 0
    line = reader.line_num
    try:
        for record in reader:
            start, line = line + 1, reader.line_num
            if not record:
                if width > 1:
                    continue
                record.append("")
            seen += 1
            if seen > limits.max_rows:
                log.add(over_limit(limits, "max_rows", f"row {seen:,} was reached", row=start))
                return
            if len(record) > limits.max_columns:
                found = f"the row has {len(record):,} fields"
                log.add(over_limit(limits, "max_columns", found, row=start))
                return
            has_bad_bytes = not utf8 and any(_SURROGATE.search(value) for value in record)
            if has_bad_bytes or len(record) != width:
                inspection.reject(start, record, has_bad_bytes)
                if log.fatal:
                    return
                continue
            records.append(record)
            rows.append(start)
            chars += sum(map(len, record))
            if len(records) >= rows_per_chunk or chars >= _CHUNK_CHARS:
                inspection.check(records, rows)
                if log.fatal:
                    return
                records, rows, chars = [], [], 0
    except csv.Error as exc:
        log.add(_parse_problem(exc, limits, line + 1, "cannot parse the file"))
        return
    inspection.check(records, rows)


def _parse_problem(exc: csv.Error, limits: ReadLimits, row: int, what: str) -> Problem:
    """The csv module's refusal, in Accord's terms: its own cap on a field's length
    (131,072 characters) is reported as the value limit it stands in for."""
    if "field larger than field limit" in str(exc):
        return over_limit(
            limits,
            "max_value_bytes",
            f"a value of more than {csv.field_size_limit():,} characters",
            row=row,
        )
    return Problem(ProblemCode.UNREADABLE, f"{what}: {exc}", row=row)
