"""Secondary suppression: the LP interval audit proves no suppressed cell is recoverable."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from accord.disclosure.secondary import audit_intervals, secondary_suppress, with_margins


def test_one_suppressed_cell_is_recovered_from_its_margin() -> None:
    grid = with_margins([[20, 3, 15], [12, 14, 30], [25, 40, 18]])
    hidden = np.zeros(grid.shape, dtype=bool)
    hidden[0, 1] = True
    audit = audit_intervals(grid, hidden)
    assert (audit.lower[0, 1], audit.upper[0, 1]) == (3.0, 3.0)
    assert not audit.safe


def test_a_rectangle_of_four_protects_each_other() -> None:
    grid = with_margins([[20, 3, 15], [12, 14, 30], [25, 40, 18]])
    hidden, audit = secondary_suppress(grid, _only(grid.shape, (0, 1)))
    assert audit.safe
    assert hidden.sum() == 4  # the cheapest pattern: a 2 x 2 rectangle
    assert audit.lower[0, 1] == 0
    assert audit.upper[0, 1] == 17


def test_a_bridge_between_two_cycles_is_caught_by_the_audit() -> None:
    """Every line holds two hidden cells, yet one cell is pinned: only the LP sees it."""
    values = np.array([[5, 5, 0, 0], [5, 5, 0, 0], [0, 4, 6, 6], [0, 0, 6, 6]])
    grid = with_margins(values)
    hidden = np.zeros(grid.shape, dtype=bool)
    hidden[:2, :2] = True
    hidden[2:4, 2:4] = True
    # bridge (2, 1) joins the two blocks: its row and column then hold 3 and 3 cells
    hidden[2, 1] = True
    audit = audit_intervals(grid, hidden)
    assert audit.exposed[2, 1]
    protected, final = secondary_suppress(grid, hidden)
    assert final.safe
    assert protected[hidden].all()


def _only(shape: tuple[int, ...], cell: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    mask[cell] = True
    return mask


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.int64, st.tuples(st.integers(2, 6), st.integers(2, 5)), elements=st.integers(0, 40))
)
def test_after_secondary_suppression_no_hidden_cell_is_recoverable(values: np.ndarray) -> None:
    grid = with_margins(values)
    primary = np.zeros(grid.shape, dtype=bool)
    primary[:-1, :-1] = (values > 0) & (values < 10)
    hidden, audit = secondary_suppress(grid, primary)
    assert hidden[primary].all()
    assert audit.safe
    # the audit's intervals contain the truth
    cells = np.argwhere(hidden)
    for i, j in cells:
        assert audit.lower[i, j] - 1e-6 <= grid[i, j] <= audit.upper[i, j] + 1e-6
