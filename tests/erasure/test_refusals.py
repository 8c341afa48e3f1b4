"""Who may act on an erasure request, bad input, and two decisions racing."""

from __future__ import annotations

import threading

import pytest

from accord.core.lifecycle.erasure import (
    ErasureRequest,
    ErasureState,
    ParticipationFacts,
    Programme,
    ReferralKind,
)
from accord.demo.provider_world import ProviderWorld
from accord.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from accord.services.erasure import ErasureService
from accord.store.audit_store import AuditFilter

NINO = "JG103759A"
VOLUNTARY = ParticipationFacts(Programme.WHP, ReferralKind.VOLUNTARY, False)


@pytest.fixture
def service(provider_world: ProviderWorld) -> ErasureService:
    return ErasureService.of(provider_world.app)


def _referenced(world: ProviderWorld, service: ErasureService) -> ErasureRequest:
    dpo = world.caller("northfield.dpo")
    request, _ = service.receive(dpo, world.agreement.id, nino=NINO, name="A Person")
    service.refer(dpo, request.id)
    return service.assign_reference(world.caller("dwp.dpo"), request.id, "DPO-1")


def _denials(world: ProviderWorld, action: str) -> list[str]:
    events = world.app.store.audit_events(AuditFilter(action=action, decision="deny"))
    return [e.reason for e in events]


def test_another_organisation_is_told_the_request_does_not_exist(
    provider_world: ProviderWorld, service: ErasureService
) -> None:
    request = _referenced(provider_world, service)
    with pytest.raises(NotFoundError) as theirs:
        service.get(provider_world.caller("eastgate.caseworker"), request.id)
    with pytest.raises(NotFoundError) as missing:
        service.get(provider_world.caller("eastgate.caseworker"), "er-000000000000")
    assert str(theirs.value) == f"no erasure request {request.id!r}"
    assert str(missing.value) == "no erasure request 'er-000000000000'"
    assert any("not a party" in r for r in _denials(provider_world, "erasure.show"))


def test_only_the_right_role_may_act_at_each_step(
    provider_world: ProviderWorld, service: ErasureService
) -> None:
    world = provider_world
    with pytest.raises(PermissionDenied, match="DPO or admin of 'northfield'"):
        service.receive(
            world.caller("northfield.caseworker"), world.agreement.id, nino=NINO, name="A Person"
        )
    with pytest.raises(NotFoundError, match="no agreement"):  # not a party to it
        service.receive(
            world.caller("eastgate.caseworker"), world.agreement.id, nino=NINO, name="A Person"
        )
    dpo = world.caller("northfield.dpo")
    request, _ = service.receive(dpo, world.agreement.id, nino=NINO, name="A Person")
    with pytest.raises(ConflictError, match="acknowledged: it may move only to referred"):
        service.decide(dpo, request.id, VOLUNTARY)
    service.refer(dpo, request.id)
    with pytest.raises(PermissionDenied, match="only a DPO of 'dwp' assigns"):
        service.assign_reference(dpo, request.id, "DPO-1")
    service.assign_reference(world.caller("dwp.dpo"), request.id, "DPO-1")
    with pytest.raises(PermissionDenied, match="handles its participants' erasure requests"):
        service.decide(world.caller("dwp.dpo"), request.id, VOLUNTARY)
    assert _denials(world, "erasure.decide")
    assert _denials(world, "erasure.receive")


def test_bad_input_names_the_field(provider_world: ProviderWorld, service: ErasureService) -> None:
    world = provider_world
    dpo = world.caller("northfield.dpo")
    with pytest.raises(ValidationError) as bad:
        service.receive(dpo, world.agreement.id, nino="12345", name="x" * 201, address=("ok",) * 7)
    fields = {p["field"] for p in bad.value.problems}
    assert fields == {"nino", "name", "address"}
    request = _referenced(world, service)
    with pytest.raises(ValidationError, match="did_not_attend"):
        service.decide(
            dpo,
            request.id,
            ParticipationFacts(Programme.WHP, ReferralKind.MANDATED, False, did_not_attend=True),
        )
    with pytest.raises(ValidationError, match="reference"):
        service.assign_reference(world.caller("dwp.dpo"), request.id, " ")


def test_two_decisions_racing_one_lands(
    provider_world: ProviderWorld, service: ErasureService
) -> None:
    world = provider_world
    request = _referenced(world, service)
    stale = service.repository.get(request.id)
    dpo = world.caller("northfield.dpo")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(facts: ParticipationFacts) -> None:
        barrier.wait()
        try:
            service.decide(dpo, request.id, facts)
            outcomes.append("decided")
        except ConflictError:
            outcomes.append("conflict")

    started = ParticipationFacts(Programme.WHP, ReferralKind.MANDATED, True)
    threads = [threading.Thread(target=decide, args=(f,)) for f in (VOLUNTARY, started)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "decided"]
    # And the compare-and-set itself: a change from a stale read is refused.
    from accord.core.audit import AuditEvent

    with pytest.raises(ConflictError, match="changed while"):
        service.repository.move(
            stale, ErasureState.DECIDED, audit=AuditEvent(actor="test", action="erasure.decide")
        )
    assert service.repository.get(request.id).state is ErasureState.DECIDED


def test_a_withdrawn_request_forgets_the_person_and_takes_no_decision(
    provider_world: ProviderWorld, service: ErasureService
) -> None:
    request = _referenced(provider_world, service)
    dpo = provider_world.caller("northfield.dpo")
    withdrawn = service.withdraw(dpo, request.id)
    assert withdrawn.state is ErasureState.WITHDRAWN
    assert (withdrawn.nino, withdrawn.addressee_name) == ("", "")
    with pytest.raises(ConflictError, match="withdrawn: it may move only to nothing"):
        service.decide(dpo, request.id, VOLUNTARY)


def test_a_holder_without_a_signing_key_erases_nothing_until_it_has_one(
    provider_world: ProviderWorld, service: ErasureService
) -> None:
    from accord.errors import ConfigurationError

    request = _referenced(provider_world, service)
    dpo = provider_world.caller("northfield.dpo")
    service.decide(dpo, request.id, VOLUNTARY)
    erasing, _ = service.issue_letter(dpo, request.id)
    assert "ridgeway" in {h.holder for h in erasing.holders}
    with pytest.raises(ConfigurationError, match="accord org rotate-keys ridgeway"):
        service.erase_holdings(provider_world.caller("ridgeway.admin"), request.id, "ridgeway")
    assert service.repository.get(request.id).state is ErasureState.ERASING
