"""Output controls on in-place query results: the agreement's terms, applied per group.

Under an agreement whose data leaves only as aggregates (see
:func:`accord.core.plan.aggregate_query.aggregates_only`), a query is rewritten so the
engine reports each group's true count of records and, for each SUM or AVG, what the
dominance rules need; then, with the project's disclosure rules set from the agreement
(threshold ``min_cell_count``, ``rounding_base``):

1. a group whose true count is under the threshold is not released at all (its key
   would say that somebody with that combination exists);
2. a count under the threshold (a COUNT(DISTINCT), a COUNT_IF, a filtered COUNT) is
   suppressed, and every count that is released is rounded to the base, or, where the
   agreement sets ``cell_key_perturbation``, perturbed by the cell-key method (the
   group's key is the sum of its records' keys, each a hash of the record, so the same
   group is perturbed the same way in every query; a count perturbed under the
   threshold is withheld as well);
3. a SUM or AVG is suppressed when fewer than the threshold records contribute a
   non-zero value (so SUM of a 0/1 column is a count, and treated as one), when the
   NK or p% dominance rule fails, or when a contribution is negative; a released SUM
   is rounded to the base, a released mean to two decimal places.

Rounding means that two queries whose groups differ by one person cannot both be
answered exactly, so their difference is a multiple of the base, never the one person.
The same query over the same data always gives the same answer (rounding is
deterministic). Under any other agreement the query's rows pass unchanged, within the
agreement's row cap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from accord.core.governance.agreement import AgreementPolicy
from accord.core.plan.aggregate_query import (
    CELL_KEY,
    TRUE_COUNT,
    AggregateQuery,
    ResultKind,
    aggregate_query,
    aggregates_only,
)
from accord.core.plan.query import CheckedQuery
from accord.disclosure.cellkey import PTable
from accord.disclosure.primary import CellStats, primary_flags, round_to_base
from accord.disclosure.rules import DisclosureRules

__all__ = ["QueryControl", "control_query", "rules_for"]


def rules_for(policy: AgreementPolicy) -> DisclosureRules:
    """The disclosure rules an agreement's output controls set (others at their defaults)."""
    controls = policy.output_controls
    return DisclosureRules(threshold=controls.min_cell_count, rounding_base=controls.rounding_base)


@dataclass(frozen=True, slots=True)
class QueryControl:
    """What runs for a checked query, and what is done to its result before release."""

    tree: exp.Query
    aggregate: AggregateQuery | None = None
    rules: DisclosureRules = field(default_factory=DisclosureRules)

    def sql(self, dialect: str = "duckdb") -> str:
        return self.tree.sql(dialect=dialect)

    def release(self, table: pa.Table) -> tuple[pa.Table, dict[str, Any]]:
        """The releasable table and a report of what was done (empty when nothing was)."""
        if self.aggregate is None:
            return table, {}
        return _protect(self.aggregate, table, self.rules)


def control_query(checked: CheckedQuery, policy: AgreementPolicy) -> QueryControl:
    """The controlled query for ``policy``; a ValidationError says what cannot be controlled."""
    if not aggregates_only(policy):
        return QueryControl(checked.tree)
    perturb = policy.output_controls.cell_key_perturbation
    query = aggregate_query(checked, cell_keys=perturb)
    return QueryControl(query.tree, query, rules_for(policy))


@cache
def _ptable() -> PTable:
    """The default perturbation table (D=3, V=1), built once per process."""
    return PTable.build()


def _numbers(table: pa.Table, column: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    values = table.column(column).to_numpy(zero_copy_only=False)
    return np.asarray([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def _top(table: pa.Table, column: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    rows = table.column(column).to_pylist()
    top = np.zeros((len(rows), 2), dtype=np.float64)
    for i, values in enumerate(rows):
        for j, value in enumerate((values or [])[:2]):
            top[i, j] = float(value) if value is not None else 0.0
    return top


def _protect(
    query: AggregateQuery, table: pa.Table, rules: DisclosureRules
) -> tuple[pa.Table, dict[str, Any]]:
    true_count = _numbers(table, TRUE_COUNT)
    keep = true_count >= rules.threshold
    kept = table.filter(pa.array(keep))
    suppressed_cells = 0
    released: dict[str, pa.Array] = {}
    for column in query.columns:
        if column.kind is ResultKind.KEY:
            released[column.column] = kept.column(column.column).combine_chunks()
            continue
        raw = _numbers(kept, column.column)
        if column.kind is ResultKind.COUNT and query.cell_keys:
            keys = _numbers(kept, CELL_KEY).astype(np.int64)
            counts = np.nan_to_num(raw).astype(np.int64)
            shown = _ptable().apply(counts, keys).astype(np.float64)
            # A perturbed count under the threshold is withheld too, so none is shown.
            unsafe = np.isnan(raw) | (raw < rules.threshold) | (shown < rules.threshold)
        elif column.kind is ResultKind.COUNT:
            unsafe = np.isnan(raw) | (raw < rules.threshold)
            shown = round_to_base(np.nan_to_num(raw), rules.rounding_base).astype(np.float64)
        else:
            stats = CellStats(
                count=_numbers(kept, column.helper("nz")).astype(np.int64),
                total=_numbers(kept, column.helper("total")),
                top=_top(kept, column.helper("top")),
                negatives=_numbers(kept, column.helper("neg")).astype(np.int64),
            )
            unsafe = (primary_flags(stats, rules) != 0) | np.isnan(raw)
            shown = (
                round_to_base(np.nan_to_num(raw), rules.rounding_base).astype(np.float64)
                if column.kind is ResultKind.SUM
                else np.round(np.nan_to_num(raw), 2)
            )
        suppressed_cells += int(unsafe.sum())
        mask = pa.array(unsafe)
        # Released counts and sums are whole multiples of the base (or perturbed counts).
        kind = pa.float64() if column.kind is ResultKind.MEAN else pa.int64()
        hidden = pa.scalar(None, kind)
        released[column.column] = pc.if_else(mask, hidden, pa.array(shown).cast(kind))
    out = pa.table({c.column: released[c.column] for c in query.columns})
    if query.order:
        out = out.sort_by(
            [(name, "descending" if desc else "ascending") for name, desc in query.order]
        )
    end = None if query.limit is None else query.offset + query.limit
    out = out.slice(query.offset, None if end is None else max(end - query.offset, 0))
    out = out.rename_columns([c.name for c in query.columns])
    report = {
        "aggregates_only": True,
        "threshold": rules.threshold,
        "rounding_base": rules.rounding_base,
        "counts": "cell-key perturbation" if query.cell_keys else "rounded",
        "groups_suppressed": int((~keep).sum()),
        "cells_suppressed": suppressed_cells,
    }
    return out, report
