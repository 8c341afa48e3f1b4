"""Batch validation: "93% of your batch met the criteria", never which records.

A requester without a per-record gateway (seed 001's local authority checking a
contractor's claims) submits identifiers and learns one proportion. The answer must
not let them learn any one person's eligibility, even by submitting batches that
differ by one person over and over (differencing). Three defences, in order:

1. **Overlap control.** A batch more than ``max_overlap`` of whose records were in
   the requester's earlier batches for the same check is refused before anything is
   computed: a differencing pair is almost entirely overlap.
2. **A privacy budget that bounds people, not accounts.** The eligible count is
   released through OpenDP's discrete Laplace mechanism with epsilon
   ``epsilon_per_batch`` (counting has sensitivity 1 under adding or removing a
   person). The data owner declares a total epsilon for the dataset's *lineage* (the
   dataset across all its versions), once, never renewed; each agreement under which
   batches are answered is allocated up to ``budget`` of it (at its first batch), and
   every organisation, principal and check acting under that agreement draws on that
   one allocation. No set of agreements, organisations, principals or checks can spend
   more than the lineage total, so pure epsilon-differential privacy bounds the
   accuracy of guessing one person's eligibility (from an even prior), for every
   attacker, every number of colluders and every number of batches, by
   e^total / (1 + e^total): the default total, 0.4 < ln 1.5, keeps it under 0.60.
3. **Threshold and rounding.** Both the (noisy) pass and fail counts must reach the
   threshold, or the answer would say "almost all" or "almost none"; the proportion
   is rounded to ``rounding`` or reported in bands. Both are post-processing of the
   noisy count, so they cost no privacy, and the refusal itself reveals nothing more.

Every refusal that does not need the data (minimum batch size, overlap, a spent
budget) is decided by :func:`refuse_before_data` *before* the data is read, so it
costs no budget and takes no data-dependent time; anything that looks at the data
(:func:`answer_count`) costs epsilon.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "DEFAULT_LINEAGE_EPSILON",
    "MAX_BATCH_RECORDS",
    "BatchAnswer",
    "BatchCheck",
    "BatchOutcome",
    "BatchPolicy",
    "BatchRecord",
    "BudgetState",
    "accuracy_bound",
    "answer_count",
    "coerce_criterion",
    "discrete_laplace",
    "refuse_before_data",
    "validate_batch",
]

Noise = Callable[[int], int]
"""Adds noise to a count; :func:`discrete_laplace` builds the OpenDP one."""


MAX_BATCH_RECORDS = 100_000
"""The most identifiers one batch may hold, whatever the setting (the API's schema says so)."""

DEFAULT_LINEAGE_EPSILON = 0.4
"""The total epsilon a dataset lineage allows when its owner declares none (bound < 0.60)."""


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
        """The bound for one agreement's allocation alone; the lineage total bounds them all."""
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


def refuse_before_data(
    records: int, *, seen_before: int, available: float, policy: BatchPolicy
) -> BatchAnswer | None:
    """The refusal owed to a batch before any data is read, or None if it may be answered.

    ``available`` is the epsilon left to the agreement the batch is submitted under
    (its allocation less what it has spent, or what the lineage could still allocate).
    Decided on what the requester sent and what the store says they spent, never on
    the owner's records: a refusal here costs nothing and reveals nothing.
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
    if policy.epsilon_per_batch > available + 1e-12:
        return BatchAnswer(
            BatchOutcome.REFUSED,
            records,
            "the privacy budget for this data under your agreement is spent "
            f"({max(available, 0.0):.2f} left, {policy.epsilon_per_batch:.2f} needed)",
        )
    return None


def answer_count(records: int, eligible: int, *, policy: BatchPolicy, noise: Noise) -> BatchAnswer:
    """The answer from the true ``eligible`` count: this is what costs ``epsilon_per_batch``."""
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
    check; ``spent`` is the epsilon used so far out of ``policy.budget``. The service
    uses the two halves apart, so that it reads the data only when nothing refuses first.
    """
    refused = refuse_before_data(
        records, seen_before=seen_before, available=policy.budget - spent, policy=policy
    )
    return refused or answer_count(records, eligible, policy=policy, noise=noise)


_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})


def _typed(field: str, data_type: str, value: Any) -> Any:
    """One criterion value as the field's type, or ValueError naming the field."""
    wanted = data_type.upper()
    text = value.strip() if isinstance(value, str) else value
    try:
        if wanted == "BOOLEAN":
            if isinstance(text, bool):
                return text
            if isinstance(text, str) and text.lower() in _TRUE | _FALSE:
                return text.lower() in _TRUE
            raise ValueError
        if wanted == "BIGINT":
            if isinstance(text, bool) or (isinstance(text, float) and not text.is_integer()):
                raise ValueError
            return int(text)
        if wanted == "DOUBLE":
            if isinstance(text, bool):
                raise ValueError
            number = float(text)
            if math.isnan(number):
                raise ValueError
            return number
        if wanted == "DATE":
            return text if isinstance(text, date) else date.fromisoformat(str(text)).isoformat()
        if wanted == "TIMESTAMP":
            return datetime.fromisoformat(str(text)).isoformat()
    except (TypeError, ValueError):
        kind = {
            "BOOLEAN": "true or false",
            "BIGINT": "a whole number",
            "DOUBLE": "a number",
            "DATE": "a date (YYYY-MM-DD)",
            "TIMESTAMP": "a date and time (ISO 8601)",
        }[wanted]
        raise ValueError(f"criterion {field}: {value!r} is not {kind}") from None
    if isinstance(text, bool | int | float):
        return str(text)
    if not isinstance(text, str):
        raise ValueError(f"criterion {field}: {value!r} is not text")
    return text


def coerce_criterion(
    criterion: Mapping[str, Sequence[Any]], types: Mapping[str, str]
) -> dict[str, list[Any]]:
    """The criterion with every value as its field's type (``in_work=false`` is a boolean).

    Comparing a boolean, date or number column with text made the query fail for every
    batch; the values are typed once, when the check is defined, and a value that is not
    of its field's type is refused then, naming the field. Dates are kept as ISO text
    (the check is stored as JSON) and cast in the query.
    """
    typed: dict[str, list[Any]] = {}
    for name, values in criterion.items():
        if name not in types:
            raise ValueError(f"criterion {name}: the dataset has no such field")
        if isinstance(values, str) or not values:
            raise ValueError(f"criterion {name}: give one or more values")
        typed[name] = [_typed(name, types[name], v) for v in values]
    return typed


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
class BudgetState:
    """Where a lineage's epsilon stands for one agreement (read before any data is)."""

    dataset_id: str
    total: float
    """Declared once for the lineage; what every adversary together can combine."""
    allocated: float
    """Held by all agreements together (never more than ``total``)."""
    agreement_allocated: float | None
    """This agreement's allocation, or None until its first batch is answered."""
    agreement_spent: float = 0.0

    def available(self, allocation: float) -> float:
        """Epsilon this agreement can still spend, given the check's ``allocation``."""
        if self.agreement_allocated is None:
            return max(0.0, min(allocation, self.total - self.allocated))
        return max(0.0, self.agreement_allocated - self.agreement_spent)

    @property
    def attacker_accuracy_bound(self) -> float:
        return accuracy_bound(self.total)


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """One submitted batch and what it was told: kept for overlap control and audit."""

    id: str
    check_id: str
    organisation_id: str
    actor: str
    answer: BatchAnswer
    created_at: Any
