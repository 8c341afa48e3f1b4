"""Who must override a blocking finding: the seats a stored finding names, or by default
legal of each data owner; a finding naming nobody cannot be overridden at all."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from accord.core.governance.overrides import unasked_overrides
from accord.core.governance.permissions import override_seat, override_seats
from accord.core.governance.records import RequestRecord
from accord.core.governance.stored import StoredAssessment
from accord.core.governance.workflow import RequestState
from accord.core.identity import Membership, Principal, PrincipalKind, Role
from accord.core.permissions import Caller
from tests.governance.conftest import two_owner_request

OWNERS = ("dwp", "hmrc")


def caller(*memberships: tuple[str, Role]) -> Caller:
    principal = Principal(
        "p",
        "P",
        PrincipalKind.PERSON,
        memberships=frozenset(Membership(o, r) for o, r in memberships),
    )
    return Caller.for_principal(principal, "platform")


def test_by_default_legal_of_each_owner_overrides() -> None:
    assert override_seats({"ref": "X"}, OWNERS) == (("dwp", Role.LEGAL), ("hmrc", Role.LEGAL))


def test_a_finding_may_name_its_own_seats_or_none() -> None:
    named = {"override_by": [{"organisation_id": "dwp", "role": "dpo"}]}
    assert override_seats(named, OWNERS) == (("dwp", Role.DPO),)
    assert override_seats({"override_by": []}, OWNERS) == ()


def test_a_seat_is_filled_once_and_only_by_its_holder() -> None:
    seats = override_seats({}, OWNERS)
    verdict, seat = override_seat(caller(("hmrc", Role.LEGAL)), "X", seats, ())
    assert (verdict.allowed, seat) == (True, ("hmrc", Role.LEGAL))
    verdict, seat = override_seat(caller(("hmrc", Role.LEGAL)), "X", seats, [("hmrc", Role.LEGAL)])
    assert not verdict.allowed
    assert "already overridden" in verdict.reason
    verdict, _ = override_seat(caller(("hmrc", Role.DPO)), "X", seats, ())
    assert verdict.reason == "only legal of dwp, legal of hmrc may override X"
    verdict, _ = override_seat(caller(("dwp", Role.LEGAL)), "X", (), ())
    assert "the request must change" in verdict.reason


def _stored(*findings: dict[str, object]) -> StoredAssessment:
    body = {"tier": 5, "findings": list(findings), "approver_roles": ["data_owner"]}
    return StoredAssessment.from_body(json.dumps(body, sort_keys=True))


def test_submission_names_each_blocking_finding_and_never_an_unoverridable_one() -> None:
    now = datetime.now(UTC)
    asked = [{"finding": "LEGAL_TERRITORY", "reason": "adequacy"}]
    request = RequestRecord(
        "req-1", 1, RequestState.DRAFT, two_owner_request(override_requests=asked), "a", now, now
    )
    territory = {"ref": "LEGAL_TERRITORY", "code": "LEGAL_TERRITORY", "severity": "block"}
    assert unasked_overrides(request.document, _stored(territory)) == ""
    gateway = {
        "ref": "LEGAL_GATEWAY_REQUIRED",
        "code": "LEGAL_GATEWAY_REQUIRED",
        "severity": "block",
    }
    why = unasked_overrides(request.document, _stored(territory, gateway))
    assert "LEGAL_GATEWAY_REQUIRED is not named in override_requests" in why
    fixed = {**territory, "override_by": []}
    assert "LEGAL_TERRITORY cannot be overridden" in unasked_overrides(
        request.document, _stored(fixed)
    )
    assert "not a blocking finding" in unasked_overrides(request.document, _stored())
