"""Read a Parquet file batch by batch. Its types are its own; rows are 1-based positions.

Parquet carries a typed schema, so nothing is inferred: each Arrow type maps to the
DataType that holds it without loss (narrower integers widen to BIGINT, decimals and
floats become DOUBLE, time zones are dropped after conversion to UTC). Types with no
tabular meaning (lists, structs, binary) refuse the file: flattening them silently
would hide data from the agreement that governs it. When the dataset already has a
schema and a column's type differs, its values are parsed from their text exactly as
a CSV's would be, so a stray value is a type error by row and column.
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


def inspect_parquet(
    path: Path,
    *,
    schema: Sequence[FieldSpec] | None = None,
    overrides: Mapping[str, SemanticType] | None = None,
    sample_rows: int = 20_480,
    chunk_rows: int = 100_000,
) -> IngestOutcome:
    """Inspect a Parquet file: see ``accord.ingest.inspect_file``."""
    log = ProblemLog()
    fields = tuple(schema or ())

    def refused(digest: str) -> IngestOutcome:
        return IngestOutcome(fields, None, 0, digest, log.problems(), True, None, 0)

    try:
        digest = sha256_file(path)
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        log.add(Problem(ProblemCode.UNREADABLE, f"cannot read the file as Parquet: {exc}"))
        return refused("")
    with parquet:
        arrow_schema = parquet.schema_arrow
        names = list(arrow_schema.names)
        arrow_types = [arrow_schema.field(i).type for i in range(len(names))]
        native = [arrow_data_type(arrow_type) for arrow_type in arrow_types]
        _check_columns(names, native, arrow_types, schema, log)
        if log.fatal:
            return refused(digest)
        order = list(range(len(names))) if schema is None else [names.index(s.name) for s in schema]
        validator: RowValidator | None = None
        first_row = 1
        try:
            for batch in parquet.iter_batches(batch_size=max(chunk_rows, sample_rows)):
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
