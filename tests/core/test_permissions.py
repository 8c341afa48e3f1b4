"""Who may act: deny by default, and every verdict carries its reason."""

from __future__ import annotations

from accord.core.identity import Membership, Principal, PrincipalKind, Role
from accord.core.permissions import (
    Caller,
    can_administer,
    can_manage_organisations,
    can_manage_token,
    can_publish,
    can_read_audit,
    can_read_catalogue,
)

PLATFORM = "platform"


def principal(pid: str, *roles: tuple[str, Role]) -> Principal:
    return Principal(
        pid, pid, PrincipalKind.PERSON, memberships=frozenset(Membership(o, r) for o, r in roles)
    )


def caller(p: Principal) -> Caller:
    return Caller.for_principal(p, PLATFORM)


def test_a_principal_with_no_roles_may_do_nothing() -> None:
    nobody = caller(principal("nobody"))
    for verdict in (
        can_manage_organisations(nobody),
        can_administer(nobody, "dwp"),
        can_publish(nobody, "dwp"),
        can_read_catalogue(nobody),
        can_read_audit(nobody, "dwp"),
        can_read_audit(nobody, None),
    ):
        assert not verdict.allowed
        assert verdict.reason


def test_roles_are_held_per_organisation() -> None:
    owner = caller(principal("o", ("dwp", Role.DATA_OWNER)))
    assert can_publish(owner, "dwp").allowed
    refused = can_publish(owner, "nhse")
    assert not refused.allowed
    assert "nhse" in refused.reason


def test_an_organisations_auditor_sees_only_its_own_events() -> None:
    auditor = caller(principal("a", ("dwp", Role.AUDITOR)))
    assert can_read_audit(auditor, "dwp").allowed
    assert not can_read_audit(auditor, "nhse").allowed
    assert not can_read_audit(auditor, None).allowed


def test_platform_admins_manage_organisations_and_everyone_elses_principals() -> None:
    admin = caller(principal("root", (PLATFORM, Role.ADMIN)))
    assert can_manage_organisations(admin).allowed
    assert can_administer(admin, "dwp").allowed
    dwp_admin = caller(principal("d", ("dwp", Role.ADMIN)))
    assert not can_manage_organisations(dwp_admin).allowed
    assert can_administer(dwp_admin, "dwp").allowed
    assert not can_administer(dwp_admin, "nhse").allowed


def test_tokens_are_managed_by_their_principal_or_its_admins() -> None:
    alice = principal("alice", ("dwp", Role.REQUESTER))
    assert can_manage_token(caller(alice), alice).allowed
    bob = principal("bob", ("nhse", Role.REQUESTER))
    assert not can_manage_token(caller(bob), alice).allowed
    assert can_manage_token(caller(principal("d", ("dwp", Role.ADMIN))), alice).allowed
