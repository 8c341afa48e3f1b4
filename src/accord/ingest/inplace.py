"""Inspect a database table where it lives: schema, suggestions, checks, count and hash.

Nothing is copied out but a leading sample (for suggestions) and the first problems
per column (for the report). The identifier checks, the row count and the content hash
all run in the database as SQL, so a hundred-million-row table costs one scan per
query and no memory here. The database adapters (DuckDB, PostgreSQL) supply a
``Runner`` and the few things that differ between them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from accord.core.catalogue import FieldSpec, Problem
from accord.core.vocabulary import DataType, SemanticType
from accord.ingest.explain import shorten
from accord.ingest.fields import apply_overrides, suggest_fields
from accord.ingest.outcome import IngestOutcome, ProblemCode, ProblemLog
from accord.ingest.sql_checks import Dialect, cleaned_sql, invalid_sql, quote_identifier
from accord.ingest.validator import SEMANTIC_CHECKS

__all__ = ["Column", "InPlaceTable", "Runner", "inspect_in_place"]

Runner = Callable[[str], list[tuple[Any, ...]]]
"""Runs one read-only query and returns its rows; the adapter wraps driver errors."""


@dataclass(frozen=True, slots=True)
class Column:
    """A column as the database's catalogue describes it."""

    name: str
    database_type: str
    data_type: DataType | None
    """None when the type has no DataType (arrays, JSON, binary): the table is refused."""
    nullable: bool


@dataclass(frozen=True, slots=True)
class InPlaceTable:
    """Everything the shared inspection needs to know about one table in one database."""

    dialect: Dialect
    reference: str
    """The table, quoted, as it appears in FROM."""
    columns: tuple[Column, ...]
    position: str
    """SQL for a row's 1-based position, the ``row`` of its problems."""
    hash_query: str
    """SQL returning one hex digest of the rows, independent of their order."""


@dataclass(frozen=True, slots=True)
class _Check:
    column: Column
    code: ProblemCode
    semantic: SemanticType | None
    """The identifier checked, or None for a required-value check."""

    def select(self, dialect: Dialect, index: int) -> str:
        text = dialect.as_text(quote_identifier(self.column.name))
        parts = [f"{text} AS _v{index}"]
        if self.semantic is not None:
            parts.append(f"{cleaned_sql(self.semantic, text)} AS _k{index}")
        return ", ".join(parts)

    def predicate(self, dialect: Dialect, index: int) -> str:
        if self.semantic is None:
            return f"(_v{index} IS NULL)"
        return invalid_sql(self.semantic, f"_v{index}", f"_k{index}", dialect)


def _compare(columns: Sequence[Column], schema: Sequence[FieldSpec], log: ProblemLog) -> None:
    """A re-inspection: the table must still have the dataset's columns and types."""
    by_name = {column.name: column for column in columns}
    for spec in schema:
        column = by_name.get(spec.name)
        if column is None:
            log.add(
                Problem(
                    ProblemCode.MISSING_COLUMN,
                    f"the dataset's column {spec.name!r} is missing",
                    column=spec.name,
                )
            )
        elif column.data_type is not None and column.data_type is not spec.data_type:
            log.add(
                Problem(
                    ProblemCode.TYPE_MISMATCH,
                    f"column {spec.name!r} is now {column.database_type}, "
                    f"the dataset says {spec.data_type}",
                    column=spec.name,
                )
            )
    expected = {spec.name for spec in schema}
    for column in columns:
        if column.name not in expected:
            log.add(
                Problem(
                    ProblemCode.EXTRA_COLUMN,
                    f"column {column.name!r} is not in the dataset's schema",
                    column=column.name,
                )
            )


def _fields(
    run: Runner,
    table: InPlaceTable,
    schema: Sequence[FieldSpec] | None,
    overrides: Mapping[str, SemanticType] | None,
    sample_rows: int,
) -> tuple[FieldSpec, ...]:
    if schema is not None:
        return apply_overrides(schema, overrides, retype_identifiers=False)
    texts = ", ".join(
        table.dialect.as_text(quote_identifier(column.name)) for column in table.columns
    )
    rows = run(f"SELECT {texts} FROM {table.reference} LIMIT {int(sample_rows)}")
    samples: list[list[str | None]] = [list(values) for values in zip(*rows, strict=True)]
    if not samples:
        samples = [[] for _ in table.columns]
    fields = suggest_fields(
        [column.name for column in table.columns],
        [column.data_type or DataType.VARCHAR for column in table.columns],
        samples,
        nullable=[column.nullable for column in table.columns],
        retype_identifiers=False,
    )
    return apply_overrides(fields, overrides, retype_identifiers=False)


def inspect_in_place(
    run: Runner,
    table: InPlaceTable,
    *,
    schema: Sequence[FieldSpec] | None,
    overrides: Mapping[str, SemanticType] | None,
    sample_rows: int,
) -> IngestOutcome:
    log = ProblemLog()
    for column in table.columns:
        if column.data_type is None:
            log.add(
                Problem(
                    ProblemCode.UNSUPPORTED_TYPE,
                    f"column {column.name!r} has type {column.database_type}, "
                    "which a dataset cannot hold",
                    column=column.name,
                )
            )
    if schema is not None:
        _compare(table.columns, schema, log)
    if log.fatal:
        return IngestOutcome(tuple(schema or ()), None, 0, "", log.problems(), True, None, 0)
    fields = _fields(run, table, schema, overrides, sample_rows)
    by_name = {column.name: column for column in table.columns}
    checks: list[_Check] = []
    for spec in fields:
        column = by_name[spec.name]
        if not spec.nullable and column.nullable:
            checks.append(_Check(column, ProblemCode.MISSING_VALUE, None))
        if spec.semantic_type in SEMANTIC_CHECKS:
            code = SEMANTIC_CHECKS[spec.semantic_type].code
            checks.append(_Check(column, code, spec.semantic_type))
    total, bad_rows, bad_per_check = _count(run, table, checks)
    for index, (check, bad) in enumerate(zip(checks, bad_per_check, strict=True)):
        if bad:
            _list_examples(run, table, check, index, bad, log)
    digest = run(table.hash_query)[0][0]
    layout = "|".join(f"{c.name}:{c.database_type}" for c in table.columns)
    content_hash = hashlib.sha256(f"{layout}\n{total}\n{digest}".encode()).hexdigest()
    return IngestOutcome(
        fields=fields,
        table=None,
        row_count=total - bad_rows,
        content_hash=content_hash,
        problems=log.problems(),
        fatal=False,
        quarantine=None,
        bad_rows=bad_rows,
    )


def _count(
    run: Runner, table: InPlaceTable, checks: Sequence[_Check]
) -> tuple[int, int, list[int]]:
    """Rows in the table, rows failing any check, and rows failing each check: one scan."""
    if not checks:
        return int(run(f"SELECT count(*) FROM {table.reference}")[0][0]), 0, []
    dialect = table.dialect
    selects = ", ".join(check.select(dialect, i) for i, check in enumerate(checks))
    predicates = [check.predicate(dialect, i) for i, check in enumerate(checks)]
    counts = ", ".join(f"count(*) FILTER (WHERE {p})" for p in predicates)
    any_bad = " OR ".join(predicates)
    # OFFSET 0 stops PostgreSQL inlining the subquery and re-running each regexp per use.
    row = run(
        f"SELECT count(*), count(*) FILTER (WHERE {any_bad}), {counts} "
        f"FROM (SELECT {selects} FROM {table.reference} OFFSET 0) AS checked"
    )[0]
    return int(row[0]), int(row[1]), [int(value) for value in row[2:]]


def _list_examples(
    run: Runner, table: InPlaceTable, check: _Check, index: int, bad: int, log: ProblemLog
) -> None:
    """Fetch the first failing rows of one check, in position order, as problems."""
    name = check.column.name
    room = log.room(name)
    if room:
        dialect = table.dialect
        rows = run(
            f"SELECT _pos, _v{index} FROM (SELECT {table.position} AS _pos, "
            f"{check.select(dialect, index)} FROM {table.reference} OFFSET 0) AS checked "
            f"WHERE {check.predicate(dialect, index)} ORDER BY _pos LIMIT {int(room)}"
        )
        explain = (
            SEMANTIC_CHECKS[check.semantic].explain
            if check.semantic is not None
            else (lambda _: "a value is required here but the field is empty")
        )
        for position, value in rows:
            log.add(
                Problem(
                    check.code,
                    explain("" if value is None else str(value)),
                    row=int(position),
                    column=name,
                    value=None if value is None else shorten(str(value)),
                )
            )
        bad -= len(rows)
    log.count_unlisted(name, bad)
