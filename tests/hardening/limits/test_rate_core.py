"""The token bucket as a pure rule: a burst, then refusals with the wait, then refills."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.core.rate import Allowance, Bucket, interval_of, take

ALLOWANCE = Allowance(per_minute=60, burst=5)  # one token a second


def test_the_burst_is_allowed_and_the_next_request_is_told_how_long_to_wait() -> None:
    bucket = None
    for _ in range(5):
        allowed, bucket, wait = take(ALLOWANCE, bucket, now=100.0)
        assert allowed
        assert wait == 0.0
    allowed, after, wait = take(ALLOWANCE, bucket, now=100.0)
    assert not allowed
    assert wait == pytest.approx(1.0)
    assert after.tokens == pytest.approx(0.0)  # a refusal takes nothing


def test_the_bucket_refills_with_the_clock_and_never_beyond_the_burst() -> None:
    empty = Bucket(0.0, 100.0)
    assert not take(ALLOWANCE, empty, now=100.5)[0]
    allowed, bucket, _ = take(ALLOWANCE, empty, now=101.0)
    assert allowed
    assert bucket.tokens == pytest.approx(0.0)
    allowed, bucket, _ = take(ALLOWANCE, empty, now=10_000.0)
    assert allowed
    assert bucket.tokens == pytest.approx(4.0)


def test_an_engine_request_costs_more_and_waits_for_its_whole_cost() -> None:
    allowed, bucket, _ = take(ALLOWANCE, None, now=0.0, cost=3)
    assert allowed
    assert bucket.tokens == pytest.approx(2.0)
    allowed, _, wait = take(ALLOWANCE, bucket, now=0.0, cost=3)
    assert not allowed
    assert wait == pytest.approx(1.0)


def test_a_cost_above_the_burst_counts_as_the_burst_so_it_is_not_refused_for_ever() -> None:
    allowed, bucket, _ = take(ALLOWANCE, None, now=0.0, cost=50)
    assert allowed
    assert bucket.tokens == pytest.approx(0.0)


def test_a_clock_that_runs_back_gives_nothing_back() -> None:
    bucket = Bucket(1.0, 100.0)
    _, after, _ = take(ALLOWANCE, bucket, now=50.0, cost=0)
    assert after.tokens == pytest.approx(1.0)
    assert after.at == 100.0


@given(
    steps=st.lists(
        st.tuples(st.floats(0, 10, allow_nan=False), st.integers(1, 8)), min_size=1, max_size=60
    )
)
def test_no_caller_gets_more_than_the_burst_plus_the_refill(steps: list[tuple[float, int]]) -> None:
    now, bucket, spent = 0.0, None, 0
    for gap, cost in steps:
        now += gap
        allowed, bucket, wait = take(ALLOWANCE, bucket, now, cost)
        assert 0.0 <= bucket.tokens <= ALLOWANCE.burst
        if allowed:
            spent += min(cost, ALLOWANCE.burst)
        else:
            assert wait > 0
            # Waiting as long as it says is enough.
            assert take(ALLOWANCE, bucket, now + wait + 1e-6, cost)[0]
    assert spent <= ALLOWANCE.burst + now * ALLOWANCE.per_second + 1e-6


def test_intervals_are_aligned_so_every_process_counts_the_same_minutes() -> None:
    assert interval_of(125.0, 60) == (120.0, 180.0)
    assert interval_of(120.0, 60) == (120.0, 180.0)
