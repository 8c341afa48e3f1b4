"""A per-caller token-bucket rate limiter: a few refusals are free, a stream of them is not.

Each caller (keyed by principal) has a bucket of ``burst`` tokens that refills at
``rate`` tokens a second. :meth:`RateLimiter.check` refuses with :class:`RateLimited`
(HTTP 429 with ``Retry-After``) when the bucket is empty, without taking a token;
:meth:`RateLimiter.spend` takes one. Callers decide what costs a token: batch
validation charges each refusal, so an attacker cannot turn free refusals into a
timing oracle, while an honest requester who is answered never waits.

Held in memory, per process: a limiter bounds the rate one server answers at, and a
restart forgets it (the privacy budget, which is what bounds disclosure, is in the
store). Thread-safe, since FastAPI runs synchronous routes on a thread pool.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from accord.errors import RateLimited

__all__ = ["RateLimiter"]


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token buckets keyed by caller: ``burst`` tokens, refilled at ``rate`` per second."""

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        what: str = "requests",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a rate limiter needs a positive rate and a burst of at least 1")
        self.rate = rate
        self.burst = burst
        self.what = what
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def _bucket(self, key: str) -> _Bucket:
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        else:
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
        return bucket

    def tokens(self, key: str) -> float:
        with self._lock:
            return self._bucket(key).tokens

    def check(self, key: str) -> None:
        """Raise :class:`RateLimited` if ``key`` has no token left; take nothing."""
        with self._lock:
            bucket = self._bucket(key)
            if bucket.tokens >= 1.0:
                return
            wait = (1.0 - bucket.tokens) / self.rate
        raise RateLimited(
            f"too many {self.what}: at most {self.burst} at once and {self.rate * 60:g} a "
            f"minute; try again in {max(1, round(wait))} s",
            retry_after=wait,
        )

    def spend(self, key: str) -> None:
        """Take one token from ``key`` (down to empty; the next :meth:`check` refuses)."""
        with self._lock:
            bucket = self._bucket(key)
            bucket.tokens = max(0.0, bucket.tokens - 1.0)
