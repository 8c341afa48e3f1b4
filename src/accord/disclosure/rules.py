"""The disclosure rules Accord applies, their defaults, and where each default comes from.

Every default is a published practice, not a number we chose: the Office for National
Statistics (ONS) and the ACRO tool (Automatic Checking of Research Outputs, used by UK
trusted research environments under the SACRO guidelines) agree on all of them. A data
owner may tighten a rule for a dataset; the defaults are the floor the docs promise.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntFlag

__all__ = ["ACRO_CHECKS", "RULE_SOURCES", "DisclosureRules", "Flag"]


class Flag(IntFlag):
    """Why a cell is unsafe. A cell's flags are a bitmask, so one pass sets them all."""

    THRESHOLD = 1
    """Fewer contributors than the threshold."""
    NK = 2
    """The largest n contributors make up k or more of the total."""
    P_RATIO = 4
    """The rest of the cell tells the second largest too little about the largest."""
    ZERO = 8
    """An empty cell: it says nobody in this group has the characteristic."""
    NEGATIVE = 16
    """A contributor is negative, so dominance is undefined for the cell."""
    SECONDARY = 32
    """Safe itself, but suppressed so that a primary cell cannot be recovered."""
    MISSING = 64
    """A contributor's value is missing (NaN), so the cell's total is unknown, not 0."""


ACRO_CHECKS: dict[Flag, str] = {
    Flag.THRESHOLD: "MinimumThresholdCheck",
    Flag.NK: "NKCheck",
    Flag.P_RATIO: "PPercentCheck",
    Flag.ZERO: "PresenceOfZeroCheck",
}
"""Each primary flag and the name ACRO 1.x gives the same check in its outcome tables."""


@dataclass(frozen=True, slots=True)
class DisclosureRules:
    """The parameters of primary suppression and rounding. Defaults: see RULE_SOURCES."""

    threshold: int = 10
    nk_n: int = 2
    nk_k: float = 0.9
    p_ratio: float = 0.1
    zeros_flagged: bool = True
    rounding_base: int = 5

    def __post_init__(self) -> None:
        if self.threshold < 1:
            raise ValueError("the threshold must be at least 1")
        if self.nk_n < 1 or not 0.0 < self.nk_k <= 1.0:
            raise ValueError("NK dominance needs n >= 1 and 0 < k <= 1")
        if not 0.0 <= self.p_ratio < 1.0:
            raise ValueError("the p-ratio must be in [0, 1)")
        if self.rounding_base < 1:
            raise ValueError("the rounding base must be at least 1")

    def as_dict(self) -> dict[str, object]:
        return {
            "threshold": self.threshold,
            "nk_n": self.nk_n,
            "nk_k": self.nk_k,
            "p_ratio": self.p_ratio,
            "zeros_flagged": self.zeros_flagged,
            "rounding_base": self.rounding_base,
        }


RULE_SOURCES: dict[str, str] = {
    "threshold": (
        "10: ACRO default.yaml `safe_threshold: 10`; the SACRO guide's minimum frequency "
        "of 10 for tables; ONS Safe Researcher Training's rule of thumb for research outputs."
    ),
    "nk_n": "2: ACRO `safe_nk_n: 2`; the ONS/GSS (n, k) dominance rule for magnitude tables.",
    "nk_k": (
        "0.9: ACRO `safe_nk_k: 0.90` (a cell fails when the top two make up 90% or more, "
        "ACRO compares with >=); GSS guidance on magnitude tables."
    ),
    "p_ratio": (
        "0.1: ACRO `safe_pratio_p: 0.10` (fails when (total - top1 - top2) / top1 < 0.10); "
        "the p% rule of Hundepool et al., Statistical Disclosure Control (2012), s. 4.2."
    ),
    "zeros_flagged": (
        "true: ACRO `zeros_are_disclosive: True`; ONS treats an empty cell as disclosive "
        "when it reveals that nobody in a group has an attribute (group disclosure)."
    ),
    "rounding_base": (
        "5: ACRO `safe_round_base: 5`; ONS and DWP Stat-Xplore publish benefit counts "
        "rounded to base 5."
    ),
}
"""Where each default comes from; docs/disclosure.md prints this table (a test checks it)."""
