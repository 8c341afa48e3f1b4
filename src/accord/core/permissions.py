"""Who may act: pure verdicts, each with the reason that goes to the audit log.

Every decision is a ``can_x`` returning a :class:`Verdict`; :func:`check` turns a
refusal into :class:`~accord.errors.PermissionDenied`. Deny is the default: a
verdict allows only when a rule below grants it. What a state allows (an agreement
being active, say) is decided elsewhere; this module only answers *who*.
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.core.identity import Principal, Role
from accord.errors import PermissionDenied

__all__ = [
    "Caller",
    "Verdict",
    "can_administer",
    "can_manage_organisations",
    "can_manage_token",
    "can_publish",
    "can_read_audit",
    "can_read_audit_about",
    "can_read_catalogue",
    "can_sign_checkpoint",
    "can_view_principal",
    "check",
]


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking. ``operator`` is the local command line, which holds the home's keys
    and so the platform's authority; API callers are always principals with a token."""

    actor: str
    principal: Principal | None = None
    operator: bool = False
    platform_org: str = ""
    token_id: str = ""
    via: str = ""
    """The local operator who acts on the principal's behalf from the command line."""

    @classmethod
    def local_operator(cls, user: str, platform_org: str) -> Caller:
        return cls(actor=f"operator:{user}", operator=True, platform_org=platform_org)

    @classmethod
    def for_principal(
        cls, principal: Principal, platform_org: str, token_id: str = "", via: str = ""
    ) -> Caller:
        return cls(
            actor=f"principal:{principal.id}",
            principal=principal,
            platform_org=platform_org,
            token_id=token_id,
            via=via,
        )

    def has_role(self, organisation_id: str, *roles: Role) -> bool:
        return self.principal is not None and self.principal.has_role(organisation_id, *roles)

    @property
    def is_platform_admin(self) -> bool:
        return self.operator or self.has_role(self.platform_org, Role.ADMIN)


def _allow(reason: str) -> Verdict:
    return Verdict(True, reason)


def _deny(reason: str) -> Verdict:
    return Verdict(False, reason)


def check(verdict: Verdict) -> Verdict:
    if not verdict.allowed:
        raise PermissionDenied(verdict.reason)
    return verdict


def can_manage_organisations(caller: Caller) -> Verdict:
    if caller.operator:
        return _allow("local operator")
    if caller.is_platform_admin:
        return _allow(f"admin of the platform organisation {caller.platform_org!r}")
    return _deny("only an admin of the platform organisation may manage organisations")


def can_administer(caller: Caller, organisation_id: str) -> Verdict:
    """Manage an organisation's principals and roles."""
    if caller.is_platform_admin:
        return _allow("platform admin")
    if caller.has_role(organisation_id, Role.ADMIN):
        return _allow(f"admin of {organisation_id!r}")
    return _deny(f"only an admin of {organisation_id!r} may manage its principals and roles")


def can_manage_token(caller: Caller, principal: Principal) -> Verdict:
    """Issue or revoke a principal's tokens: the principal, or an admin of one of its orgs."""
    if caller.is_platform_admin:
        return _allow("platform admin")
    if caller.principal is not None and caller.principal.id == principal.id:
        return _allow("a principal manages its own tokens")
    for membership in principal.memberships:
        if caller.has_role(membership.organisation_id, Role.ADMIN):
            return _allow(f"admin of {membership.organisation_id!r}, where {principal.id!r} works")
    return _deny(f"only {principal.id!r} or an admin of its organisations may manage its tokens")


def can_view_principal(caller: Caller, principal: Principal) -> Verdict:
    """See a principal's roles: the principal, or an admin of one of its organisations."""
    verdict = can_manage_token(caller, principal)
    if verdict.allowed:
        return verdict
    return _deny(f"only {principal.id!r} or an admin of its organisations may see its roles")


def can_publish(caller: Caller, organisation_id: str) -> Verdict:
    """Register, ingest and describe an organisation's datasets."""
    if caller.operator:
        return _allow("local operator")
    if caller.has_role(organisation_id, Role.DATA_OWNER):
        return _allow(f"data_owner of {organisation_id!r}")
    return _deny(f"only a data_owner of {organisation_id!r} may publish its datasets")


def can_read_catalogue(caller: Caller) -> Verdict:
    """The catalogue is metadata only, open to anyone Accord knows, across organisations."""
    if caller.operator or (caller.principal is not None and caller.principal.memberships):
        return _allow("any member of a registered organisation may read the catalogue")
    return _deny("the catalogue is open only to members of registered organisations")


def can_read_audit(caller: Caller, organisation_id: str | None) -> Verdict:
    """Auditors and admins of the platform see everything; of an org, that org's events."""
    if caller.operator:
        return _allow("local operator")
    if caller.has_role(caller.platform_org, Role.AUDITOR, Role.ADMIN):
        return _allow("auditor or admin of the platform organisation")
    if organisation_id is not None and caller.has_role(organisation_id, Role.AUDITOR):
        return _allow(f"auditor of {organisation_id!r}")
    if organisation_id is None:
        return _deny("only a platform auditor may read every organisation's audit events")
    return _deny(f"only an auditor of {organisation_id!r} may read its audit events")


def can_read_audit_about(caller: Caller, organisation_id: str) -> Verdict:
    """Every event an organisation is concerned in: its own staff's, and any use of its data.

    The data owner's auditor and DPO see who used their data, including another
    organisation's extracts and refused attempts; nobody else sees those events.
    """
    if caller.operator:
        return _allow("local operator")
    if caller.has_role(caller.platform_org, Role.AUDITOR, Role.ADMIN):
        return _allow("auditor or admin of the platform organisation")
    if caller.has_role(organisation_id, Role.AUDITOR, Role.DPO):
        return _allow(f"auditor or dpo of {organisation_id!r}, reading events about it")
    return _deny(
        f"only an auditor or dpo of {organisation_id!r} may read the events about its data"
    )


def can_sign_checkpoint(caller: Caller) -> Verdict:
    if caller.operator:
        return _allow("local operator")
    if caller.has_role(caller.platform_org, Role.AUDITOR, Role.ADMIN):
        return _allow("auditor or admin of the platform organisation")
    return _deny("only a platform auditor or admin may sign an audit checkpoint")
