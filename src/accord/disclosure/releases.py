"""What each recipient has received of a table, and the checks that keep releases apart.

Protection that holds for one table can fail across several. Two attacks shape this
module:

- **Combining methods.** The same table published once suppressed, once rounded and
  once perturbed narrows a hidden cell to a handful of values. So the first release
  of a lineage (a source dataset, whatever its version) fixes the protection method
  for every later release of it: :func:`protection_conflict`.
- **Differencing.** Two releases with exact figures (suppression leaves every shown
  cell and margin exact) differ by exactly the people who changed; a margin that grew
  by one isolates one new claimant. So every release records the true count behind
  each cell and whether it was shown exactly, and a later release whose exact
  difference from an earlier one is between 1 and the threshold - 1 people is refused:
  :func:`differencing_cells`. Perturbed releases (cell keys, margins included) and
  rounded ones never show an exact figure, so they are not refused on this ground; a
  cell key stable per person makes their noise repeat instead.

Pure: the service reads the earlier releases from the store and writes the new one
with its audit event.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "PUBLIC",
    "CellRecord",
    "TableRelease",
    "cell_label",
    "cells_from_json",
    "cells_to_json",
    "differencing_cells",
    "protection_conflict",
]

PUBLIC = "public"
"""The recipient of a table published in the catalogue: anyone."""


def cell_label(row: Sequence[Any] | None, column: Sequence[Any] | None) -> str:
    """A cell's stable name across releases: its labels, ``null`` for a margin."""
    return json.dumps(
        [None if row is None else list(row), None if column is None else list(column)],
        default=str,
        separators=(",", ":"),
    )


@dataclass(frozen=True, slots=True)
class CellRecord:
    people: int
    """The true number of contributors (the owner's record, never published)."""
    exact: bool
    """Whether the release showed this figure exactly (not hidden, rounded or perturbed)."""


@dataclass(frozen=True, slots=True)
class TableRelease:
    """One table as one recipient received it."""

    id: str
    source_dataset_id: str
    source_version: int
    recipient: str
    """An organisation id, or :data:`PUBLIC` for a published product."""
    product: str
    """The published dataset (``org/name``) or the agreement it was released under."""
    protection: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    value: str | None
    cells: Mapping[str, CellRecord]
    created_at: datetime

    @property
    def shape(self) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
        return (self.rows, self.columns, self.value)


def protection_conflict(earlier: Iterable[TableRelease], protection: str) -> str | None:
    """Why ``protection`` may not be used on this lineage, or None when it may."""
    for release in earlier:
        if release.protection != protection:
            return (
                f"{release.source_dataset_id} was released with protection "
                f"{release.protection!r} ({release.product}); one lineage keeps one method, "
                f"because tables protected by two methods combine to narrow hidden cells: "
                f"publish with {release.protection!r}"
            )
    return None


def differencing_cells(
    earlier: Iterable[TableRelease],
    shape: tuple[tuple[str, ...], tuple[str, ...], str | None],
    recipient: str,
    cells: Mapping[str, CellRecord],
    threshold: int,
) -> list[str]:
    """Cells whose exact figure differs from an earlier exact one by 1..threshold-1 people.

    Only releases the same recipient received (the public receives every published one)
    and of the same shape are compared, cell by cell under the same labels.
    """
    found: list[str] = []
    for release in earlier:
        if release.shape != shape or release.recipient not in (recipient, PUBLIC):
            continue
        for label, cell in cells.items():
            before = release.cells.get(label)
            if before is None or not (cell.exact and before.exact):
                continue
            if 0 < abs(cell.people - before.people) < threshold and label not in found:
                found.append(label)
    return found


def cells_to_json(cells: Mapping[str, CellRecord]) -> str:
    return json.dumps({k: [c.people, c.exact] for k, c in cells.items()}, separators=(",", ":"))


def cells_from_json(text: str) -> dict[str, CellRecord]:
    return {k: CellRecord(int(v[0]), bool(v[1])) for k, v in json.loads(text).items()}
