"""Linkage domains belong to agreements: a second recipient naming a domain another
recipient's agreement created is blocked until the DPO and legal of the owning
agreement's data owners accept it; afterwards the register shows both agreements."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from accord.api.app import create_app
from accord.core.governance.domains import DOMAIN_SHARED
from accord.core.governance.records import AgreementRecord
from accord.core.governance.request import SharingRequest
from accord.errors import NotFoundError, PermissionDenied, ValidationError
from accord.services.app import Accord
from accord.store import AuditFilter
from tests.governance.conftest import example, two_owner_request

DOMAIN = "carers-link"
REF = f"{DOMAIN_SHARED}:{DOMAIN}"


def as_(world: Accord, who: str):  # type: ignore[no-untyped-def]
    return world.acting_as(who, "test")


def pseudonymised(recipient: str, requester: str, **changes: Any) -> SharingRequest:
    """The carers request with the NINO pseudonymised into ``DOMAIN``."""
    base = example("carers-vaccination").model_dump(mode="json", exclude_defaults=True)
    base["datasets"][0]["fields"][0]["transform"] = {"kind": "pseudonymise", "argument": DOMAIN}
    base.update(requesting_organisation=recipient, requester=requester, **changes)
    return SharingRequest.parse(base)


def approved(world: Accord, document: SharingRequest) -> AgreementRecord:
    caller = as_(world, document.requester)
    request = world.requests.create(caller, document)
    world.requests.submit(caller, request.id)
    world.requests.start_review(as_(world, "dwp.data"), request.id)
    outcome = None
    for who in ("dwp.data", "dwp.dpo", "dwp.legal"):
        outcome = world.requests.approve(as_(world, who), request.id)
    assert outcome is not None
    assert outcome.agreement is not None
    return outcome.agreement


def test_the_first_agreement_owns_the_domain_and_its_recipient_may_name_it_again(
    world: Accord,
) -> None:
    first = approved(world, pseudonymised("nhse", "nhse.analyst"))
    [ownership] = world.store.linkage_domains().values()
    assert (ownership.domain, ownership.agreements) == (DOMAIN, (first.id,))
    assert ownership.owner.recipient == "nhse"
    assert ownership.owner.data_owners == ("dwp",)
    again = world.requests.assess(pseudonymised("nhse", "nhse.analyst"))
    assert DOMAIN_SHARED not in again.codes()
    amended = approved(world, pseudonymised("nhse", "nhse.analyst", amends=first.id))
    assert amended.id == first.id
    assert world.store.linkage_domains()[DOMAIN].agreements == (first.id,)


def test_a_domain_nobody_owns_raises_no_finding(world: Accord) -> None:
    assessment = world.requests.assess(pseudonymised("ifsr", "ifsr.researcher"))
    assert DOMAIN_SHARED not in assessment.codes()


def second_request(world: Accord) -> str:
    document = pseudonymised(
        "ifsr",
        "ifsr.researcher",
        override_requests=[
            {"finding": REF, "reason": "the two studies are to be linked under DPIA-2021-040"},
            {"finding": "LEGAL_GATEWAY_RECIPIENT", "reason": "covered by the research gateway"},
        ],
    )
    caller = as_(world, "ifsr.researcher")
    request = world.requests.create(caller, document)
    world.requests.submit(caller, request.id)
    world.requests.start_review(as_(world, "dwp.data"), request.id)
    return request.id


def test_a_second_recipient_is_blocked_until_the_owners_dpo_and_legal_override(
    world: Accord,
) -> None:
    first = approved(world, pseudonymised("nhse", "nhse.analyst"))
    assessment = world.requests.assess(pseudonymised("ifsr", "ifsr.researcher"))
    [finding] = [f for f in assessment.blocking if f.code == DOMAIN_SHARED]
    assert finding.subject == DOMAIN
    assert first.id in finding.reason
    assert "nhse" in finding.reason
    assert finding.override_label() == "dpo of dwp, legal of dwp"

    caller = as_(world, "ifsr.researcher")
    draft = world.requests.create(caller, pseudonymised("ifsr", "ifsr.researcher"))
    with pytest.raises(ValidationError, match=REF):
        world.requests.submit(caller, draft.id)

    request_id = second_request(world)
    world.requests.override(as_(world, "dwp.legal"), request_id, "LEGAL_GATEWAY_RECIPIENT", "ok")
    with pytest.raises(PermissionDenied, match="only dpo of dwp, legal of dwp may override"):
        world.requests.override(as_(world, "dwp.data"), request_id, REF, "we own the data")
    with pytest.raises(PermissionDenied):
        world.requests.override(as_(world, "ifsr.researcher"), request_id, REF, "please")
    with pytest.raises(NotFoundError):  # the first recipient is no party to this request
        world.requests.override(as_(world, "nhse.dpo"), request_id, REF, "fine by us")
    world.requests.override(as_(world, "dwp.dpo"), request_id, REF, "a linked study, DPIA-040")
    with pytest.raises(PermissionDenied, match=f"{REF} \\(needs legal of dwp\\)"):
        world.requests.approve(as_(world, "dwp.data"), request_id)
    denied = world.store.audit_events(AuditFilter(action="request.override", decision="deny"))
    assert len(denied) >= 3
    assert world.store.linkage_domains()[DOMAIN].agreements == (first.id,)

    world.requests.override(as_(world, "dwp.legal"), request_id, REF, "linked study, agreed")
    outcome = None
    for who in ("dwp.data", "dwp.dpo", "dwp.legal"):
        outcome = world.requests.approve(as_(world, who), request_id)
    assert outcome is not None
    assert outcome.agreement is not None
    second = outcome.agreement

    [activated, *_] = world.store.audit_events(AuditFilter(action="agreement.activate"))
    assert activated.details_dict["linkage_domains"] == [DOMAIN]
    ownership = world.store.linkage_domains()[DOMAIN]
    assert ownership.agreements == (first.id, second.id)
    assert ownership.owner.agreement == first.id
    assert ownership.recipients == {"nhse", "ifsr"}
    entries = {e.agreement: e for e in world.agreements.register()}
    for agreement in (first.id, second.id):
        [shared] = entries[agreement].linkage_domains
        assert shared.domain == DOMAIN
        assert shared.owner_agreement == first.id
        assert shared.agreements == (first.id, second.id)
    with TestClient(create_app(world)) as client:  # the public register, no token
        published = {e["agreement"]: e for e in client.get("/register").json()}
    assert published[second.id]["linkage_domains"] == [
        {
            "domain": DOMAIN,
            "owner_agreement": first.id,
            "agreements": [first.id, second.id],
            "recipients": ["nhse", "ifsr"],
        }
    ]
    # The recipient now in the domain may name it again without a finding.
    again = world.requests.assess(pseudonymised("ifsr", "ifsr.researcher"))
    assert DOMAIN_SHARED not in again.codes()


def test_a_domain_owned_with_an_owner_outside_the_request_cannot_be_overridden(
    two_owner_world: Accord,
) -> None:
    world = two_owner_world
    document = two_owner_request().model_dump(mode="json", exclude_defaults=True)
    document["datasets"][0]["fields"][0]["transform"] = {"kind": "pseudonymise", "argument": DOMAIN}
    caller = as_(world, "nhse.analyst")
    request = world.requests.create(caller, SharingRequest.parse(document))
    world.requests.submit(caller, request.id)
    world.requests.start_review(as_(world, "dwp.data"), request.id)
    for who in ("dwp.data", "dwp.dpo", "dwp.legal", "hmrc.data", "hmrc.dpo", "hmrc.legal"):
        outcome = world.requests.approve(as_(world, who), request.id)
    assert outcome.agreement is not None
    assert world.store.linkage_domains()[DOMAIN].owner.data_owners == ("dwp", "hmrc")
    # A dwp-only request: hmrc's reviewers cannot act on it, so nobody may accept the domain.
    assessment = world.requests.assess(pseudonymised("ifsr", "ifsr.researcher"))
    [finding] = [f for f in assessment.blocking if f.code == DOMAIN_SHARED]
    assert finding.override_by == ()
    assert "hmrc" in finding.fix
