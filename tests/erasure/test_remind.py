"""Deadline reminders and the notices each step queues with its change."""

from __future__ import annotations

from datetime import timedelta

from accord.core.lifecycle.erasure import ParticipationFacts, Programme, ReferralKind
from accord.core.lifecycle.notices import NoticeKind
from accord.demo.provider_world import ProviderWorld
from accord.services.erasure import ErasureService
from accord.services.outbox import Outbox


def test_reminders_come_once_a_day_when_due_soon_and_reach_the_department_when_overdue(
    provider_world: ProviderWorld,
) -> None:
    app = provider_world.app
    service = ErasureService.of(app)
    outbox = Outbox(app.store)
    dpo = provider_world.caller("northfield.dpo")
    today = app.store.clock().date()
    request, _ = service.receive(
        dpo,
        provider_world.agreement.id,
        nino="JG103759A",
        name="Ann Other",
        received_on=today - timedelta(days=25),
    )
    fresh, _ = service.receive(dpo, provider_world.agreement.id, nino="AB123456C", name="Bea Other")
    service.refer(dpo, request.id)
    received = outbox.notices(organisation="dwp", kind=NoticeKind.ERASURE_RECEIVED)
    assert [n.reference for n in received] == [request.subject]
    assert "Ann Other" not in received[0].body
    assert "JG103759A" not in received[0].body

    operator = app.operator("test")
    assert [r.id for r in service.remind(operator, today)] == [request.id]  # due soon
    assert service.remind(operator, today) == []  # once a day
    late = request.due_on + timedelta(days=2)
    assert {r.id for r in service.remind(operator, late)} == {request.id}  # fresh is on time
    to_dwp = outbox.notices(organisation="dwp", kind=NoticeKind.ERASURE_DEADLINE)
    assert len(to_dwp) == 1
    assert "overdue by 2 days" in to_dwp[0].subject
    to_provider = outbox.notices(organisation="northfield", kind=NoticeKind.ERASURE_DEADLINE)
    assert len(to_provider) == 2
    assert fresh.id not in {n.reference for n in to_provider}

    service.assign_reference(provider_world.caller("dwp.dpo"), request.id, "DPO-3")
    service.decide(dpo, request.id, ParticipationFacts(Programme.WHP, ReferralKind.MANDATED, True))
    decided = outbox.notices(organisation="dwp", kind=NoticeKind.ERASURE_DECIDED)
    assert [n.reference for n in decided] == [request.subject]
    service.issue_letter(dpo, request.id)
    assert request.id not in {r.id for r in service.remind(operator, late + timedelta(days=1))}
