"""The request workflow: approvals by tier, separation of duties, overrides, agreements."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from accord.core.governance.decision import verify_record
from accord.core.governance.workflow import AgreementState, RequestState
from accord.core.identity import Role
from accord.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from accord.services.agreements import decision_from_json
from accord.services.app import Accord
from accord.services.requests import org_signing_key_name
from accord.store import AuditFilter
from tests.governance.conftest import example


def as_(world: Accord, who: str):  # type: ignore[no-untyped-def]
    return world.acting_as(who, "test")


def current_dates() -> dict[str, str]:
    today = date.today()
    return {"start_date": str(today), "end_date": str(today + timedelta(days=180))}


def submitted_carers(world: Accord, **changes: Any) -> str:
    request = world.requests.create(
        as_(world, "nhse.analyst"), example("carers-vaccination", **changes)
    )
    world.requests.submit(as_(world, "nhse.analyst"), request.id)
    world.requests.start_review(as_(world, "dwp.data"), request.id)
    return request.id


def test_the_carers_request_ends_as_an_active_agreement_after_three_approvals(
    world: Accord,
) -> None:
    request_id = submitted_carers(world)
    first = world.requests.approve(as_(world, "dwp.data"), request_id)
    assert first.role is Role.DATA_OWNER
    assert first.still_needed == (Role.DPO, Role.LEGAL)
    second = world.requests.approve(as_(world, "dwp.dpo"), request_id)
    assert second.agreement is None
    final = world.requests.approve(as_(world, "dwp.legal"), request_id)
    assert final.request.state is RequestState.APPROVED
    agreement = final.agreement
    assert agreement is not None
    assert agreement.state is AgreementState.ACTIVE
    assert agreement.version == 1
    assert agreement.policy.tier == 5
    assert agreement.policy.gateway == "copi-2002-reg3"
    assert agreement.policy.test_exchange_required
    assert [d.dataset for d in agreement.policy.datasets] == ["dwp/carers_allowance"]
    assert world.agreements.verify(world.store.get_agreement(agreement.id))
    record = decision_from_json(agreement.decision_record)
    assert [a.role for a in record.approvals] == ["data_owner", "dpo", "legal"]
    assert record.policy_sha256 == agreement.policy.sha256()
    actions = [
        e.action
        for e in world.store.audit_events(
            AuditFilter(object=f"request:{request_id}", limit=50, newest_first=False)
        )
    ]
    assert actions == [
        "request.create",
        "request.submit",
        "request.start_review",
        "request.approve",
        "request.approve",
        "request.approve",
    ]
    assert world.audit.verify().ok


def test_a_tampered_decision_record_does_not_verify(world: Accord) -> None:
    request_id = submitted_carers(world)
    for who in ("dwp.data", "dwp.dpo", "dwp.legal"):
        outcome = world.requests.approve(as_(world, who), request_id)
    agreement = outcome.agreement
    assert agreement is not None
    record = decision_from_json(agreement.decision_record)
    key = world.keys.public_key(org_signing_key_name("dwp"))
    assert verify_record(record, agreement.signature, key)
    forged = json.loads(agreement.decision_record)
    forged["tier"] = 2
    assert not verify_record(decision_from_json(json.dumps(forged)), agreement.signature, key)


def test_nobody_from_the_requesting_organisation_approves(world: Accord) -> None:
    request_id = submitted_carers(world)
    with pytest.raises(PermissionDenied, match="separation of duties"):
        world.requests.approve(as_(world, "insider"), request_id)
    [event] = world.store.audit_events(AuditFilter(action="request.approve", decision="deny"))
    assert event.actor == "principal:insider"
    assert event.details_dict["via"] == "operator:test"


def test_one_person_gives_at_most_one_approval(world: Accord) -> None:
    request_id = submitted_carers(world)
    world.requests.approve(as_(world, "dwp.multi"), request_id)
    with pytest.raises(PermissionDenied, match="already approved"):
        world.requests.approve(as_(world, "dwp.multi"), request_id)
    with pytest.raises(PermissionDenied, match="none of the approvals still needed"):
        world.requests.approve(as_(world, "dwp.data2"), request_id)


def test_blocking_findings_need_a_fix_or_a_legal_override(world: Accord) -> None:
    analyst = as_(world, "nhse.analyst")
    request = world.requests.create(
        analyst, example("carers-vaccination", onward_sharing="", territory="other")
    )
    world.requests.submit(analyst, request.id)
    world.requests.start_review(as_(world, "dwp.data"), request.id)
    with pytest.raises(PermissionDenied, match="LEGAL_TERRITORY"):
        world.requests.approve(as_(world, "dwp.data"), request.id)
    with pytest.raises(PermissionDenied, match="only legal"):
        world.requests.override(as_(world, "dwp.dpo"), request.id, "LEGAL_TERRITORY", "fine")
    with pytest.raises(ValidationError, match="not a blocking finding"):
        world.requests.override(as_(world, "dwp.legal"), request.id, "PRECEDENT", "fine")
    world.requests.override(
        as_(world, "dwp.legal"),
        request.id,
        "LEGAL_TERRITORY",
        "Processor in Jersey, adequacy in place",
    )
    for who in ("dwp.data", "dwp.dpo", "dwp.legal"):
        outcome = world.requests.approve(as_(world, who), request.id)
    assert outcome.agreement is not None
    assert (
        "LEGAL_TERRITORY"
        in decision_from_json(outcome.agreement.decision_record).overridden_findings
    )
    assert any("Jersey" in c for c in outcome.agreement.policy.conditions)


def test_changes_requested_makes_a_new_revision_whose_approvals_start_again(world: Accord) -> None:
    request_id = submitted_carers(world)
    world.requests.approve(as_(world, "dwp.data"), request_id)
    world.requests.request_changes(as_(world, "dwp.dpo"), request_id, "Drop the address line")
    current = world.store.get_request(request_id)
    assert current.state is RequestState.CHANGES_REQUESTED
    document = current.document.model_dump(mode="json")
    document["datasets"][0]["fields"] = [
        f for f in document["datasets"][0]["fields"] if f["name"] != "address_line_1"
    ]
    edited = world.requests.edit(
        as_(world, "nhse.analyst"), request_id, type(current.document).model_validate(document)
    )
    assert edited.revision == 2
    world.requests.submit(as_(world, "nhse.analyst"), request_id)
    world.requests.start_review(as_(world, "dwp.data"), request_id)
    outcome = world.requests.approve(as_(world, "dwp.data"), request_id)
    assert outcome.still_needed == (Role.DPO, Role.LEGAL)


def test_transitions_outside_the_table_are_refused(world: Accord) -> None:
    request = world.requests.create(as_(world, "nhse.analyst"), example("carers-vaccination"))
    with pytest.raises(ConflictError, match="allowed: edit, submit, withdraw"):
        world.requests.approve(as_(world, "dwp.data"), request.id)
    world.requests.withdraw(as_(world, "nhse.analyst"), request.id)
    with pytest.raises(ConflictError, match="final"):
        world.requests.submit(as_(world, "nhse.analyst"), request.id)


def test_only_the_requesting_organisation_submits(world: Accord) -> None:
    request = world.requests.create(as_(world, "nhse.analyst"), example("carers-vaccination"))
    # Northshire is no party to the request: it is answered as if there were none.
    with pytest.raises(NotFoundError, match=f"no request '{request.id}'"):
        world.requests.submit(as_(world, "northshire.officer"), request.id)
    with pytest.raises(PermissionDenied):
        world.requests.create(
            as_(world, "dwp.data"), example("carers-vaccination", requester="dwp.data")
        )


def test_agreement_lifecycle_amendment_and_register(world: Accord) -> None:
    request_id = submitted_carers(world, **current_dates())
    for who in ("dwp.data", "dwp.dpo", "dwp.legal"):
        outcome = world.requests.approve(as_(world, who), request_id)
    agreement = outcome.agreement
    assert agreement is not None
    with pytest.raises(PermissionDenied):
        world.agreements.suspend(as_(world, "nhse.analyst"), agreement.id, "why not")
    suspended = world.agreements.suspend(
        as_(world, "dwp.dpo"), agreement.id, "Breach under investigation"
    )
    assert suspended.state is AgreementState.SUSPENDED
    world.agreements.reinstate(as_(world, "dwp.dpo"), agreement.id, "Investigation closed")
    dates = current_dates()
    dates["end_date"] = str(date.today() + timedelta(days=270))
    amendment = example("carers-vaccination", amends=agreement.id, **dates)
    amended = world.requests.create(as_(world, "nhse.analyst"), amendment)
    world.requests.submit(as_(world, "nhse.analyst"), amended.id)
    world.requests.start_review(as_(world, "dwp.data"), amended.id)
    for who in ("dwp.data", "dwp.dpo", "dwp.legal"):
        result = world.requests.approve(as_(world, who), amended.id)
    assert result.agreement is not None
    assert result.agreement.version == 2
    versions = world.store.agreement_versions(agreement.id)
    assert [(v.version, v.state) for v in versions] == [
        (1, AgreementState.SUPERSEDED),
        (2, AgreementState.ACTIVE),
    ]
    register = world.agreements.register()
    assert [(e.agreement, e.version) for e in register] == [(agreement.id, 2)]
    entry = register[0]
    assert entry.legal_power.startswith("Health Service (Control of Patient Information)")
    assert entry.recipient == "nhse"
    assert "Carers vaccinated earlier" in entry.expected_benefits
    world.agreements.revoke(as_(world, "dwp.legal"), agreement.id, "Programme ended")
    with pytest.raises(ConflictError):
        world.agreements.reinstate(as_(world, "dwp.dpo"), agreement.id, "again")


def test_agreements_expire_after_their_end_date(world: Accord) -> None:
    request_id = submitted_carers(world)
    for who in ("dwp.data", "dwp.dpo", "dwp.legal"):
        outcome = world.requests.approve(as_(world, who), request_id)
    assert outcome.agreement is not None
    # The example ran in 2021: by today it has expired.
    assert world.agreements.get(outcome.agreement.id).state is AgreementState.EXPIRED
    [event] = world.store.audit_events(AuditFilter(action="agreement.expire"))
    assert event.actor == "platform:timer"


def test_metrics(world: Accord) -> None:
    request_id = submitted_carers(world)
    draft = world.requests.create(as_(world, "nhse.analyst"), example("carers-vaccination"))
    for who in ("dwp.data", "dwp.dpo", "dwp.legal"):
        world.requests.approve(as_(world, who), request_id)
    metrics = world.agreements.metrics()
    assert metrics["decided"] == 1
    assert metrics["hours_to_decision"]["median"] is not None
    assert metrics["open_queue"]["draft"]["count"] == 1
    assert metrics["open_queue"]["in_review"]["owner_roles"] == ["data_owner", "dpo", "legal"]
    assert draft.id
