"""The inbound channel end to end on seed 003's world: Northfield sends, DWP reads."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from accord.core.lifecycle.inbound import MessageState
from accord.core.lifecycle.notices import NoticeKind
from accord.demo.provider_world import ProviderWorld
from accord.errors import NotFoundError, PermissionDenied, ValidationError
from accord.services.inbound import InboundService, inbound_service
from accord.services.outbox import Outbox
from accord.store import AuditFilter
from tests.inbound.participants import (
    EASTGATE,
    NORTHFIELD_JETS,
    NORTHFIELD_VOLUNTARY_WHP,
    participant,
)


def whp07(person: dict[str, Any], **changes: Any) -> str:
    body = {"referral_id": person["referral_id"], "nino": person["nino"].lower(),
            "reason": "disengaged", "date_of_change": "2021-06-01", **changes}  # fmt: skip
    return json.dumps(body)


@pytest.fixture
def inbound(provider_world: ProviderWorld) -> InboundService:
    return inbound_service(provider_world.app)


def denies(world: ProviderWorld, action: str) -> list[Any]:
    return world.app.store.audit_events(AuditFilter(action=action, decision="deny", limit=1000))


def test_a_designated_sender_delivers_one_record_the_department_sees_once(
    provider_world: ProviderWorld, inbound: InboundService
) -> None:
    person = participant(provider_world, NORTHFIELD_VOLUNTARY_WHP)
    sender = provider_world.caller("northfield.caseworker")
    sent = inbound.send(sender, provider_world.agreement.id, "whp07", whp07(person))
    assert sent.organisation == "dwp"
    assert sent.payload["nino"] == person["nino"]
    inbox = inbound.inbox(provider_world.caller("dwp.data"), "dwp")
    assert [m.id for m in inbox.messages] == [sent.id]
    assert inbox.total == 1
    assert inbox.messages[0].state is MessageState.RECEIVED
    notices = Outbox(provider_world.app.store).notices(
        organisation="dwp", kind=NoticeKind.INBOUND_MESSAGE
    )
    assert len(notices) == 1
    assert person["nino"] not in notices[0].body
    assert person["surname"] not in notices[0].body
    received = provider_world.app.store.audit_events(AuditFilter(action="inbound.receive"))
    assert len(received) == 1
    assert json.loads(received[0].details)["message_id"] == sent.id
    assert json.loads(received[0].details)["referral_id"] == person["referral_id"]


def test_the_audit_log_never_holds_the_persons_identifiers(
    provider_world: ProviderWorld, inbound: InboundService
) -> None:
    person = participant(provider_world, NORTHFIELD_VOLUNTARY_WHP)
    sender = provider_world.caller("northfield.caseworker")
    sent = inbound.send(sender, provider_world.agreement.id, "whp07", whp07(person))
    with pytest.raises(ValidationError):
        inbound.send(sender, provider_world.agreement.id, "whp07",
                     whp07(person, reason="did_not_attend"))  # fmt: skip
    reader = provider_world.caller("dwp.data")
    inbound.show(reader, sent.id)
    inbound.mark_actioned(reader, sent.id)
    inbound.delete(reader, sent.id)
    events = provider_world.app.store.audit_events(AuditFilter(limit=100_000))
    text = json.dumps([[e.reason, e.details, e.object] for e in events])
    assert person["nino"] not in text
    assert person["surname"] not in text
    assert person["referral_id"] in text


def test_an_undesignated_sender_is_refused_on_the_record(
    provider_world: ProviderWorld, inbound: InboundService
) -> None:
    person = participant(provider_world, NORTHFIELD_VOLUNTARY_WHP)
    adviser = provider_world.caller("northfield.adviser")
    with pytest.raises(PermissionDenied, match="not a designated sender"):
        inbound.send(adviser, provider_world.agreement.id, "whp07", whp07(person))
    refused = denies(provider_world, "inbound.send")
    assert len(refused) == 1
    assert refused[0].actor == "principal:northfield.adviser"
    assert inbound.inbox(provider_world.caller("dwp.data"), "dwp").total == 0


def test_another_providers_participant_is_refused_as_not_found(
    provider_world: ProviderWorld, inbound: InboundService
) -> None:
    theirs = participant(provider_world, EASTGATE)
    sender = provider_world.caller("northfield.caseworker")
    agreement = provider_world.agreement.id
    with pytest.raises(NotFoundError) as other:
        inbound.send(sender, agreement, "whp07", whp07(theirs))
    unknown = {**theirs, "referral_id": "W999999999"}
    with pytest.raises(NotFoundError) as missing:
        inbound.send(sender, agreement, "whp07", whp07(unknown))
    assert str(other.value) == str(missing.value).replace("W999999999", theirs["referral_id"])
    assert type(other.value) is type(missing.value)
    assert len(denies(provider_world, "inbound.send")) == 2


def test_a_form_the_agreement_does_not_allow_or_another_org_is_refused(
    provider_world: ProviderWorld, inbound: InboundService
) -> None:
    person = participant(provider_world, NORTHFIELD_VOLUNTARY_WHP)
    eastgate = provider_world.caller("eastgate.caseworker")
    with pytest.raises(NotFoundError):
        inbound.send(eastgate, provider_world.agreement.id, "whp07", whp07(person))
    with pytest.raises(NotFoundError):
        inbound.send(provider_world.caller("northfield.caseworker"), "agr-nope", "whp07", "{}")


def test_the_body_limit_is_checked_before_parsing(
    provider_world: ProviderWorld, inbound: InboundService
) -> None:
    sender = provider_world.caller("northfield.caseworker")
    body = b"[" * (inbound.rules.max_message_bytes + 1)
    with pytest.raises(ValidationError, match="at most 16384 bytes"):
        inbound.send(sender, provider_world.agreement.id, "whp07", body)
    with pytest.raises(ValidationError, match="not a JSON object"):
        inbound.send(sender, provider_world.agreement.id, "whp07", b"{nope")
    with pytest.raises(ValidationError, match="one record per message"):
        inbound.send(sender, provider_world.agreement.id, "whp07", b"[{}, {}]")


def test_validation_failures_are_denied_naming_fields_not_values(
    provider_world: ProviderWorld, inbound: InboundService
) -> None:
    person = participant(provider_world, NORTHFIELD_VOLUNTARY_WHP)
    sender = provider_world.caller("northfield.caseworker")
    with pytest.raises(ValidationError, match=r"^nino: ") as exc:
        inbound.send(sender, provider_world.agreement.id, "whp07",
                     whp07(person, nino="AB123456C"))  # fmt: skip
    assert "AB123456C" not in str(exc.value)
    refused = denies(provider_world, "inbound.send")
    assert json.loads(refused[-1].details)["fields"] == ["nino"]
    assert inbound.inbox(provider_world.caller("dwp.data"), "dwp").total == 0


def test_exit_report_template_follows_the_participants_programme(
    provider_world: ProviderWorld, inbound: InboundService
) -> None:
    person = participant(provider_world, NORTHFIELD_JETS)
    sender = provider_world.caller("northfield.caseworker")
    steps = " ".join(["Agree a job search plan with the work coach this month"] * 4)
    body = {"referral_id": person["referral_id"], "nino": person["nino"],
            "surname": person["surname"], "summary": "Attended every session.",
            "next_steps": steps}  # fmt: skip
    sent = inbound.send(sender, provider_world.agreement.id, "exit_report", json.dumps(body))
    assert sent.template == "WHPEREJ1 (JETS)"
    core = {**body, "employability": "Ready for warehouse work."}
    with pytest.raises(ValidationError, match="employability: not a field of the WHPEREJ1"):
        inbound.send(sender, provider_world.agreement.id, "exit_report", json.dumps(core))


def test_the_payment_team_reads_only_employment_business_forms(
    provider_world: ProviderWorld, inbound: InboundService
) -> None:
    person = participant(provider_world, NORTHFIELD_VOLUNTARY_WHP)
    sender = provider_world.caller("northfield.caseworker")
    today = provider_world.app.store.clock().date()
    form = {"referral_id": person["referral_id"], "nino": person["nino"],
            "customer_name": f"{person['forename']} {person['surname']}",
            "employment_start_date": str(today),
            "first_salary_date": str(today + timedelta(days=5))}  # fmt: skip
    job = inbound.send(sender, provider_world.agreement.id, "employment_business", json.dumps(form))
    change = inbound.send(sender, provider_world.agreement.id, "whp07", whp07(person))
    payments = provider_world.caller("dwp.payments")
    assert [m.id for m in inbound.inbox(payments, "dwp").messages] == [job.id]
    with pytest.raises(NotFoundError):
        inbound.show(payments, change.id)
    with pytest.raises(NotFoundError):
        inbound.inbox(provider_world.caller("northfield.caseworker"), "dwp")
    with pytest.raises(NotFoundError):
        inbound.show(provider_world.caller("eastgate.caseworker"), job.id)


def test_an_actioned_message_can_be_deleted_and_only_then(
    provider_world: ProviderWorld, inbound: InboundService
) -> None:
    person = participant(provider_world, NORTHFIELD_VOLUNTARY_WHP)
    sent = inbound.send(provider_world.caller("northfield.caseworker"),
                        provider_world.agreement.id, "whp07", whp07(person))  # fmt: skip
    reader = provider_world.caller("dwp.dpo")
    with pytest.raises(PermissionDenied, match="only a message that is actioned can be deleted"):
        inbound.delete(reader, sent.id)
    actioned = inbound.mark_actioned(reader, sent.id)
    assert actioned.state is MessageState.ACTIONED
    with pytest.raises(PermissionDenied):
        inbound.mark_actioned(reader, sent.id)
    inbound.delete(reader, sent.id)
    assert inbound.inbox(reader, "dwp").total == 0
    with pytest.raises(NotFoundError):
        inbound.show(reader, sent.id)
    deleted = provider_world.app.store.audit_events(AuditFilter(action="inbound.delete"))
    assert sorted(e.decision for e in deleted) == ["allow", "deny"]


def test_a_suspended_agreement_takes_no_messages(
    provider_world: ProviderWorld, inbound: InboundService
) -> None:
    person = participant(provider_world, NORTHFIELD_VOLUNTARY_WHP)
    provider_world.app.agreements.suspend(
        provider_world.caller("dwp.data"), provider_world.agreement.id, "access review lapsed"
    )
    with pytest.raises(PermissionDenied, match="the agreement is suspended"):
        inbound.send(provider_world.caller("northfield.caseworker"),
                     provider_world.agreement.id, "whp07", whp07(person))  # fmt: skip
    assert inbound.inbox(provider_world.caller("dwp.data"), "dwp").total == 0
