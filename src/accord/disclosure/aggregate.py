"""Aggregate tables (geography x categories) computed where the data is, in DuckDB.

One GROUP BY gives every statistic the rules need (contributors, total, the largest
contributions, negatives) in a single pass over the rows; the result is laid out as
a dense grid over every observed row label and every observed column label, so empty
combinations appear as cells of count 0, as ``pandas.crosstab(dropna=False)`` (and so
ACRO) shows them. Rows whose row or column label is missing are left out, as pandas
does.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from accord.disclosure.primary import CellStats

__all__ = ["AggregateTable", "tabulate"]

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


def _quote(name: str) -> str:
    if not _IDENT.fullmatch(name):
        raise ValueError(f"{name!r} is not a column name Accord will put in SQL")
    return f'"{name}"'


@dataclass(frozen=True, slots=True)
class AggregateTable:
    """A two-way table of cell statistics; row and column labels may be composite."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    value: str | None
    row_labels: tuple[tuple[Any, ...], ...]
    column_labels: tuple[tuple[Any, ...], ...]
    stats: CellStats
    """Grids of shape (len(row_labels), len(column_labels)); ``top`` adds an axis."""
    cell_keys: np.ndarray[Any, np.dtype[np.int64]] | None = None
    """Sum of the contributors' record keys mod 256, when record keys were given."""

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.row_labels), len(self.column_labels))

    @property
    def cells(self) -> int:
        return len(self.row_labels) * len(self.column_labels)

    def values(self) -> np.ndarray[Any, np.dtype[np.float64]]:
        """What the table shows before protection: counts, or totals for a magnitude table."""
        if self.stats.total is not None:
            return np.where(self.stats.count > 0, self.stats.total, np.nan)
        return self.stats.count.astype(np.float64)


_KEY = "__accord_record_key"


def _with_keys(source: Any, record_keys: Any) -> Any:
    """The source as an Arrow table with each row's record key beside it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if isinstance(source, str | Path) and str(source).endswith(".parquet"):
        source = pq.read_table(source)
    if not isinstance(source, pa.Table):
        raise ValueError("record keys need a Parquet file or an Arrow table as the source")
    keys = np.asarray(record_keys, dtype=np.int64)
    if len(keys) != source.num_rows:
        raise ValueError(f"{len(keys)} record keys for {source.num_rows} rows")
    return source.append_column(_KEY, pa.array(keys))


def _source_sql(con: Any, source: Any) -> str:
    if isinstance(source, str | Path):
        path = str(source)
        if path.endswith(".parquet"):
            return f"read_parquet('{path.replace(chr(39), chr(39) * 2)}')"
        if path.endswith(".csv"):
            return f"read_csv_auto('{path.replace(chr(39), chr(39) * 2)}')"
        return _quote(path)  # a table or view already in the connection
    con.register("accord_tabulate_source", source)
    return "accord_tabulate_source"


def _grid(
    cells: dict[str, Any], shape: tuple[int, int], value: str | None, k: int, record_keys: Any
) -> tuple[CellStats, np.ndarray[Any, np.dtype[np.int64]] | None]:
    """Scatter the GROUP BY's cells into dense grids; absent combinations are empty cells."""
    ri = np.asarray(cells["ri"], dtype=np.int64)
    ci = np.asarray(cells["ci"], dtype=np.int64)
    count = np.zeros(shape, dtype=np.int64)
    count[ri, ci] = cells["n"]
    if value is None:
        grid = CellStats(count=count)
    else:
        total = np.zeros(shape, dtype=np.float64)
        total[ri, ci] = cells["total"]
        neg = np.zeros(shape, dtype=np.int64)
        neg[ri, ci] = cells["neg"]
        top = np.zeros((*shape, k), dtype=np.float64)
        for i in range(k):
            top[ri, ci, i] = cells[f"t{i}"]
        grid = CellStats(count=count, total=total, top=top, negatives=neg)
    keys = None
    if record_keys is not None:
        keys = np.zeros(shape, dtype=np.int64)
        keys[ri, ci] = cells["ckey"]
    return grid, keys


def tabulate(
    source: Any,
    rows: Sequence[str],
    columns: Sequence[str],
    value: str | None = None,
    *,
    top_n: int = 2,
    connection: Any = None,
    record_keys: Any = None,
) -> AggregateTable:
    """Counts (or counts and totals of ``value``) by ``rows`` x ``columns``.

    ``source`` is a Parquet or CSV path, the name of a table in ``connection``, or
    anything DuckDB can scan (a pyarrow Table, a pandas DataFrame). ``record_keys``
    (one per source row, in row order) adds each cell's key for cell-key perturbation.
    """
    from contextlib import ExitStack

    from accord.engine.bounds import bounded_duckdb

    if not rows or not columns:
        raise ValueError("a table needs at least one row and one column variable")
    stack = ExitStack()
    # A connection of its own is bounded like every query (memory, threads, time, slot).
    con = (
        connection
        if connection is not None
        else stack.enter_context(bounded_duckdb(what="aggregate"))
    )
    try:
        if record_keys is not None:
            source = _with_keys(source, record_keys)
        src = _source_sql(con, source)
        r = ", ".join(_quote(n) for n in rows)
        c = ", ".join(_quote(n) for n in columns)
        present = " AND ".join(f"{_quote(n)} IS NOT NULL" for n in (*rows, *columns))
        stats = "count(*) AS n"
        picks = "n"
        k = max(top_n, 2)
        if record_keys is not None:
            stats += f", sum({_KEY}) % 256 AS ckey"
            picks += ", ckey"
        if value is not None:
            v = f"CAST({_quote(value)} AS DOUBLE)"
            stats += (
                f", coalesce(sum({v}), 0) AS total, max({v}, {k}) AS top,"
                f" count(*) FILTER (WHERE {v} < 0) AS neg"
            )
            picks += ", total, neg, " + ", ".join(
                f"coalesce(top[{i + 1}], 0) AS t{i}" for i in range(k)
            )
        g = f"accord_g_{uuid.uuid4().hex}"
        con.execute(
            f"CREATE TEMP TABLE {g} AS "
            f"SELECT {r}, {c}, {stats} FROM {src} WHERE {present} GROUP BY ALL"
        )
        try:
            row_labels = tuple(
                tuple(x)
                for x in con.execute(f"SELECT DISTINCT {r} FROM {g} ORDER BY ALL").fetchall()
            )
            column_labels = tuple(
                tuple(x)
                for x in con.execute(f"SELECT DISTINCT {c} FROM {g} ORDER BY ALL").fetchall()
            )
            cells = con.execute(
                f"""
                WITH rk AS (SELECT {r}, row_number() OVER (ORDER BY {r}) - 1 AS ri
                            FROM (SELECT DISTINCT {r} FROM {g})),
                     ck AS (SELECT {c}, row_number() OVER (ORDER BY {c}) - 1 AS ci
                            FROM (SELECT DISTINCT {c} FROM {g}))
                SELECT ri, ci, {picks} FROM {g} JOIN rk USING ({r}) JOIN ck USING ({c})
                """
            ).fetchnumpy()
        finally:
            con.execute(f"DROP TABLE IF EXISTS {g}")
    finally:
        stack.close()
    grid, keys = _grid(cells, (len(row_labels), len(column_labels)), value, k, record_keys)
    return AggregateTable(
        cell_keys=keys,
        rows=tuple(rows),
        columns=tuple(columns),
        value=value,
        row_labels=row_labels,
        column_labels=column_labels,
        stats=grid,
    )
