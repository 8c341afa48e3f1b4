"""Batch validation: "93% of your batch met the criteria", never which records.

A requester without a per-record gateway (seed 001's local authority checking a
contractor's claims) submits identifiers and learns one proportion. The answer must
not let them learn any one person's eligibility, even by submitting batches that
differ by one person over and over (differencing). Three defences, in order:

1. **Overlap control.** A batch more than ``max_overlap`` of whose records were in
   the requester's earlier batches for the same check is refused before anything is
   computed: a differencing pair is almost entirely overlap.
2. **A privacy budget.** The eligible count is released through OpenDP's discrete
   Laplace mechanism with epsilon ``epsilon_per_batch`` (counting has sensitivity 1
   under adding or removing a person); the requester's total epsilon for a check is
   capped at ``budget`` and requests are refused once it is spent. For any attacker
   and any number of batches, pure epsilon-differential privacy bounds the accuracy
   of guessing one person's eligibility (from an even prior) by
   e^eps / (1 + e^eps): the default budget, 0.4 < ln 1.5, keeps it under 0.60.
3. **Threshold and rounding.** Both the (noisy) pass and fail counts must reach the
   threshold, or the answer would say "almost all" or "almost none"; the proportion
   is rounded to ``rounding`` or reported in bands. Both are post-processing of the
   noisy count, so they cost no privacy, and the refusal itself reveals nothing more.

The minimum batch size and overlap checks depend only on what the requester sent,
so refusing on them costs no budget; anything that looks at the data does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = [
    "BatchAnswer",
    "BatchCheck",
    "BatchOutcome",
    "BatchPolicy",
    "BatchRecord",
    "accuracy_bound",
    "discrete_laplace",
    "validate_batch",
]

Noise = Callable[[int], int]
"""Adds noise to a count; :func:`discrete_laplace` builds the OpenDP one."""


def accuracy_bound(epsilon: float) -> float:
    """The best any attacker can do at guessing one bit under epsilon-DP (even prior)."""
    return math.exp(epsilon) / (1.0 + math.exp(epsilon))


@dataclass(frozen=True, slots=True)
class BatchPolicy:
    min_batch: int = 100
    threshold: int = 10
    epsilon_per_batch: float = 0.1
    budget: float = 0.4
    max_overlap: float = 0.5
    rounding: float = 0.01
    band: float = 0.0
    """When above 0, answer with a band of this width ("90% to 95%") instead."""

    def __post_init__(self) -> None:
        if self.min_batch < 2 * self.threshold:
            raise ValueError(
                "the minimum batch must leave room for both counts to reach the threshold"
            )
        if not 0 < self.epsilon_per_batch <= self.budget:
            raise ValueError("each batch's epsilon must be positive and within the budget")
        if not 0.0 <= self.max_overlap <= 1.0 or self.rounding <= 0 or self.band < 0:
            raise ValueError("overlap in [0, 1], rounding > 0 and band >= 0")

    @property
    def attacker_accuracy_bound(self) -> float:
        return accuracy_bound(self.budget)

    def as_dict(self) -> dict[str, Any]:
        return {
            "min_batch": self.min_batch,
            "threshold": self.threshold,
            "epsilon_per_batch": self.epsilon_per_batch,
            "budget": self.budget,
            "max_overlap": self.max_overlap,
            "rounding": self.rounding,
            "band": self.band,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BatchPolicy:
        return cls(**data)


class BatchOutcome(StrEnum):
    ANSWERED = "answered"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class BatchAnswer:
    outcome: BatchOutcome
    records: int
    reason: str
    epsilon: float = 0.0
    """What this batch cost the requester's budget (0 when refused before the data)."""
    proportion: float | None = None
    band: tuple[float, float] | None = None

    def text(self) -> str:
        if self.outcome is BatchOutcome.REFUSED:
            return f"refused: {self.reason}"
        if self.band is not None:
            return (
                f"between {self.band[0]:.0%} and {self.band[1]:.0%} of your batch met the criteria"
            )
        return f"{self.proportion:.0%} of your batch met the criteria"


def discrete_laplace(epsilon: float) -> Noise:
    """OpenDP's discrete Laplace on integer counts, with its privacy map checked."""
    import opendp.prelude as dp

    dp.enable_features("contrib")
    measurement = dp.m.make_laplace(
        dp.atom_domain(T=int), dp.absolute_distance(T=int), scale=1.0 / epsilon
    )
    spent = float(measurement.map(1))  # type: ignore[no-untyped-call]
    if spent > epsilon * (1 + 1e-9):
        raise ValueError(f"OpenDP says this mechanism costs {spent}, more than {epsilon}")

    def noise(count: int) -> int:
        return int(measurement(int(count)))

    return noise


def validate_batch(
    records: int,
    eligible: int,
    *,
    seen_before: int,
    spent: float,
    policy: BatchPolicy,
    noise: Noise,
) -> BatchAnswer:
    """The answer for a batch of ``records`` distinct people, ``eligible`` of them eligible.

    ``seen_before`` is how many of them were in the requester's earlier batches for this
    check; ``spent`` is the epsilon they have used on it so far.
    """
    if records < policy.min_batch:
        return BatchAnswer(
            BatchOutcome.REFUSED,
            records,
            f"a batch needs at least {policy.min_batch} distinct records; this has {records}",
        )
    if seen_before > policy.max_overlap * records:
        return BatchAnswer(
            BatchOutcome.REFUSED,
            records,
            f"{seen_before} of {records} records were in your earlier batches; at most "
            f"{policy.max_overlap:.0%} may overlap, so that batches cannot be differenced",
        )
    if spent + policy.epsilon_per_batch > policy.budget + 1e-12:
        return BatchAnswer(
            BatchOutcome.REFUSED,
            records,
            f"your privacy budget for this check is spent ({spent:.2f} of {policy.budget:.2f})",
        )
    noisy = min(max(noise(eligible), 0), records)
    epsilon = policy.epsilon_per_batch
    if noisy < policy.threshold or records - noisy < policy.threshold:
        return BatchAnswer(
            BatchOutcome.REFUSED,
            records,
            f"fewer than {policy.threshold} records passed or failed, so the proportion "
            "would come close to identifying them",
            epsilon,
        )
    share = noisy / records
    if policy.band:
        low = math.floor(share / policy.band) * policy.band
        return BatchAnswer(
            BatchOutcome.ANSWERED,
            records,
            "answered",
            epsilon,
            band=(round(low, 6), round(min(low + policy.band, 1.0), 6)),
        )
    rounded = round(math.floor(share / policy.rounding + 0.5) * policy.rounding, 6)
    return BatchAnswer(BatchOutcome.ANSWERED, records, "answered", epsilon, proportion=rounded)


@dataclass(frozen=True, slots=True)
class BatchCheck:
    """A data owner's offer of batch validation against one dataset.

    ``criterion`` maps field names to the values that make a record eligible
    (``{"benefit_type": ["JSA", "ESA"]}``); ``requesters`` are the organisations
    allowed to use it until the agreements of the governance module say so instead.
    """

    id: str
    organisation_id: str
    dataset_id: str
    key_field: str
    criterion: dict[str, list[Any]]
    policy: BatchPolicy
    requesters: tuple[str, ...]
    created_at: Any
    description: str = ""


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """One submitted batch and what it was told: kept for overlap control and audit."""

    id: str
    check_id: str
    organisation_id: str
    actor: str
    answer: BatchAnswer
    created_at: Any
