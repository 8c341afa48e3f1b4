"""Primary suppression: which cells are unsafe on their own, for every cell at once.

A table reaches this module as arrays of per-cell statistics (contributor count,
total, the largest contributions, negatives), never as rows, so a 130,000-cell table
is checked by a handful of NumPy comparisons instead of a Python call per cell
(ACRO's pandas ``aggfunc`` path, which is why it is two orders of magnitude slower).

The comparisons are written exactly as ACRO 1.x writes them (``>=`` for NK, ``<``
for the p-ratio, division in float64) so that the cross-check agrees cell by cell,
boundaries included; docs/disclosure.md lists the places we deliberately differ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from accord.disclosure.rules import DisclosureRules, Flag

__all__ = ["CellStats", "FlagArray", "primary_flags", "round_to_base"]

FlagArray = npt.NDArray[np.uint8]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class CellStats:
    """Per-cell statistics, one entry per cell, in any shape (flattened or a grid).

    ``top`` holds the largest contributions in descending order along its last axis,
    padded with 0 where a cell has fewer contributors; it is None for a frequency
    table (counts only), where the dominance rules do not apply.
    """

    count: IntArray
    total: FloatArray | None = None
    top: FloatArray | None = None
    negatives: IntArray | None = None

    @property
    def magnitude(self) -> bool:
        return self.total is not None

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.count.shape)

    @classmethod
    def from_frequencies(cls, counts: npt.ArrayLike) -> CellStats:
        return cls(count=np.asarray(counts, dtype=np.int64))


def primary_flags(stats: CellStats, rules: DisclosureRules | None = None) -> FlagArray:
    """The flags (see :class:`Flag`) of every cell; 0 means safe on its own."""
    rules = rules or DisclosureRules()
    count = stats.count
    flags = np.zeros(count.shape, dtype=np.uint8)
    flags[count < rules.threshold] |= np.uint8(Flag.THRESHOLD)
    if rules.zeros_flagged:
        flags[count == 0] |= np.uint8(Flag.ZERO)
    if stats.total is None or stats.top is None:
        return flags
    total = stats.total
    top = stats.top
    if top.shape[-1] < max(rules.nk_n, 2):
        raise ValueError(f"the NK and p-ratio rules need the top {max(rules.nk_n, 2)} values")
    occupied = count > 0
    negative = stats.negatives > 0 if stats.negatives is not None else np.zeros(count.shape, bool)
    flags[negative] |= np.uint8(Flag.NEGATIVE)
    # Dominance is undefined where a contributor is negative (ACRO says the same).
    checked = occupied & ~negative
    top_n = top[..., : rules.nk_n].sum(axis=-1)
    top1 = top[..., 0]
    top2_sum = top1 + top[..., 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = top_n / total
        # As ACRO: where the largest is 0, the "ratio" is the remainder itself.
        remainder = total - top2_sum
        p_val = np.where(top1 == 0, remainder, remainder / np.where(top1 == 0, 1.0, top1))
    flags[checked & (share >= rules.nk_k)] |= np.uint8(Flag.NK)
    flags[checked & (p_val < rules.p_ratio)] |= np.uint8(Flag.P_RATIO)
    return flags


def round_to_base(values: npt.ArrayLike, base: int = 5) -> IntArray:
    """Round to the nearest multiple of ``base``, halves away from zero (ONS practice).

    NumPy's ``round`` rounds halves to even, which would publish 2.5 -> 0 beside
    7.5 -> 10; ONS rounds 3-7 to 5 and 8-12 to 10, so halves go up.
    """
    array = np.asarray(values, dtype=np.float64)
    return (np.sign(array) * np.floor(np.abs(array) / base + 0.5) * base).astype(np.int64)
