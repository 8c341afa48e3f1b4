"""An accepted erasure reaches the case records Accord holds for the provider too."""

from __future__ import annotations

from accord.core.lifecycle.erasure import ErasureState, ParticipationFacts, Programme, ReferralKind
from accord.core.lifecycle.record_retention import RecordState
from accord.demo.provider_steps.erasure import participants
from accord.demo.provider_world import ProviderWorld
from accord.services.erasure import ErasureService
from accord.services.records import RecordsService
from accord.store import AuditFilter


def test_an_accepted_erasure_removes_the_persons_held_records_and_only_theirs(
    provider_world: ProviderWorld,
) -> None:
    world = provider_world
    person, other = participants(world)[:2]
    records = RecordsService.of(world.app)
    admin = world.caller("northfield.admin")
    held = {
        who["nino"]: records.add(
            admin,
            "northfield",
            kind="journey_evidence",
            referral_id=f"W00000000{n}",
            nino=who["nino"],
            data=f"action plan for {who['nino']}".encode(),
            suffix=".txt",
        )
        for n, who in enumerate((person, other), start=1)
    }

    service = ErasureService.of(world.app)
    dpo = world.caller("northfield.dpo")
    request, _ = service.receive(dpo, world.agreement.id, nino=person["nino"], name="A Person")
    service.refer(dpo, request.id)
    service.assign_reference(world.caller("dwp.dpo"), request.id, "DPO-2026-0101")
    kind = Programme.JETS if person["programme"] == "WHP-JETS" else Programme.WHP
    service.decide(dpo, request.id, ParticipationFacts(kind, ReferralKind.VOLUNTARY, False))
    erasing, _ = service.issue_letter(dpo, request.id)
    assert erasing.state is ErasureState.ERASING
    assert "northfield" in {h.holder for h in erasing.holders}
    service.erase_holdings(dpo, request.id, "northfield")

    gone = records.repository.get_record(held[person["nino"]].id)
    assert gone.state is RecordState.DELETED
    assert (gone.participant, gone.referral_id) == ("erased", "")
    assert not records.path_of(gone).exists()
    kept = records.repository.get_record(held[other["nino"]].id)
    assert kept.state is RecordState.HELD
    assert records.path_of(kept).read_bytes() == f"action plan for {other['nino']}".encode()
    [event] = world.app.store.audit_events(AuditFilter(action="records.erase", limit=10))
    assert person["nino"] not in f"{event.object} {event.reason} {event.details}"
