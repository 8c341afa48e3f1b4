"""Secondary suppression, and the LP interval audit that proves it works.

A published two-way table with its margins is a set of linear equations: each row's
cells add up to its row total, each column's to its column total, and the totals to
the grand total. Suppress one cell in a row and it is the row total minus the rest;
so secondary suppression hides further cells until, the audit shows, no hidden cell
can be recovered.

The audit is the attacker's best effort: for every suppressed cell, the smallest and
the largest value it can take given everything published and that counts are not
negative, by linear programming (SciPy's HiGHS). The equations of a two-way table
with margins form a network matrix, which is totally unimodular, so the LP optimum is
attained at whole numbers: the LP interval is exactly what an attacker can learn
about a count, not an approximation. A cell passes when its interval is at least
``min_width`` wide.

The grid passed in includes the margins: shape (R + 1, C + 1), the last row holding
the column totals and the last column the row totals (:func:`with_margins`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["IntervalAudit", "audit_intervals", "secondary_suppress", "with_margins"]

Grid = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]


def with_margins(values: npt.ArrayLike) -> Grid:
    """The (R + 1, C + 1) grid of a table with its row, column and grand totals."""
    inner = np.asarray(values, dtype=np.float64)
    grid = np.zeros((inner.shape[0] + 1, inner.shape[1] + 1))
    grid[:-1, :-1] = inner
    grid[:-1, -1] = inner.sum(axis=1)
    grid[-1, :-1] = inner.sum(axis=0)
    grid[-1, -1] = inner.sum()
    return grid


def _lines(shape: tuple[int, int]) -> list[list[tuple[int, int]]]:
    """Each equation as its cells; the last cell of each line is the line's total."""
    r, c = shape
    return [[(i, j) for j in range(c)] for i in range(r)] + [
        [(i, j) for i in range(r)] for j in range(c)
    ]


@dataclass(frozen=True, slots=True)
class IntervalAudit:
    """For each suppressed cell, what an attacker can learn: [lower, upper]."""

    lower: Grid
    upper: Grid
    suppressed: Mask
    min_width: float

    @property
    def exposed(self) -> Mask:
        """Suppressed cells whose interval is narrower than required."""
        width = np.where(self.suppressed, self.upper - self.lower, np.inf)
        return np.asarray(width < self.min_width - 1e-9)

    @property
    def safe(self) -> bool:
        return not bool(self.exposed.any())


def audit_intervals(
    grid: npt.ArrayLike, suppressed: Mask, *, min_width: float = 1.0
) -> IntervalAudit:
    """Solve min and max of every suppressed cell subject to the published table."""
    from scipy.optimize import linprog
    from scipy.sparse import lil_matrix

    values = np.asarray(grid, dtype=np.float64)
    hidden = np.asarray(suppressed, dtype=bool)
    lower = np.full(values.shape, np.nan)
    upper = np.full(values.shape, np.nan)
    cells = [(int(i), int(j)) for i, j in np.argwhere(hidden)]
    if not cells:
        return IntervalAudit(lower, upper, hidden, min_width)
    index = {cell: k for k, cell in enumerate(cells)}
    lines = _lines(values.shape)
    a_eq = lil_matrix((len(lines), len(cells)))
    b_eq = np.zeros(len(lines))
    for row, line in enumerate(lines):
        *parts, total = line
        for cell, sign in [*((p, 1.0) for p in parts), (total, -1.0)]:
            if cell in index:
                a_eq[row, index[cell]] += sign
            else:
                b_eq[row] -= sign * values[cell]
    keep = np.asarray(a_eq.getnnz(axis=1) > 0)
    a = a_eq.tocsr()[keep]
    b = b_eq[keep]
    for cell, k in index.items():
        objective = np.zeros(len(cells))
        objective[k] = 1.0
        low = linprog(objective, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
        high = linprog(-objective, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
        if low.status != 0 or high.status not in (0, 3):
            raise ValueError(f"the published table is inconsistent at cell {cell}")
        lower[cell] = low.fun
        upper[cell] = np.inf if high.status == 3 else -high.fun
    return IntervalAudit(lower, upper, hidden, min_width)


def _complement(
    values: Grid, hidden: Mask, line: list[tuple[int, int]], avoid: set[tuple[int, int]]
) -> tuple[int, int] | None:
    """The cheapest published cell of a line to hide.

    Inner before totals, because totals are what users want; positive, because a
    hidden zero can only move up, so it protects nothing in the direction a partner
    needs; one that closes a cycle with a line already holding a single hidden cell;
    then the smallest.
    """
    candidates = [cell for cell in line if not hidden[cell] and cell not in avoid]
    if not candidates:
        return None
    last = (values.shape[0] - 1, values.shape[1] - 1)
    is_row = line[0][0] == line[-1][0]

    def cost(cell: tuple[int, int]) -> tuple[int, int, int, float]:
        margin = int(cell[0] == last[0] or cell[1] == last[1])
        # A cell whose other line already holds one hidden cell closes a cycle there.
        cross = hidden[:, cell[1]] if is_row else hidden[cell[0]]
        lonely = int(cross.sum() == 1)
        return (margin, int(values[cell] <= 0), -lonely, float(values[cell]))

    return min(candidates, key=cost)


def secondary_suppress(
    grid: npt.ArrayLike, primary: Mask, *, min_width: float = 1.0, max_rounds: int = 100
) -> tuple[Mask, IntervalAudit]:
    """Hide complementary cells until the interval audit passes; returns both.

    First the classic rule (no line may hold exactly one hidden cell), then the audit;
    each cell it finds exposed gets one more complement in its row, and round again.
    The result is audited before it is returned, so a caller never publishes a
    pattern that was not proved; when no complement is left to pick, the exposed cells'
    whole lines are hidden, and when nothing short of it passes, the whole table.
    """
    values = np.asarray(grid, dtype=np.float64)
    hidden = np.asarray(primary, dtype=bool).copy()
    lines = _lines(values.shape)
    for _ in range(max_rounds):
        changed = True
        while changed:
            changed = False
            for line in lines:
                if sum(hidden[c] for c in line) == 1:
                    pick = _complement(values, hidden, line, set())
                    if pick is not None:
                        hidden[pick] = True
                        changed = True
        audit = audit_intervals(values, hidden, min_width=min_width)
        if audit.safe:
            return hidden, audit
        added = False
        for i, j in np.argwhere(audit.exposed):
            row = lines[int(i)]
            pick = _complement(values, hidden, row, set()) or _complement(
                values, hidden, lines[values.shape[0] + int(j)], set()
            )
            if pick is not None:
                hidden[pick] = True
                added = True
        if not added:
            # No complement is left to pick (a table of zeros, say): hide the exposed
            # cells' whole row and column, margins included, and audit again.
            for i, j in np.argwhere(audit.exposed):
                for cell in (*lines[int(i)], *lines[values.shape[0] + int(j)]):
                    hidden[cell] = True
    # Nothing smaller was proved safe: withhold the whole table rather than publish it.
    hidden[:] = True
    return hidden, audit_intervals(values, hidden, min_width=min_width)
