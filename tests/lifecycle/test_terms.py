"""Retention as a structured term: the forms accepted, the messages for the rest, the
calendar arithmetic, and how the agreement and its ODRL export state it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from accord.core.governance.agreement import policy_from_request
from accord.core.governance.odrl import policy_from_odrl, policy_to_odrl
from accord.core.governance.request import SharingRequest
from accord.core.lifecycle.retention import (
    Retention,
    RetentionEvent,
    add_duration,
    parse_duration,
)
from tests.lifecycle.conftest import retention_request


@pytest.mark.parametrize(
    ("written", "period", "after", "until"),
    [
        ({"period": "P13M", "after": "decision"}, "P13M", RetentionEvent.DECISION, None),
        ("P13M after decision", "P13M", RetentionEvent.DECISION, None),
        ("p1y6m after the agreement end", "P1Y6M", RetentionEvent.AGREEMENT_END, None),
        ("P90D after delivery", "P90D", RetentionEvent.DELIVERY, None),
        ({"until": "2027-03-31"}, None, None, date(2027, 3, 31)),
        ("until 2027-03-31", None, None, date(2027, 3, 31)),
        ("2027-03-31", None, None, date(2027, 3, 31)),
    ],
)
def test_the_forms_accepted(
    written: object, period: str | None, after: RetentionEvent | None, until: date | None
) -> None:
    r = Retention.model_validate(written)
    assert (r.period, r.after, r.until) == (period, after, until)


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("For the life of the data trust pilot", "names no period or date"),
        ("P13X after decision", "is not an ISO 8601 duration"),
        ("PT12H after decision", "is not an ISO 8601 duration"),
        ("P1M after lunch", "use one of decision, delivery, receipt, agreement_end"),
        ("until 31/03/2027", "write it as YYYY-MM-DD"),
        ({"period": "P1M"}, "needs after"),
        ({"after": "decision"}, "needs period"),
        ({"period": "P1M", "after": "decision", "until": "2027-01-01"}, "not both"),
    ],
)
def test_anything_else_is_refused_with_what_is_accepted(written: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Retention.model_validate(written)


def test_a_request_with_free_text_retention_is_refused_naming_the_field() -> None:
    document = retention_request().model_dump(mode="json")
    document["retention"] = "Two years after publication"
    with pytest.raises(ValidationError) as caught:
        SharingRequest.parse(document)
    [error] = caught.value.errors()
    assert error["loc"][0] == "retention"
    assert "P13M after decision" in error["msg"]


def test_empty_retention_means_none_set() -> None:
    document = retention_request().model_dump(mode="json")
    document["retention"] = ""
    assert SharingRequest.parse(document).retention is None


def test_month_arithmetic_clamps_to_the_end_of_the_month() -> None:
    assert add_duration(date(2026, 1, 31), "P1M") == date(2026, 2, 28)
    assert add_duration(date(2024, 1, 31), "P1M") == date(2024, 2, 29)
    assert add_duration(date(2026, 1, 31), "P13M") == date(2027, 2, 28)
    assert add_duration(date(2026, 3, 1), "P2W1D") == date(2026, 3, 16)
    assert add_duration(date(2026, 3, 1), "P10Y") == date(2036, 3, 1)


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    st.integers(0, 30),
    st.integers(0, 40),
    st.integers(0, 400),
)
def test_a_period_never_ends_before_it_starts_and_grows_with_each_part(
    start: date, years: int, months: int, days: int
) -> None:
    period = f"P{years}Y{months}M{days}D"
    end = add_duration(start, period)
    assert end >= start
    assert add_duration(start, f"P{years}Y{months}M{days + 1}D") == end + timedelta(days=1)
    assert parse_duration(period) == (years, months, days)


def test_keep_until_counts_from_the_named_event_or_says_it_is_unknown() -> None:
    r = Retention.model_validate("P13M after decision")
    assert r.keep_until({RetentionEvent.DECISION: date(2026, 1, 31)}) == date(2027, 2, 28)
    assert r.keep_until({RetentionEvent.DELIVERY: date(2026, 1, 31)}) is None
    assert Retention.model_validate("until 2027-03-31").keep_until({}) == date(2027, 3, 31)
    assert r.describe() == "13 months after the decision"


def _policy(**changes: object) -> object:
    return policy_from_request(
        retention_request(**changes),
        agreement_id="agr-1",
        version=1,
        request_id="req-1",
        tier=4,
        per_record_answers=False,
    )


def test_the_agreement_carries_the_term_and_odrl_states_the_duty_to_delete() -> None:
    policy = _policy()
    assert policy.retention == Retention(period="P3M", after=RetentionEvent.DELIVERY)
    document = policy_to_odrl(policy)
    [duty] = document["permission"][0]["duty"]
    assert duty["action"] == "delete"
    assert duty["constraint"] == [
        {
            "leftOperand": "delayPeriod",
            "operator": "eq",
            "rightOperand": {"@value": "P3M", "@type": "xsd:duration"},
        }
    ]
    assert duty["accord:after"] == "delivery"
    assert duty["accord:retention"] == "3 months after the delivery"
    assert policy_from_odrl(document) == policy


def test_odrl_states_a_fixed_date_and_the_default() -> None:
    [duty] = policy_to_odrl(_policy(retention="until 2027-03-31"))["permission"][0]["duty"]
    assert duty["constraint"][0]["leftOperand"] == "dateTime"
    assert duty["constraint"][0]["rightOperand"]["@value"] == "2027-03-31"
    [duty] = policy_to_odrl(_policy(retention=None))["permission"][0]["duty"]
    assert duty == {"action": "delete", "accord:after": "agreement_end"}
