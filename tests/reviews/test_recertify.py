"""Who may recertify, what a recertification must say, and the sweep that records lapses."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accord.core.identity import Membership, PrincipalKind, Role
from accord.core.lifecycle.notices import NoticeKind
from accord.demo.provider_world import ProviderWorld
from accord.errors import NotFoundError, PermissionDenied, ValidationError
from accord.services.outbox import Outbox
from accord.services.reviews import ReviewService
from accord.store import AuditFilter

KEEP = ["northfield.adviser", "northfield.caseworker"]


def service(world: ProviderWorld) -> ReviewService:
    return ReviewService.of(world.app)


def move_clock(world: ProviderWorld, days: int) -> None:
    now = world.app.store.clock()
    world.app.store.clock = lambda: now + timedelta(days=days)


def test_another_organisations_admin_is_told_the_agreement_does_not_exist(
    provider_world: ProviderWorld,
) -> None:
    world = provider_world
    world.app.identity.create_principal(
        world.operator,
        "eastgate.admin",
        "eastgate.admin",
        PrincipalKind.PERSON,
        (Membership("eastgate", Role.ADMIN),),
    )
    with pytest.raises(NotFoundError) as refused:
        service(world).recertify(
            world.caller("eastgate.admin"), world.agreement.id, "northfield", keep=KEEP
        )
    missing = pytest.raises(NotFoundError)
    with missing as absent:
        service(world).recertify(
            world.caller("eastgate.admin"), "agr-nonexistent", "northfield", keep=KEEP
        )
    assert str(refused.value).replace(world.agreement.id, "X") == str(absent.value).replace(
        "agr-nonexistent", "X"
    )


def test_a_requester_is_refused_with_the_reason_on_the_record(
    provider_world: ProviderWorld,
) -> None:
    world = provider_world
    with pytest.raises(PermissionDenied) as refused:
        service(world).recertify(
            world.caller("northfield.caseworker"), world.agreement.id, "northfield", keep=KEEP
        )
    assert "only an admin of 'northfield' may recertify" in refused.value.reason
    [denied] = world.app.store.audit_events(
        AuditFilter(action="access_review.recertify", decision="deny")
    )
    assert denied.reason == refused.value.reason
    # Ridgeway's admin speaks for Ridgeway, not for Northfield.
    with pytest.raises(PermissionDenied):
        service(world).recertify(
            world.caller("ridgeway.admin"), world.agreement.id, "northfield", keep=KEEP
        )


def test_every_principal_with_access_is_confirmed(provider_world: ProviderWorld) -> None:
    world = provider_world
    admin = world.caller("northfield.admin")
    with pytest.raises(ValidationError, match=r"keep or remove northfield\.adviser"):
        service(world).recertify(
            admin, world.agreement.id, "northfield", keep=["northfield.caseworker"]
        )
    with pytest.raises(ValidationError, match=r"eastgate\.caseworker do not have access"):
        service(world).recertify(
            admin, world.agreement.id, "northfield", keep=[*KEEP, "eastgate.caseworker"]
        )
    assert not world.app.store.audit_events(
        AuditFilter(action="access_review.recertify", decision="allow")
    )
    view = service(world).recertify(admin, world.agreement.id, "northfield", keep=KEEP)
    assert view.history[0].kept == tuple(KEEP)
    assert view.due_on == world.app.store.clock().date() + timedelta(days=30)


def test_the_sweep_records_a_lapse_once_and_reminds_once_per_period(
    provider_world: ProviderWorld,
) -> None:
    world = provider_world
    outbox = Outbox(world.app.store)
    move_clock(world, 25)
    first = service(world).check(world.operator)
    again = service(world).check(world.operator)
    assert f"{world.agreement.id}/northfield" in first.reminded
    assert again.reminded == []
    assert len(outbox.notices(organisation="northfield", kind=NoticeKind.ACCESS_REVIEW_DUE)) == 1

    # Both the recipient and its sub-contractor, whose caseworker has access, are reviewed.
    under_review = [f"{world.agreement.id}/northfield", f"{world.agreement.id}/ridgeway"]
    move_clock(world, 31)
    runs = [service(world).check(world.operator) for _ in range(3)]
    assert runs[0].lapsed == under_review
    assert [r.lapsed for r in runs[1:]] == [[], []]
    assert [r.still_lapsed for r in runs[1:]] == [2, 2]
    lapses = world.app.store.audit_events(AuditFilter(action="access_review.lapse"))
    assert sorted(e.organisation for e in lapses) == ["northfield", "ridgeway"]
    for org, count in (("dwp", 2), ("northfield", 1), ("ridgeway", 1)):
        told = outbox.notices(organisation=org, kind=NoticeKind.ACCESS_REVIEW_LAPSED)
        assert len(told) == count
        assert all("caseworker" not in n.body for n in told)


def test_only_the_operator_or_a_platform_admin_runs_the_sweep(
    provider_world: ProviderWorld,
) -> None:
    world = provider_world
    with pytest.raises(PermissionDenied, match="only the local operator"):
        service(world).check(world.caller("dwp.admin"))


def test_the_data_owner_sees_the_review_read_only(provider_world: ProviderWorld) -> None:
    world = provider_world
    view, processor = service(world).reviews(world.caller("dwp.dpo"))
    assert processor.organisation == "ridgeway"
    assert (view.organisation, view.status.value, view.may_recertify) == (
        "northfield",
        "current",
        False,
    )
    assert view.with_access == tuple(KEEP)
    assert service(world).reviews(world.caller("eastgate.caseworker")) == []
    # Each provider's admin sees its own organisation's review, and recertifies it.
    for admin, org in (("northfield.admin", "northfield"), ("ridgeway.admin", "ridgeway")):
        mine = service(world).reviews(world.caller(admin))
        assert [(v.organisation, v.may_recertify) for v in mine] == [(org, True)]
    with pytest.raises(PermissionDenied, match="see the access review of 'northfield'"):
        service(world).review(world.caller("ridgeway.admin"), world.agreement.id, "northfield")
