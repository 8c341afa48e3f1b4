"""A NaN among a cell's values makes its total unknown: the published table withholds
the cell and the margins it feeds, flagged ``MISSING``, rather than showing 0."""

from __future__ import annotations

import math
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from accord.disclosure.rules import DisclosureRules, Flag
from accord.services.disclosure import Protection, _protect


@pytest.mark.parametrize("protection", [Protection.SUPPRESS, Protection.ROUND])
def test_a_sum_over_a_missing_value_is_withheld_not_published_as_zero(
    tmp_path: Path, protection: Protection
) -> None:
    areas, benefits, amounts = [], [], []
    for area in ("A", "B"):
        for benefit in ("CA", "PIP"):
            for i in range(30):
                areas.append(area)
                benefits.append(benefit)
                amounts.append(100.0 + i)
    amounts[0] = math.nan  # one person in (A, CA) has no recorded amount
    path = tmp_path / "claims.parquet"
    pq.write_table(pa.table({"area": areas, "benefit": benefits, "amount": amounts}), path)
    rules = DisclosureRules(threshold=10, nk_k=1.0, p_ratio=0.0)
    out = _protect(str(path), ["area"], ["benefit"], "amount", protection, rules)
    table = out.table
    rows = [label[0] for label in table.row_labels]
    cols = [label[0] for label in table.column_labels]
    a, ca = rows.index("A"), cols.index("CA")
    assert table.values[a][ca] is None
    assert table.flags[a][ca] & Flag.MISSING
    # The margins the missing value feeds are unknown too; the others are published.
    assert table.values[a][-1] is None
    assert table.values[-1][ca] is None
    assert table.values[-1][-1] is None
    b, pip = rows.index("B"), cols.index("PIP")
    assert table.values[b][pip] is not None
    assert table.values[b][pip] > 0
