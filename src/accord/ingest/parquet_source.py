"""Read a Parquet file batch by batch. Its types are its own; rows are 1-based positions.

Parquet carries a typed schema, so nothing is inferred: each Arrow type maps to the
DataType that holds it without loss (narrower integers widen to BIGINT, decimals and
floats become DOUBLE, time zones are dropped after conversion to UTC). Types with no
tabular meaning (lists, structs, binary) refuse the file: flattening them silently
would hide data from the agreement that governs it. When the dataset already has a
schema and a column's type differs, its values are parsed from their text exactly as
a CSV's would be, so a stray value is a type error by row and column.

The file is read within :class:`~accord.ingest.limits.ReadLimits`: the footer's row and
column counts and each column chunk's uncompressed size are checked before any page
is decoded; string columns are read as dictionaries, so a dictionary page repeated by
index (the "Parquet bomb") is measured by its values' lengths times their uses before
it is ever expanded; and each batch's values are checked for size and control
characters before they are decoded to text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from accord.core.catalogue import FieldSpec, Problem
from accord.core.vocabulary import DataType, SemanticType
from accord.fsutil import sha256_file
from accord.ingest.fields import apply_overrides, suggest_fields
from accord.ingest.limits import (
    CONTROL_IN_NAME,
    CONTROL_IN_VALUE,
    ReadLimits,
    control_problem,
    first_control,
    over_limit,
)
from accord.ingest.outcome import IngestOutcome, ProblemCode, ProblemLog
from accord.ingest.parsing import ARROW_TYPES
from accord.ingest.validator import RowValidator

__all__ = ["arrow_data_type", "inspect_parquet"]


def arrow_data_type(arrow_type: pa.DataType) -> DataType | None:
    """The DataType that holds ``arrow_type`` without loss, or None if there is none."""
    if pa.types.is_dictionary(arrow_type):
        return arrow_data_type(arrow_type.value_type)
    if pa.types.is_boolean(arrow_type):
        return DataType.BOOLEAN
    if pa.types.is_signed_integer(arrow_type) or arrow_type in (
        pa.uint8(),
        pa.uint16(),
        pa.uint32(),
    ):
        return DataType.BIGINT
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return DataType.DOUBLE
    if pa.types.is_date(arrow_type):
        return DataType.DATE
    if pa.types.is_timestamp(arrow_type):
        return DataType.TIMESTAMP
    if (
        pa.types.is_string(arrow_type)
        or pa.types.is_large_string(arrow_type)
        or pa.types.is_string_view(arrow_type)
        or pa.types.is_null(arrow_type)
    ):
        return DataType.VARCHAR
    return None


def _as_text(column: pa.Array) -> pa.Array:
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    if pa.types.is_null(column.type):
        return pa.nulls(len(column), pa.string())
    return pc.cast(column, pa.string())


def _as_type(column: pa.Array, data_type: DataType) -> pa.Array:
    """A column whose own type maps to ``data_type``, in Accord's canonical Arrow type."""
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    target = ARROW_TYPES[data_type]
    if pa.types.is_timestamp(column.type) and column.type.tz is not None:
        column = pc.cast(column, pa.timestamp(column.type.unit))
    if pa.types.is_null(column.type):
        return pa.nulls(len(column), target)
    return pc.cast(column, target, safe=data_type is not DataType.DOUBLE)


def _check_columns(
    names: list[str],
    native: list[DataType | None],
    arrow_types: list[pa.DataType],
    schema: Sequence[FieldSpec] | None,
    log: ProblemLog,
) -> None:
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        if not name.strip():
            log.add(Problem(ProblemCode.EMPTY_HEADER, f"column {position} has no name"))
        elif name in seen:
            log.add(
                Problem(ProblemCode.DUPLICATE_HEADER, f"column {name!r} appears twice", column=name)
            )
        seen.add(name)
    for name, data_type, arrow_type in zip(names, native, arrow_types, strict=True):
        if data_type is None:
            log.add(
                Problem(
                    ProblemCode.UNSUPPORTED_TYPE,
                    f"column {name!r} has type {arrow_type}, which a dataset cannot hold",
                    column=name,
                )
            )
    if schema is not None:
        expected = [spec.name for spec in schema]
        for name in expected:
            if name not in seen:
                log.add(
                    Problem(
                        ProblemCode.MISSING_COLUMN,
                        f"the dataset's column {name!r} is missing",
                        column=name,
                    )
                )
        for name in names:
            if name not in expected:
                log.add(
                    Problem(
                        ProblemCode.EXTRA_COLUMN,
                        f"column {name!r} is not in the dataset's schema",
                        column=name,
                    )
                )


_MAX_FOOTER_BYTES = 64 * 1024**2
"""The largest footer parsed: 2,000 columns in thousands of row groups fit in a few MB,
and a footer is parsed whole, so a forged one must not be allowed to be huge."""
_THRIFT = {"thrift_string_size_limit": 16 * 1024**2, "thrift_container_size_limit": 1_000_000}
"""Caps on the footer's own strings and lists, below Arrow's defaults of 100 MB and
10 million: nothing honest comes near them."""


def _footer_problem(path: Path) -> Problem | None:
    """A footer too large to parse safely, read from the file's last eight bytes."""
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        if size < 12:
            return None  # too short to be Parquet: the reader says so
        handle.seek(size - 8)
        tail = handle.read(8)
    footer = int.from_bytes(tail[:4], "little")
    if tail[4:] == b"PAR1" and footer > _MAX_FOOTER_BYTES:
        return Problem(
            ProblemCode.OVER_LIMIT,
            f"the file's footer declares {footer:,} bytes of metadata: over the "
            f"{_MAX_FOOTER_BYTES:,} a Parquet file may have; nothing was read",
        )
    return None


def _declared_problem(metadata: pq.FileMetaData, limits: ReadLimits) -> Problem | None:
    """A limit the footer says the file crosses, found before any page is read."""
    if metadata.num_columns > limits.max_columns:
        return over_limit(
            limits, "max_columns", f"the file declares {metadata.num_columns:,} columns"
        )
    if metadata.num_rows > limits.max_rows:
        return over_limit(limits, "max_rows", f"the file declares {metadata.num_rows:,} rows")
    declared = 0
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        for position in range(row_group.num_columns):
            declared += max(0, row_group.column(position).total_uncompressed_size)
        if declared > limits.max_decoded_bytes:
            return over_limit(
                limits,
                "max_decoded_bytes",
                f"the file declares {declared:,} bytes uncompressed by row group {group + 1}",
            )
    return None


def _text_lengths(column: pa.Array) -> pa.Array | None:
    """Each row's value length in bytes once decoded, for a text column; computed
    from a dictionary's values and indices without expanding it."""
    if pa.types.is_dictionary(column.type):
        if arrow_data_type(column.type.value_type) is not DataType.VARCHAR:
            return None
        lengths = pc.binary_length(column.dictionary)
        return pc.take(lengths, column.indices)
    if arrow_data_type(column.type) is DataType.VARCHAR and not pa.types.is_null(column.type):
        return pc.binary_length(column)
    return None


def _control_rows(column: pa.Array) -> pa.Array | None:
    """A mask of the rows whose text holds a refused control character."""
    if pa.types.is_dictionary(column.type):
        if arrow_data_type(column.type.value_type) is not DataType.VARCHAR:
            return None
        hits = pc.match_substring_regex(column.dictionary, CONTROL_IN_VALUE)
        return pc.take(hits, column.indices)
    if arrow_data_type(column.type) is DataType.VARCHAR and not pa.types.is_null(column.type):
        return pc.match_substring_regex(column, CONTROL_IN_VALUE)
    return None


class _Budget:
    """The decoded bytes read so far from one file, and the checks on each batch."""

    def __init__(self, limits: ReadLimits, names: list[str]) -> None:
        self.limits = limits
        self.names = names
        self.decoded = 0

    def check(self, batch: pa.RecordBatch, first_row: int, log: ProblemLog) -> bool:
        """Log the first limit or control character the batch crosses; True if none."""
        last_row = first_row + batch.num_rows - 1
        if last_row > self.limits.max_rows:
            log.add(over_limit(self.limits, "max_rows", f"row {last_row:,} was reached"))
            return False
        for position in range(batch.num_columns):
            column, name = batch.column(position), self.names[position]
            lengths = _text_lengths(column)
            if lengths is None:
                size = column.nbytes
            else:
                longest = pc.max(lengths).as_py() or 0
                if longest > self.limits.max_value_bytes:
                    at = pc.index(pc.greater(lengths, self.limits.max_value_bytes), True).as_py()
                    log.add(
                        over_limit(
                            self.limits,
                            "max_value_bytes",
                            f"a value of {longest:,} bytes",
                            row=first_row + at,
                            column=name,
                        )
                    )
                    return False
                size = int(pc.sum(lengths).as_py() or 0)
            self.decoded += size
            if self.decoded > self.limits.max_decoded_bytes:
                log.add(
                    over_limit(
                        self.limits,
                        "max_decoded_bytes",
                        f"the values read reach {self.decoded:,} bytes",
                        row=first_row,
                        column=name,
                    )
                )
                return False
            hits = _control_rows(column)
            if hits is not None and pc.any(hits).as_py():
                at = pc.index(hits.fill_null(False), True).as_py()
                value = _as_text(column.slice(at, 1))[0].as_py() or ""
                log.add(
                    control_problem(
                        value, row=first_row + at, column=name, where=f"the value of {name!r}"
                    )
                )
                return False
        return True


def inspect_parquet(
    path: Path,
    *,
    schema: Sequence[FieldSpec] | None = None,
    overrides: Mapping[str, SemanticType] | None = None,
    sample_rows: int = 20_480,
    chunk_rows: int = 100_000,
    limits: ReadLimits | None = None,
) -> IngestOutcome:
    """Inspect a Parquet file: see ``accord.ingest.inspect_file``."""
    limits = limits or ReadLimits()
    log = ProblemLog()
    fields = tuple(schema or ())

    def refused(digest: str) -> IngestOutcome:
        return IngestOutcome(fields, None, 0, digest, log.problems(), True, None, 0)

    try:
        digest = sha256_file(path)
        if (too_large := _footer_problem(path)) is not None:
            log.add(too_large)
            return refused(digest)
        with pq.ParquetFile(path, **_THRIFT) as footer:
            declared = _declared_problem(footer.metadata, limits)
            text_columns = [
                field.name
                for field in footer.schema_arrow
                if arrow_data_type(field.type) is DataType.VARCHAR
                and not pa.types.is_null(field.type)
            ]
        if declared is not None:
            log.add(declared)
            return refused(digest)
        # Text read as dictionaries: a repeated value is measured before it is expanded.
        parquet = pq.ParquetFile(path, read_dictionary=text_columns, **_THRIFT)
    except (OSError, pa.ArrowException) as exc:
        log.add(Problem(ProblemCode.UNREADABLE, f"cannot read the file as Parquet: {exc}"))
        return refused("")
    with parquet:
        arrow_schema = parquet.schema_arrow
        names = list(arrow_schema.names)
        if (bad := first_control(pa.array(names, pa.string()), CONTROL_IN_NAME)) is not None:
            log.add(
                control_problem(
                    names[bad],
                    row=None,
                    column=None,
                    where=f"the name of column {bad + 1}",
                    pattern=CONTROL_IN_NAME,
                )
            )
            return refused(digest)
        arrow_types = [arrow_schema.field(i).type for i in range(len(names))]
        native = [arrow_data_type(arrow_type) for arrow_type in arrow_types]
        _check_columns(names, native, arrow_types, schema, log)
        if log.fatal:
            return refused(digest)
        order = list(range(len(names))) if schema is None else [names.index(s.name) for s in schema]
        validator: RowValidator | None = None
        budget = _Budget(limits, names)
        first_row = 1
        try:
            for batch in parquet.iter_batches(batch_size=max(chunk_rows, sample_rows)):
                if not budget.check(batch, first_row, log):
                    return refused(digest)
                columns = [batch.column(position) for position in order]
                text = [_as_text(column) for column in columns]
                if validator is None:
                    validator = RowValidator(
                        _fields(names, native, text, schema, overrides, sample_rows), log
                    )
                typed = [
                    _as_type(column, spec.data_type) if native[position] is spec.data_type else None
                    for column, spec, position in zip(columns, validator.fields, order, strict=True)
                ]
                rows = np.arange(first_row, first_row + batch.num_rows, dtype=np.int64)
                validator.check(text, rows, typed)
                first_row += batch.num_rows
        except (OSError, pa.ArrowException) as exc:
            log.add(Problem(ProblemCode.UNREADABLE, f"cannot read the file: {exc}", row=first_row))
            return refused(digest)
    if validator is None:
        empty = [pa.array([], pa.string()) for _ in order]
        validator = RowValidator(_fields(names, native, empty, schema, overrides, 0), log)
    table, quarantine = validator.finish()
    return IngestOutcome(
        fields=validator.fields,
        table=table,
        row_count=validator.good_rows,
        content_hash=digest,
        problems=log.problems(),
        fatal=log.fatal,
        quarantine=quarantine,
        bad_rows=validator.bad_rows,
    )


def _fields(
    names: list[str],
    native: list[DataType | None],
    text: list[pa.Array],
    schema: Sequence[FieldSpec] | None,
    overrides: Mapping[str, SemanticType] | None,
    sample_rows: int,
) -> tuple[FieldSpec, ...]:
    if schema is not None:
        return apply_overrides(schema, overrides)
    samples = [pc.drop_null(column).slice(0, sample_rows).to_pylist() for column in text]
    data_types = [data_type or DataType.VARCHAR for data_type in native]
    return apply_overrides(suggest_fields(names, data_types, samples), overrides)
