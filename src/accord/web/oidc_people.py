"""The people an identity provider signs in: found by its claims, created, their roles
changed, as :func:`accord.web.oidc_providers.admit` decides.

Every change is written with its audit event, the provider as the actor
(``idp:<provider id>``), in the provider's organisation and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord.core.audit import AuditEvent
from accord.core.identity import Membership, Principal, PrincipalKind
from accord.errors import NotFoundError
from accord.store import Store
from accord.web.oidc_providers import Admission, Provider, Refusal, admit, principal_id_for

__all__ = ["admit_and_apply"]


def admit_and_apply(
    store: Store, provider: Provider, claims: Mapping[str, Any]
) -> Admission | Refusal:
    """Judge the claims and carry out what an admission changes; or the refusal."""
    principal, principal_id = _named(store, provider, claims)
    if not principal_id:
        return Refusal(f"the ID token's {provider.principal_claim} names nobody here")
    verdict = admit(provider, claims, principal, principal_id)
    if isinstance(verdict, Admission):
        _apply(store, provider, verdict)
    return verdict


def _named(
    store: Store, provider: Provider, claims: Mapping[str, Any]
) -> tuple[Principal | None, str]:
    """The principal the claims name, if it exists, and its id."""
    if provider.match_email:
        email = claims.get(provider.principal_claim)
        if not isinstance(email, str) or not email:
            return None, ""
        found = [p for p in store.list_principals() if p.email and p.email.lower() == email.lower()]
        return (found[0], found[0].id) if len(found) == 1 else (None, "")
    principal_id = principal_id_for(provider, claims)
    if principal_id is None:
        return None, ""
    try:
        return store.get_principal(principal_id), principal_id
    except NotFoundError:
        return None, principal_id


def _apply(store: Store, provider: Provider, admission: Admission) -> None:
    org = provider.organisation

    def event(action: str, reason: str, **details: object) -> AuditEvent:
        return AuditEvent(
            actor=f"idp:{provider.id}",
            action=action,
            object=f"principal:{admission.principal_id}",
            organisation=org,
            reason=reason,
            details=details,
        )

    if admission.create:
        store.add_principal(
            Principal(
                id=admission.principal_id,
                name=admission.name or admission.principal_id,
                kind=PrincipalKind.PERSON,
                email=admission.email,
                memberships=frozenset(Membership(org, role) for role in admission.grant),
            ),
            store.clock(),
            audit=event(
                "principal.create",
                f"provisioned at sign-in by {provider.id!r}, the identity provider of {org!r}",
                roles=sorted(r.value for r in admission.grant),
            ),
        )
        return
    for role in sorted(admission.grant):
        store.grant_role(
            admission.principal_id,
            Membership(org, role),
            audit=event(
                "principal.grant", f"asserted by {provider.id!r} at sign-in", role=role.value
            ),
        )
    for role in sorted(admission.revoke):
        store.revoke_role(
            admission.principal_id,
            Membership(org, role),
            audit=event(
                "principal.revoke", f"no longer asserted by {provider.id!r}", role=role.value
            ),
        )
