"""Getting the two sides of a linkage into the engine, checked, with their roles.

A side can be a CSV or Parquet path, a DuckDB relation or an Arrow table, so the
CLI, a data trust's in-place tables and the governed data plane all hand data over
the same way. Each side is checked before any work starts: the id column must exist,
be filled and be unique, because a match table whose ids are ambiguous links nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import duckdb
import pyarrow as pa

from accord.core.vocabulary import DataType
from accord.errors import ValidationError
from accord.linkage.engine import Engine
from accord.linkage.roles import ColumnRoles, Role, recognise_column

__all__ = ["LinkSource", "Side", "check_ids", "load_side", "register_source"]

LinkSource: TypeAlias = "str | Path | duckdb.DuckDBPyRelation | pa.Table"
"""What a caller may pass as one side of a linkage."""

SAMPLE_ROWS = 2_000
"""Values sampled per column for recognition (the catalogue's own sample size)."""

_TYPES = {
    "BOOLEAN": DataType.BOOLEAN,
    "DATE": DataType.DATE,
    "DOUBLE": DataType.DOUBLE,
    "FLOAT": DataType.DOUBLE,
    "VARCHAR": DataType.VARCHAR,
}


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a linkage as loaded: its raw table, id column, size and roles."""

    label: str
    table: str
    id_column: str
    id_type: str
    rows: int
    roles: ColumnRoles
    column_types: Mapping[str, str]


def load_side(
    engine: Engine,
    source: LinkSource,
    *,
    label: str,
    id_column: str,
    overrides: Mapping[str, Role | None] | None = None,
) -> Side:
    """Register ``source`` as table ``raw_<label>``, check its id column, recognise roles.

    ``overrides`` maps a column name to a role (or None to leave the column out); a
    name that is not a column is an error, so a typo cannot silently do nothing.
    """
    table = f"raw_{label}"
    register_source(engine, source, table, label)
    column_types = dict(engine.columns(table))
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(column_types))
    if unknown:
        raise ValidationError(
            f"{label} overrides name columns that are not in the {label} input: "
            f"{', '.join(unknown)}"
        )
    rows = check_ids(engine, table, column_types, id_column, label)
    roles = _recognise(engine, table, column_types, id_column, overrides)
    return Side(
        label=label,
        table=table,
        id_column=id_column,
        id_type=column_types[id_column],
        rows=rows,
        roles=roles,
        column_types=column_types,
    )


def check_ids(
    engine: Engine, table: str, column_types: Mapping[str, str], id_column: str, label: str
) -> int:
    """The number of rows, once the id column is known to exist, be filled and be unique."""
    parameter = f"--{label}-id"
    if id_column not in column_types:
        raise ValidationError(
            f"{parameter}: column {id_column!r} is not in the {label} input; "
            f"its columns are {', '.join(column_types)}"
        )
    quoted = _quote(id_column)
    rows, filled, distinct = engine.fetch(
        f"SELECT count(*), count({quoted}), count(DISTINCT {quoted}) FROM {table}",
        step=f"check {label} ids",
    )[0]
    if rows == 0:
        raise ValidationError(f"{label}: the input has no rows")
    if filled < rows:
        raise ValidationError(f"{parameter}: {rows - filled} {label} rows have no {id_column!r}")
    if distinct < rows:
        raise ValidationError(
            f"{parameter}: {id_column!r} is not unique in the {label} input "
            f"({rows - distinct} repeated values); linkage needs one id per record"
        )
    return int(rows)


def register_source(engine: Engine, source: LinkSource, table: str, label: str) -> None:
    """Make ``source`` queryable as view ``table``; a bad path is an error naming the side."""
    if isinstance(source, pa.Table):
        engine.register_arrow(f"{table}_arrow", source)
        engine.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM {table}_arrow", step=label)
        return
    if isinstance(source, duckdb.DuckDBPyRelation):
        engine.register_arrow(f"{table}_arrow", _relation_to_arrow(source))
        engine.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM {table}_arrow", step=label)
        return
    path = Path(source)
    if not path.exists():
        raise ValidationError(f"{label.upper()}: file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".parquet" or path.is_dir():
        engine.register_file(table, path, "parquet")
    elif suffix in (".csv", ".tsv", ".txt"):
        engine.register_file(table, path, "csv")
    else:
        raise ValidationError(
            f"{label.upper()}: {str(path)!r} is neither CSV (.csv) nor Parquet (.parquet)"
        )


def _relation_to_arrow(relation: duckdb.DuckDBPyRelation) -> pa.Table:
    arrow: Any = relation.to_arrow_table() if hasattr(relation, "to_arrow_table") else None
    if arrow is None:
        arrow = relation.arrow()
    if isinstance(arrow, pa.RecordBatchReader):
        arrow = arrow.read_all()
    return arrow


def _recognise(
    engine: Engine,
    table: str,
    column_types: Mapping[str, str],
    id_column: str,
    overrides: Mapping[str, Role | None],
) -> ColumnRoles:
    by_role: dict[Role, list[str]] = {}
    date_formats: dict[str, str] = {}
    for column, engine_type in column_types.items():
        if column == id_column:
            continue
        if column in overrides:
            role = overrides[column]
        else:
            values = [
                row[0]
                for row in engine.fetch(
                    f"SELECT CAST({_quote(column)} AS VARCHAR) FROM {table} "
                    f"WHERE {_quote(column)} IS NOT NULL LIMIT {SAMPLE_ROWS}",
                    step=f"sample {column}",
                )
            ]
            role = recognise_column(column, values, _data_type(engine_type))
        if role is None:
            continue
        by_role.setdefault(role, []).append(column)
        if role is Role.DATE_OF_BIRTH and _data_type(engine_type) is DataType.VARCHAR:
            date_formats[column] = _date_format(engine, table, column)
    return ColumnRoles(
        by_role={role: tuple(columns) for role, columns in by_role.items()},
        date_formats=date_formats,
    )


def _date_format(engine: Engine, table: str, column: str) -> str:
    """The strptime format most of a text date-of-birth column's sample parses with."""
    best, best_count = "%Y-%m-%d", -1
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d", "%d.%m.%Y"):
        count = engine.fetch(
            f"SELECT count(try_strptime(v, '{fmt}')) FROM (SELECT CAST({_quote(column)} AS "
            f"VARCHAR) AS v FROM {table} WHERE {_quote(column)} IS NOT NULL LIMIT {SAMPLE_ROWS}) "
            "AS sample",
            step=f"date format of {column}",
        )[0][0]
        if count > best_count:
            best, best_count = fmt, count
    return best


def _data_type(engine_type: str) -> DataType:
    upper = engine_type.upper()
    if upper.startswith("TIMESTAMP"):
        return DataType.TIMESTAMP
    if upper in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UBIGINT", "UINTEGER"):
        return DataType.BIGINT
    if upper.startswith("DECIMAL"):
        return DataType.DOUBLE
    return _TYPES.get(upper, DataType.VARCHAR)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
