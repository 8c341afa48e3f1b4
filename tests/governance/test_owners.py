"""Every owner decides for its own data: approvals from each owner, signatures by each."""

from __future__ import annotations

import dataclasses
import json

import pytest

from accord.core.governance.decision import DecisionOutcome, OwnerSignature, verify_signatures
from accord.core.governance.workflow import RequestState
from accord.core.identity import Role
from accord.errors import PermissionDenied
from accord.services.app import Accord
from accord.services.decisions import verify_agreement
from accord.store import AuditFilter
from tests.governance.conftest import two_owner_request

REVIEWERS = ("dwp.data", "dwp.dpo", "dwp.legal", "hmrc.data", "hmrc.dpo", "hmrc.legal")


def as_(world: Accord, who: str):  # type: ignore[no-untyped-def]
    return world.acting_as(who, "test")


def submitted(world: Accord, **changes: object) -> str:
    analyst = as_(world, "nhse.analyst")
    request = world.requests.create(analyst, two_owner_request(**changes))
    world.requests.submit(analyst, request.id)
    world.requests.start_review(as_(world, "hmrc.dpo"), request.id)
    return request.id


def test_a_two_owner_request_stays_in_review_until_both_owners_approve(
    two_owner_world: Accord,
) -> None:
    world = two_owner_world
    request_id = submitted(world)
    for who in ("dwp.data", "dwp.dpo", "dwp.legal"):
        outcome = world.requests.approve(as_(world, who), request_id)
        assert outcome.organisation == "dwp"
    assert outcome.agreement is None, "DWP alone must not approve HMRC's data"
    assert world.store.get_request(request_id).state is RequestState.IN_REVIEW
    assert outcome.outstanding == (
        ("hmrc", Role.DATA_OWNER),
        ("hmrc", Role.DPO),
        ("hmrc", Role.LEGAL),
    )
    world.requests.approve(as_(world, "hmrc.data"), request_id)
    world.requests.approve(as_(world, "hmrc.dpo"), request_id)
    assert world.store.get_request(request_id).state is RequestState.IN_REVIEW
    final = world.requests.approve(as_(world, "hmrc.legal"), request_id)
    assert final.request.state is RequestState.APPROVED
    agreement = final.agreement
    assert agreement is not None
    assert agreement.policy.data_owners == ("dwp", "hmrc")
    assert [s.organisation for s in agreement.signatures] == ["dwp", "hmrc"]
    check = verify_agreement(world.keys, world.store.get_agreement(agreement.id))
    assert check.valid, check.reasons
    assert check.reasons == ("dwp: signature verifies", "hmrc: signature verifies")
    record = json.loads(agreement.decision_record)
    assert record["decided_by"] == ["dwp", "hmrc"]
    assert record["decision"] == DecisionOutcome.SHARE.value
    assert {(a["organisation"], a["role"]) for a in record["approvals"]} == {
        (org, role) for org in ("dwp", "hmrc") for role in ("data_owner", "dpo", "legal")
    }
    [decision] = world.requests.decisions.list(world.operator("test"), request_id)
    assert decision.agreement_id == agreement.id
    assert world.requests.decisions.verify(decision).valid


def test_dropping_or_tampering_with_one_signature_fails_verification(
    two_owner_world: Accord,
) -> None:
    world = two_owner_world
    request_id = submitted(world)
    for who in REVIEWERS:
        outcome = world.requests.approve(as_(world, who), request_id)
    agreement = outcome.agreement
    assert agreement is not None
    dwp, hmrc = agreement.signatures

    def key_for(org: str):  # type: ignore[no-untyped-def]
        return world.keys.public_key(f"org-{org}-signing")

    text = agreement.decision_record
    assert verify_signatures(text, (dwp, hmrc), key_for).valid
    dropped = verify_signatures(text, (dwp,), key_for)
    assert not dropped.valid
    assert "hmrc: no signature" in dropped.reasons
    flipped = hmrc.signature[:-1] + ("0" if hmrc.signature[-1] != "0" else "1")
    tampered = verify_signatures(text, (dwp, dataclasses.replace(hmrc, signature=flipped)), key_for)
    assert not tampered.valid
    assert "hmrc: signature does not verify" in tampered.reasons
    # One owner's key cannot stand in for the other's.
    impostor = OwnerSignature("hmrc", dwp.key_fingerprint, dwp.signature)
    assert not verify_signatures(text, (dwp, impostor), key_for).valid
    # Nor does a changed record verify, nor one signed by a stranger as well.
    forged = json.loads(text)
    forged["tier"] = 2
    forged_text = json.dumps(forged, sort_keys=True, separators=(",", ":"))
    assert not verify_signatures(forged_text, (dwp, hmrc), key_for).valid
    stranger = OwnerSignature("nhse", dwp.key_fingerprint, dwp.signature)
    assert not verify_signatures(text, (dwp, hmrc, stranger), key_for).valid
    assert not verify_agreement(world.keys, dataclasses.replace(agreement, signatures=(dwp,))).valid


def test_no_person_fills_two_seats_across_owners(two_owner_world: Accord) -> None:
    world = two_owner_world
    request_id = submitted(world)
    first = world.requests.approve(as_(world, "both.legal"), request_id)
    assert (first.organisation, first.role) == ("dwp", Role.LEGAL)
    with pytest.raises(PermissionDenied, match="already approved"):
        world.requests.approve(as_(world, "both.legal"), request_id)
    # HMRC's legal seat is still open, for someone else.
    outcome = world.requests.approve(as_(world, "hmrc.legal"), request_id)
    assert (outcome.organisation, outcome.role) == ("hmrc", Role.LEGAL)


def test_any_owners_rejection_rejects_with_a_signed_do_not_share_record(
    two_owner_world: Accord,
) -> None:
    world = two_owner_world
    request_id = submitted(world)
    for who in ("dwp.data", "dwp.dpo", "dwp.legal"):
        world.requests.approve(as_(world, who), request_id)
    rejected = world.requests.reject(
        as_(world, "hmrc.dpo"), request_id, "Pay data is not needed to offer a vaccine"
    )
    assert rejected.state is RequestState.REJECTED
    [decision] = world.requests.decisions.list(world.operator("test"), request_id)
    assert decision.outcome is DecisionOutcome.DO_NOT_SHARE
    assert [s.organisation for s in decision.signatures] == ["hmrc"]
    record = decision.record
    assert record.decided_by == ("hmrc",)
    assert "Pay data is not needed" in record.reasons
    assert record.agreement_id == ""
    assert world.requests.decisions.verify(decision).valid
    [event] = world.store.audit_events(AuditFilter(action="request.reject"))
    assert event.details_dict["decision"] == decision.id
    assert world.store.list_agreements() == []


def test_an_override_resolves_a_finding_only_when_every_owners_legal_gives_it(
    two_owner_world: Accord,
) -> None:
    world = two_owner_world
    asked = [{"finding": "LEGAL_TERRITORY", "reason": "processor in Jersey, adequacy"}]
    request_id = submitted(world, territory="other", override_requests=asked)
    world.requests.override(as_(world, "dwp.legal"), request_id, "LEGAL_TERRITORY", "fine by DWP")
    with pytest.raises(PermissionDenied, match=r"LEGAL_TERRITORY \(needs legal of hmrc\)"):
        world.requests.approve(as_(world, "dwp.data"), request_id)
    with pytest.raises(PermissionDenied, match="only legal"):
        world.requests.override(as_(world, "hmrc.dpo"), request_id, "LEGAL_TERRITORY", "x")
    override = world.requests.override(
        as_(world, "hmrc.legal"), request_id, "LEGAL_TERRITORY", "fine by HMRC"
    )
    assert override.organisation_id == "hmrc"
    for who in REVIEWERS:
        outcome = world.requests.approve(as_(world, who), request_id)
    assert outcome.agreement is not None
    conditions = outcome.agreement.policy.conditions
    assert any("legal of dwp" in c for c in conditions)
    assert any("legal of hmrc" in c for c in conditions)
