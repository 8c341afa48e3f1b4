"""The pure rules of an access review: when it is due, due soon, lapsed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from accord.core.lifecycle.reviews import (
    AccessStanding,
    Recertification,
    ReviewStatus,
    access_review_current,
    check_confirmation,
)

START = date(2026, 1, 1)


def facts(every: int | None = 30, last: Recertification | None = None) -> AccessStanding:
    return AccessStanding("agr-1", "northfield", every, START, last)


def recertified(on: date, removed: tuple[str, ...] = ()) -> Recertification:
    return Recertification("rcf-1", "agr-1", "northfield", "northfield.admin", on, (), removed)


@pytest.mark.parametrize(
    ("days", "status"),
    [
        (0, ReviewStatus.CURRENT),
        (22, ReviewStatus.CURRENT),
        (23, ReviewStatus.DUE_SOON),  # seven days before the due date
        (30, ReviewStatus.DUE_SOON),  # the due date itself: still current
        (31, ReviewStatus.LAPSED),  # the day after
        (400, ReviewStatus.LAPSED),
    ],
)
def test_status_from_the_activation_date(days: int, status: ReviewStatus) -> None:
    assert facts().status(START + timedelta(days=days)) is status


def test_due_and_lapse_dates() -> None:
    assert facts().due_on == date(2026, 1, 31)
    assert facts().lapses_on == date(2026, 2, 1)
    assert facts(every=None).due_on is None
    assert facts(every=None).status(START + timedelta(days=999)) is ReviewStatus.NOT_REQUIRED


def test_a_recertification_starts_a_new_period() -> None:
    later = facts(last=recertified(date(2026, 1, 20)))
    assert later.due_on == date(2026, 2, 19)
    assert later.status(date(2026, 2, 1)) is ReviewStatus.CURRENT
    assert later.status(date(2026, 2, 20)) is ReviewStatus.LAPSED


def test_the_release_term_on_the_boundary() -> None:
    assert access_review_current(facts(), "northfield.caseworker", date(2026, 1, 31))
    refused = access_review_current(facts(), "northfield.caseworker", date(2026, 2, 1))
    assert not refused
    assert "lapsed on 2026-02-01" in refused.reason
    assert "an admin of northfield recertifies" in refused.reason


def test_no_reviews_required_always_allows() -> None:
    verdict = access_review_current(facts(every=None), "x", START + timedelta(days=9999))
    assert verdict
    assert "requires no access reviews" in verdict.reason


def test_a_principal_removed_at_the_latest_recertification_is_refused() -> None:
    standing = facts(last=recertified(date(2026, 1, 10), removed=("northfield.adviser",)))
    refused = access_review_current(standing, "northfield.adviser", date(2026, 1, 11))
    assert not refused
    assert "was removed from access under agreement agr-1" in refused.reason
    assert access_review_current(standing, "northfield.caseworker", date(2026, 1, 11))


def test_each_principal_listed_must_be_confirmed() -> None:
    listed = ("a", "b", "c")
    assert check_confirmation(listed, ["a", "b"], ["c"], "") == ""
    assert "keep or remove c" in check_confirmation(listed, ["a", "b"], [], "")
    assert "none is kept by saying nothing" in check_confirmation(listed, [], [], "")
    assert "both name a" in check_confirmation(listed, ["a", "b", "c"], ["a"], "")
    assert "keep: z do not have access" in check_confirmation(listed, ["a", "b", "c", "z"], [], "")
    assert "more than once" in check_confirmation(listed, ["a", "a", "b", "c"], [], "")
    assert "note: at most 2000" in check_confirmation(listed, listed, [], "x" * 2001)


@pytest.mark.parametrize("days", [0, 91, -5])
def test_the_term_is_between_1_and_90_days_and_the_message_names_it(days: int) -> None:
    from pydantic import ValidationError

    from accord.demo.provider_world import referrals_request

    with pytest.raises(ValidationError) as invalid:
        referrals_request(access_review_days=days)
    assert "access_review_days" in str(invalid.value)


def test_the_term_travels_from_request_to_policy_and_is_hashed_only_when_set() -> None:
    from accord.core.governance.agreement import policy_from_request
    from accord.demo.provider_world import referrals_request

    def policy(**changes: object):  # type: ignore[no-untyped-def]
        return policy_from_request(
            referrals_request(START, **changes),
            agreement_id="agr-1",
            version=1,
            request_id="req-1",
            tier=5,
            per_record_answers=False,
        )

    reviewed, unreviewed = policy(), policy(access_review_days=None)
    assert reviewed.access_review_days == 30  # seed 003's whp-referrals.yaml
    assert unreviewed.access_review_days is None
    assert "access_review_days" not in unreviewed.canonical_json()
    assert '"access_review_days":30' in reviewed.canonical_json()
