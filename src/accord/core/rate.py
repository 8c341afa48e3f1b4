"""Token buckets and refusal counts as values: the arithmetic of rate limits, no I/O.

A caller's allowance is a bucket of ``burst`` tokens refilling at ``per_minute`` a
minute. :func:`take` is the whole rule: given the bucket as it was, the time now and
the request's cost, it says whether the request may go, the bucket after, and, when it
may not, how many seconds until it could. The clock is an argument, so the rule is
tested without waiting; :mod:`accord.api.rate_limits` keeps one bucket per caller.

:class:`RefusalTally` is the count of refusals the API does not audit one by one
(unauthenticated and rate-limited requests) over one interval, written as one audit
event when the interval is over.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

__all__ = ["Allowance", "Bucket", "RefusalTally", "interval_of", "take"]


@dataclass(frozen=True, slots=True)
class Allowance:
    """``per_minute`` sustained, ``burst`` at once. A cost above the burst counts as the
    burst, so that no single request is refused for ever."""

    per_minute: int
    burst: int

    def __post_init__(self) -> None:
        if self.per_minute < 1 or self.burst < 1:
            raise ValueError("an allowance needs at least 1 a minute and a burst of 1")

    @property
    def per_second(self) -> float:
        return self.per_minute / 60.0


@dataclass(frozen=True, slots=True)
class Bucket:
    """Tokens left at moment ``at`` (seconds on the caller's clock)."""

    tokens: float
    at: float


def refilled(allowance: Allowance, bucket: Bucket | None, now: float) -> Bucket:
    """The bucket at ``now``: full when new; never above the burst; time never runs back."""
    if bucket is None:
        return Bucket(float(allowance.burst), now)
    elapsed = max(0.0, now - bucket.at)
    tokens = min(float(allowance.burst), bucket.tokens + elapsed * allowance.per_second)
    return Bucket(tokens, max(now, bucket.at))


def take(
    allowance: Allowance, bucket: Bucket | None, now: float, cost: float = 1.0
) -> tuple[bool, Bucket, float]:
    """``(allowed, bucket after, retry_after seconds)`` for a request costing ``cost``.

    Allowed, the cost is taken and ``retry_after`` is 0. Refused, nothing is taken and
    ``retry_after`` is the wait until the bucket holds the cost again.
    """
    cost = min(max(cost, 0.0), float(allowance.burst))
    current = refilled(allowance, bucket, now)
    if current.tokens >= cost:
        return True, replace(current, tokens=current.tokens - cost), 0.0
    return False, current, (cost - current.tokens) / allowance.per_second


def interval_of(now: float, seconds: int) -> tuple[float, float]:
    """The interval of ``seconds`` (aligned to the epoch) that ``now`` falls in."""
    start = math.floor(now / seconds) * seconds
    return float(start), float(start + seconds)


@dataclass(frozen=True, slots=True)
class RefusalTally:
    """How many refusals of one kind an interval saw, and the keys (hashes) refused most."""

    kind: str
    start: float
    end: float
    count: int
    top: tuple[tuple[str, int], ...] = field(default=())

    def details(self) -> dict[str, object]:
        """What the audit event records: never a token or an address, only their hashes."""
        return {
            "kind": self.kind,
            "count": self.count,
            "interval_start": _iso(self.start),
            "interval_end": _iso(self.end),
            "top": [{"key": key, "count": count} for key, count in self.top],
        }


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
