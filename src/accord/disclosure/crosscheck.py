"""Cell-by-cell comparison of Accord's primary flags with ACRO's outcome tables.

Each place where Accord deliberately differs from ACRO is an :class:`ExpectedDifference`
with its reason; any other disagreement is a bug in one of the two, and the tests
fail on it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from accord.disclosure.aggregate import AggregateTable
from accord.disclosure.primary import FlagArray
from accord.disclosure.rules import ACRO_CHECKS, Flag

__all__ = ["EXPECTED_DIFFERENCES", "Agreement", "ExpectedDifference", "compare_with_acro"]


@dataclass(frozen=True, slots=True)
class ExpectedDifference:
    code: str
    check: str
    reason: str


EXPECTED_DIFFERENCES: tuple[ExpectedDifference, ...] = (
    ExpectedDifference(
        "empty-magnitude-cell",
        "PresenceOfZeroCheck",
        "In a magnitude (sum) table Accord flags an empty cell as `zero` as well as below "
        "the threshold; ACRO runs its zero check on frequency tables only. Both suppress the "
        "cell; Accord's output names the group-disclosure reason too.",
    ),
    ExpectedDifference(
        "negative-contribution",
        "NKCheck/PPercentCheck",
        "Where a contributor is negative ACRO marks the whole table for review and the "
        "negative cells under its dominance checks; Accord flags those cells `negative` and "
        "leaves the rest of the table to the rules. (The property tests draw non-negative "
        "values; this is covered by a unit test.)",
    ),
)


def _names(outcome: str) -> frozenset[str]:
    return frozenset(p.strip() for p in outcome.split(";") if p.strip() and p.strip() != "ok")


def _accord_names(flags: int, magnitude: bool) -> frozenset[str]:
    names = {name for flag, name in ACRO_CHECKS.items() if flags & flag}
    if magnitude:
        names.discard(ACRO_CHECKS[Flag.ZERO])
    return frozenset(names)


@dataclass
class Agreement:
    tables: int = 0
    cells: int = 0
    agreeing: int = 0
    expected: Counter[str] = field(default_factory=Counter)
    flagged: Counter[str] = field(default_factory=Counter)
    disagreements: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "tables": self.tables,
            "cells": self.cells,
            "agreeing_cells": self.agreeing,
            "expected_differences": dict(self.expected),
            "unexpected_differences": len(self.disagreements),
            "cells_flagged_by_check": dict(self.flagged),
        }


def compare_with_acro(
    table: AggregateTable,
    flags: FlagArray,
    acro: dict[str, Any],
    agreement: Agreement,
    *,
    label: str = "",
) -> None:
    """Add one table's comparison to ``agreement``; cells are matched by label."""
    magnitude = table.value is not None
    index = {
        str(lab[0]) if len(lab) == 1 else str(lab): i for i, lab in enumerate(table.row_labels)
    }
    columns = {
        str(lab[0]) if len(lab) == 1 else str(lab): j for j, lab in enumerate(table.column_labels)
    }
    agreement.tables += 1
    if set(acro["rows"]) != set(index) or set(acro["columns"]) != set(columns):
        agreement.disagreements.append({"table": label, "problem": "different labels"})
        return
    for a, row in enumerate(acro["rows"]):
        for b, col in enumerate(acro["columns"]):
            i, j = index[row], columns[col]
            theirs = _names(acro["outcome"][a][b])
            cell = int(flags[i, j])
            ours = _accord_names(cell, magnitude)
            agreement.cells += 1
            for name in theirs:
                agreement.flagged[name] += 1
            if magnitude and cell & Flag.ZERO:
                agreement.expected["empty-magnitude-cell"] += 1
            if ours == theirs:
                agreement.agreeing += 1
            else:
                agreement.disagreements.append(
                    {
                        "table": label,
                        "row": row,
                        "column": col,
                        "accord": sorted(ours),
                        "acro": sorted(theirs),
                    }
                )
