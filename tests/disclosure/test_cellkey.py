"""Cell-key perturbation: the same cell gets the same answer, whatever the query."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from accord.disclosure.aggregate import tabulate
from accord.disclosure.cellkey import PTable, draw_record_keys


@pytest.mark.parametrize(("d", "v", "js"), [(3, 1.0, 0), (2, 0.5, 0), (5, 3.0, 0), (4, 2.0, 3)])
def test_every_ptable_row_has_mean_zero_and_the_configured_variance(
    d: int, v: float, js: int
) -> None:
    ptable = PTable.build(d, v, js)
    for count in range(len(ptable.perturbation) + 2):
        shares = ptable.shares(count)
        mean = sum(m * p for m, p in shares.items())
        assert mean == 0
        assert all(abs(m) <= d and count + m >= 0 for m in shares)
        if count == 0:
            assert shares == {0: 1.0}
        elif count + min(shares) >= 0 and count >= d + js:
            assert sum(m * m * p for m, p in shares.items()) == pytest.approx(v, abs=0.02)
        if js:
            assert not any(0 < count + m < js for m in shares)


def people(n: int = 20_000) -> pa.Table:
    rng = np.random.default_rng(4)
    lsoa = rng.integers(0, 60, n)
    return pa.table(
        {
            "la": np.where(lsoa < 30, "E07900001", "E07900002"),
            "lsoa": [f"E015{x:05d}" for x in lsoa],
            "benefit": rng.choice(["UC", "ESA", "JSA", "IS"], n, p=[0.7, 0.2, 0.04, 0.06]),
            "sex": rng.choice(["F", "M"], n),
        }
    )


def test_the_same_cell_gets_the_same_perturbation_in_every_query() -> None:
    data = people()
    keys = draw_record_keys(data.num_rows)
    ptable = PTable.build()
    by_lsoa = tabulate(data, ["lsoa"], ["benefit"], record_keys=keys)
    # the same cells reached through a different query: la and lsoa on the rows
    by_la_lsoa = tabulate(data, ["la", "lsoa"], ["benefit"], record_keys=keys)
    # ... and with the rows in a different order in the source
    order = np.random.default_rng(5).permutation(data.num_rows)
    shuffled = tabulate(data.take(order), ["lsoa"], ["benefit"], record_keys=keys[order])
    first = ptable.apply(by_lsoa.stats.count, by_lsoa.cell_keys)
    assert (ptable.apply(by_la_lsoa.stats.count, by_la_lsoa.cell_keys) == first).all()
    assert (ptable.apply(shuffled.stats.count, shuffled.cell_keys) == first).all()
    assert (
        tabulate(data, ["lsoa"], ["benefit"], record_keys=keys).cell_keys == by_lsoa.cell_keys
    ).all()
    # perturbation really happens, within D, never below 0, zeros stay zero
    change = first - by_lsoa.stats.count
    assert (change != 0).any()
    assert np.abs(change).max() <= ptable.d
    assert (first >= 0).all()
    assert (first[by_lsoa.stats.count == 0] == 0).all()


def test_record_keys_come_from_the_csprng_and_differ_per_draw() -> None:
    a, b = draw_record_keys(10_000), draw_record_keys(10_000)
    assert a.dtype == np.uint8
    assert (a != b).mean() > 0.9
    assert 100 < a.mean() < 155
