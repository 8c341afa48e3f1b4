"""Check rows against a schema, chunk by chunk, and split them into good and bad.

Sources (CSV, Parquet) hand over each chunk as text columns, nulls for missing values,
with the row number of each row. Every check is a mask over the whole chunk: the type
parse, the required-value check and the identifier checks. A row with any mask set is
bad: it goes to the quarantine as its original text, with the reasons in
``_problems``; the rest are the good rows, typed per the schema. Only the first
problems per column become ``Problem`` objects (see ``ProblemLog``); the masks, and so
``bad_rows`` and the quarantine, are complete.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from accord.core.catalogue import FieldSpec, Problem
from accord.core.vocabulary import SemanticType
from accord.ingest.explain import explain_nhs_number, explain_nino, explain_postcode, shorten
from accord.ingest.identifier_checks import nhs_number_valid, nino_valid, postcode_valid
from accord.ingest.outcome import ProblemCode, ProblemLog
from accord.ingest.parsing import ARROW_TYPES, TYPE_HINTS, parse

__all__ = [
    "EXTRA_COLUMN",
    "PROBLEMS_COLUMN",
    "ROW_COLUMN",
    "SEMANTIC_CHECKS",
    "RowValidator",
]

ROW_COLUMN = "_row"
PROBLEMS_COLUMN = "_problems"
EXTRA_COLUMN = "_extra"
"""Quarantine column for the fields beyond the header's width in a too-long row, kept as
one CSV line so the quarantine loses nothing that was in the file."""


@dataclass(frozen=True, slots=True)
class SemanticCheck:
    valid: Callable[[pa.Array], pa.Array]
    code: ProblemCode
    explain: Callable[[str], str]
    """The rule the value breaks; never the value itself (see ``explain``)."""


SEMANTIC_CHECKS: dict[SemanticType, SemanticCheck] = {
    SemanticType.NINO: SemanticCheck(nino_valid, ProblemCode.INVALID_NINO, explain_nino),
    SemanticType.NHS_NUMBER: SemanticCheck(
        nhs_number_valid, ProblemCode.INVALID_NHS_NUMBER, explain_nhs_number
    ),
    SemanticType.POSTCODE: SemanticCheck(
        postcode_valid, ProblemCode.INVALID_POSTCODE, explain_postcode
    ),
}


def _mask(values: pa.Array) -> np.ndarray:
    return np.asarray(values.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


class RowValidator:
    """Accumulates good and bad rows over the chunks of one source."""

    def __init__(self, fields: Sequence[FieldSpec], log: ProblemLog) -> None:
        self.fields = tuple(fields)
        self.log = log
        self.schema = pa.schema([(spec.name, ARROW_TYPES[spec.data_type]) for spec in fields])
        self.quarantine_schema = pa.schema(
            [(spec.name, pa.string()) for spec in fields]
            + [
                (EXTRA_COLUMN, pa.string()),
                (ROW_COLUMN, pa.int64()),
                (PROBLEMS_COLUMN, pa.string()),
            ]
        )
        self._good: list[pa.RecordBatch] = []
        self._bad: list[pa.Table] = []
        self.good_rows = 0
        self.bad_rows = 0

    def check(
        self,
        text: Sequence[pa.Array],
        rows: np.ndarray,
        typed: Sequence[pa.Array | None] | None = None,
    ) -> None:
        """Check one chunk: ``text[i]`` is column ``i`` as text; ``rows`` the row numbers.

        ``typed[i]``, when given, is column ``i`` already in the schema's type (a
        Parquet column of the right type), so only the other checks apply to it.
        """
        size = len(rows)
        bad = np.zeros(size, dtype=bool)
        reasons: list[tuple[np.ndarray, str]] = []
        values: list[pa.Array] = []
        for index, spec in enumerate(self.fields):
            raw = text[index]
            native = typed[index] if typed is not None else None
            if native is not None:
                column, type_error = native, np.zeros(size, dtype=bool)
            else:
                column, type_error = parse(raw, spec.data_type)
            values.append(column)
            present = _mask(pc.is_valid(raw))
            masks: list[tuple[np.ndarray, ProblemCode, Callable[[str], str]]] = [
                (type_error, ProblemCode.TYPE_ERROR, self._type_message(spec))
            ]
            if not spec.nullable:
                masks.append((~present, ProblemCode.MISSING_VALUE, _missing_message))
            check = SEMANTIC_CHECKS.get(spec.semantic_type)
            if check is not None:
                invalid = present & ~type_error & ~_mask(check.valid(raw))
                masks.append((invalid, check.code, check.explain))
            for mask, code, explain in masks:
                if mask.any():
                    self._log(spec.name, raw, rows, mask, code, explain)
                    reasons.append((mask, f"{spec.name}: {code}"))
                    bad |= mask
        good = ~bad
        if good.all():
            self._append_good(values, size)
            return
        keep = pa.array(good)
        self._append_good([column.filter(keep) for column in values], int(good.sum()))
        self._append_bad(text, rows, bad, reasons)

    def reject(
        self,
        rows: Sequence[int],
        values: Sequence[Sequence[str | None]],
        extras: Sequence[str | None],
        reasons: Sequence[str],
    ) -> None:
        """Quarantine rows a source refused before column checks (ragged, bad bytes).

        ``values[i]`` is row ``i`` cut or padded to the schema's width; the source has
        already logged the problems, and ``reasons[i]`` summarises them.
        """
        if not rows:
            return
        columns: list[pa.Array] = [
            pa.array(list(column), type=pa.string()) for column in zip(*values, strict=True)
        ]
        columns += [
            pa.array(list(extras), type=pa.string()),
            pa.array(list(rows), type=pa.int64()),
            pa.array(list(reasons), type=pa.string()),
        ]
        self._bad.append(pa.Table.from_arrays(columns, schema=self.quarantine_schema))
        self.bad_rows += len(rows)

    def finish(self) -> tuple[pa.Table, pa.Table | None]:
        """The good rows as one table, and the bad rows in row order (None if there are none)."""
        table = pa.Table.from_batches(self._good, schema=self.schema)
        if not self._bad:
            return table, None
        quarantine = pa.concat_tables(self._bad).sort_by(ROW_COLUMN)
        return table, quarantine.combine_chunks()

    def _append_good(self, values: list[pa.Array], size: int) -> None:
        if size:
            self._good.append(pa.RecordBatch.from_arrays(values, schema=self.schema))
            self.good_rows += size

    def _append_bad(
        self,
        text: Sequence[pa.Array],
        rows: np.ndarray,
        bad: np.ndarray,
        reasons: list[tuple[np.ndarray, str]],
    ) -> None:
        take = pa.array(bad)
        labels = [
            pc.if_else(pa.array(mask[bad]), label, pa.scalar(None, pa.string()))
            for mask, label in reasons
        ]
        joined = pc.binary_join_element_wise(*labels, "; ", null_handling="skip")
        count = int(bad.sum())
        columns = [pc.cast(column.filter(take), pa.string()) for column in text]
        columns += [
            pa.nulls(count, pa.string()),
            pa.array(rows[bad], type=pa.int64()),
            joined,
        ]
        self._bad.append(pa.Table.from_arrays(columns, schema=self.quarantine_schema))
        self.bad_rows += count

    def _log(
        self,
        column: str,
        raw: pa.Array,
        rows: np.ndarray,
        mask: np.ndarray,
        code: ProblemCode,
        explain: Callable[[str], str],
    ) -> None:
        where = np.flatnonzero(mask)
        room = self.log.room(column)
        for position in where[:room]:
            value = raw[int(position)].as_py()
            text = "" if value is None else str(value)
            self.log.add(
                Problem(
                    code,
                    explain(text),
                    row=int(rows[position]),
                    column=column,
                    value=None if value is None else shorten(text),
                )
            )
        self.log.count_unlisted(column, len(where) - min(room, len(where)))

    @staticmethod
    def _type_message(spec: FieldSpec) -> Callable[[str], str]:
        hint = TYPE_HINTS[spec.data_type]
        return lambda _: f"not {hint} ({spec.data_type})"


def _missing_message(_: str) -> str:
    return "a value is required here but the field is empty"
