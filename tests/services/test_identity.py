"""Organisations, principals, roles and tokens through the service layer."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from accord.core.identity import (
    Assurance,
    AssuranceScheme,
    Membership,
    OrgKind,
    PrincipalKind,
    Role,
)
from accord.errors import AuthenticationError, ConflictError, PermissionDenied, ValidationError
from accord.services.app import Accord
from accord.store import AuditFilter
from accord.store.models import TokenRow


def _setup(accord: Accord) -> None:
    op = accord.operator("test")
    accord.identity.create_organisation(
        op,
        "dwp",
        "Department for Work and Pensions",
        OrgKind.GOVERNMENT_DEPARTMENT,
        (Assurance(AssuranceScheme.ISO_27001, "IS-1", date.today() + timedelta(days=30)),),
    )
    accord.identity.create_organisation(op, "nhse", "NHS England", OrgKind.HEALTH_BODY)
    accord.identity.create_principal(
        op, "alice", "Alice", PrincipalKind.PERSON, (Membership("dwp", Role.DATA_OWNER),)
    )
    accord.identity.create_principal(
        op, "bob", "Bob", PrincipalKind.PERSON, (Membership("nhse", Role.REQUESTER),)
    )


def test_organisations_keep_their_assurance(accord: Accord) -> None:
    _setup(accord)
    dwp = accord.store.get_organisation("dwp")
    assert dwp.kind is OrgKind.GOVERNMENT_DEPARTMENT
    assert dwp.valid_assurances(date.today())
    assert not dwp.valid_assurances(date.today() + timedelta(days=31))
    with pytest.raises(ConflictError):
        accord.identity.create_organisation(
            accord.operator(), "dwp", "Another", OrgKind.HEALTH_BODY
        )


def test_ids_are_validated(accord: Accord) -> None:
    with pytest.raises(ValidationError, match="organisation id"):
        accord.identity.create_organisation(accord.operator(), "Bad Id!", "X", OrgKind.HEALTH_BODY)


def test_a_token_is_random_shown_once_and_stored_only_as_a_hash(accord: Accord) -> None:
    _setup(accord)
    token, secret = accord.identity.issue_token(accord.operator(), "alice")
    _, other_secret = accord.identity.issue_token(accord.operator(), "alice")
    assert secret != other_secret
    assert len(secret.removeprefix("accord_")) >= 43  # 32 random bytes, base64url: 256 bits
    with accord.store.engine.connect() as conn:
        stored = conn.execute(select(TokenRow.secret_hash, TokenRow.prefix)).all()
    assert all(secret not in (h, p) for h, p in stored)
    assert hashlib.sha256(secret.encode()).hexdigest() in {h for h, _ in stored}
    assert token.prefix
    assert secret.startswith(token.prefix)


def test_authentication_records_last_use_and_the_access(accord: Accord) -> None:
    _setup(accord)
    token, secret = accord.identity.issue_token(accord.operator(), "alice")
    caller = accord.identity.authenticate(secret, "GET /datasets", accord.platform_org)
    assert caller.principal is not None
    assert caller.principal.id == "alice"
    assert accord.store.get_token(token.id).last_used_at is not None
    [event] = accord.store.audit_events(AuditFilter(action="api.access", limit=1))
    assert event.actor == "principal:alice"
    assert event.object == "GET /datasets"


@pytest.mark.parametrize("case", ["missing", "unknown", "expired", "revoked"])
def test_bad_tokens_are_refused_and_audited(accord: Accord, case: str) -> None:
    _setup(accord)
    token, secret = accord.identity.issue_token(accord.operator(), "alice", ttl_days=1)
    presented: str | None = secret
    if case == "missing":
        presented = None
    elif case == "unknown":
        presented = "accord_" + "x" * 43
    elif case == "expired":
        now = accord.store.clock()
        accord.store.clock = lambda: now + timedelta(days=1, seconds=1)
    else:
        accord.identity.revoke_token(accord.operator(), token.id)
    with pytest.raises(AuthenticationError):
        accord.identity.authenticate(presented, "GET /datasets", accord.platform_org)
    [event] = accord.store.audit_events(AuditFilter(action="api.authenticate", limit=1))
    assert event.decision == "deny"
    assert event.reason


def test_refusals_are_audited_with_their_reason(accord: Accord) -> None:
    _setup(accord)
    bob = accord.identity.authenticate(
        accord.identity.issue_token(accord.operator(), "bob")[1], "test", accord.platform_org
    )
    with pytest.raises(PermissionDenied) as refused:
        accord.identity.create_organisation(bob, "evil", "Evil Corp", OrgKind.RESEARCH_BODY)
    [event] = accord.store.audit_events(AuditFilter(action="org.create", decision="deny"))
    assert event.actor == "principal:bob"
    assert event.reason == refused.value.reason
    with pytest.raises(PermissionDenied):
        accord.identity.issue_token(bob, "alice")
    with pytest.raises(PermissionDenied):
        accord.identity.grant_role(bob, "bob", Membership("dwp", Role.DATA_OWNER))
    assert accord.audit.verify().ok


def test_roles_can_be_granted_and_revoked(accord: Accord) -> None:
    _setup(accord)
    op = accord.operator()
    accord.identity.grant_role(op, "bob", Membership("nhse", Role.ANALYST))
    assert accord.store.get_principal("bob").has_role("nhse", Role.ANALYST)
    accord.identity.revoke_role(op, "bob", Membership("nhse", Role.ANALYST))
    assert not accord.store.get_principal("bob").has_role("nhse", Role.ANALYST)
    with pytest.raises(ConflictError):
        accord.identity.grant_role(op, "bob", Membership("nhse", Role.REQUESTER))


def test_an_organisation_declares_the_areas_it_serves(accord: Accord) -> None:
    op = accord.operator("test")
    council = accord.identity.create_organisation(
        op,
        "northshire",
        "Northshire County Council",
        OrgKind.LOCAL_AUTHORITY,
        areas=("e06000002", "E06000001", "E06000001"),
    )
    assert council.areas == ("E06000001", "E06000002")
    assert accord.store.get_organisation("northshire").areas == ("E06000001", "E06000002")
    changed = accord.identity.set_areas(op, "northshire", ("E07000123",))
    assert changed.areas == ("E07000123",)
    assert accord.identity.set_areas(op, "northshire", ()).areas == ()
    [event] = accord.store.audit_events(AuditFilter(action="org.areas", limit=1))
    assert event.decision == "allow"


@pytest.mark.parametrize("bad", ["E1234", "X06000001", "E0600000A", "E01000001", ""])
def test_a_malformed_area_code_is_refused_naming_the_form(accord: Accord, bad: str) -> None:
    with pytest.raises(ValidationError, match=r"areas: .*E06000001"):
        accord.identity.create_organisation(
            accord.operator(), "leeds", "Leeds", OrgKind.LOCAL_AUTHORITY, areas=(bad,)
        )
    with pytest.raises(Exception, match="no organisation"):
        accord.store.get_organisation("leeds")


def test_only_platform_admins_change_areas(accord: Accord) -> None:
    _setup(accord)
    bob = accord.identity.authenticate(
        accord.identity.issue_token(accord.operator(), "bob")[1], "test", accord.platform_org
    )
    with pytest.raises(PermissionDenied):
        accord.identity.set_areas(bob, "nhse", ("E06000001",))
    [event] = accord.store.audit_events(AuditFilter(action="org.areas", decision="deny"))
    assert event.reason
    assert accord.store.get_organisation("nhse").areas == ()
