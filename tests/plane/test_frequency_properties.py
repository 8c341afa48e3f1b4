"""Frequency as a property: over any history of deliveries, a one-off share allows a live
delivery of a dataset only while there is none, and a recurring one only once the
interval since the last has passed. Pure: no store, no engine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

from hypothesis import given
from hypothesis import strategies as st

from accord.core.governance.interval import parse_interval
from accord.core.governance.records import AgreementRecord
from accord.core.governance.request import Frequency
from accord.core.governance.workflow import AgreementState
from accord.core.plan.authorise import PlaneChannel
from accord.core.plan.release import Delivery, frequency_allows
from tests.plane.conftest import agreement_request

START = datetime(2027, 1, 1, tzinfo=UTC)
DATASETS = ("dwp/a", "dwp/b")


@cache
def _agreement(frequency: Frequency, interval: str = "") -> AgreementRecord:
    from accord.core.governance.agreement import policy_from_request

    changes: dict[str, object] = {"frequency": frequency.value}
    if interval:
        changes["frequency_interval"] = interval
    policy = policy_from_request(
        agreement_request(**changes),
        agreement_id="agr-1",
        version=1,
        request_id="req-1",
        tier=5,
        per_record_answers=False,
    )
    return AgreementRecord(
        "agr-1", 1, AgreementState.ACTIVE, policy, "req-1", "{}", (), START, START
    )


histories = st.lists(
    st.tuples(st.sampled_from(DATASETS), st.integers(min_value=0, max_value=400)), max_size=6
)


@given(histories, st.sampled_from(DATASETS), st.integers(min_value=0, max_value=800))
def test_one_off_allows_a_dataset_exactly_once(
    history: list[tuple[str, int]], dataset: str, day: int
) -> None:
    agreement = _agreement(Frequency.ONE_OFF)
    deliveries = [Delivery(d, START + timedelta(days=n), "extract", "x") for d, n in history]
    now = START + timedelta(days=day)
    for channel in (PlaneChannel.EXTRACT, PlaneChannel.PACKAGE):
        verdict = frequency_allows(agreement, channel, dataset, deliveries, now)
        assert bool(verdict) == (dataset not in {d for d, _ in history})


@given(
    histories,
    st.sampled_from(DATASETS),
    st.integers(min_value=0, max_value=800),
    st.sampled_from(["P7D", "P2W", "P1M", "P3M", "P1Y"]),
)
def test_recurring_allows_one_delivery_per_interval(
    history: list[tuple[str, int]], dataset: str, day: int, interval: str
) -> None:
    agreement = _agreement(Frequency.RECURRING, interval)
    deliveries = [Delivery(d, START + timedelta(days=n), "extract", "x") for d, n in history]
    now = START + timedelta(days=day)
    verdict = frequency_allows(agreement, PlaneChannel.EXTRACT, dataset, deliveries, now)
    before = [START + timedelta(days=n) for d, n in history if d == dataset]
    expected = not before or now >= parse_interval(interval).after(max(before))
    assert bool(verdict) == expected


@given(histories, st.sampled_from(DATASETS), st.integers(min_value=0, max_value=800))
def test_continuous_and_in_place_channels_are_not_counted(
    history: list[tuple[str, int]], dataset: str, day: int
) -> None:
    deliveries = [Delivery(d, START + timedelta(days=n), "extract", "x") for d, n in history]
    now = START + timedelta(days=day)
    continuous = _agreement(Frequency.CONTINUOUS)
    assert frequency_allows(continuous, PlaneChannel.EXTRACT, dataset, deliveries, now)
    one_off = _agreement(Frequency.ONE_OFF)
    for channel in (PlaneChannel.LINK, PlaneChannel.CHECK, PlaneChannel.AGGREGATE):
        assert frequency_allows(one_off, channel, dataset, deliveries, now)
