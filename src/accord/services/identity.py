"""Use cases for organisations, principals, roles and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from accord.core.audit import AuditEvent, Decision
from accord.core.identity import (
    Assurance,
    Membership,
    Organisation,
    OrgKind,
    Principal,
    PrincipalKind,
    Token,
    area_codes,
)
from accord.core.permissions import (
    Caller,
    can_administer,
    can_manage_organisations,
    can_manage_token,
    can_read_catalogue,
    can_view_principal,
)
from accord.errors import AuthenticationError, NotFoundError, ValidationError
from accord.services.group_commit import GroupCommit
from accord.services.guard import authorise
from accord.store import Store

__all__ = ["TOKEN_PREFIX", "IdentityService", "hash_secret"]

TOKEN_PREFIX = "accord_"  # noqa: S105 - a label, not a secret
_SLUG = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")


def hash_secret(secret: str) -> str:
    """Tokens carry 256 random bits, so a plain SHA-256 is a sound one-way store."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _slug(kind: str, value: str) -> str:
    if not _SLUG.fullmatch(value):
        raise ValidationError(
            f"{kind} id {value!r} must be 1-64 characters of a-z, 0-9, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return value


def _areas(codes: tuple[str, ...]) -> tuple[str, ...]:
    try:
        return area_codes(codes)
    except ValueError as exc:
        raise ValidationError(f"areas: {exc}") from exc


class IdentityService:
    def __init__(self, store: Store, *, token_ttl_days: int) -> None:
        self.store = store
        self.token_ttl_days = token_ttl_days
        # Concurrent requests' accesses share one transaction (still each committed
        # before its request is answered).
        self._accesses: GroupCommit[tuple[str, datetime, AuditEvent]] = GroupCommit(
            self._record_accesses
        )

    def _record_accesses(self, uses: Sequence[tuple[str, datetime, AuditEvent]]) -> None:
        self.store.touch_tokens(
            [(token_id, at) for token_id, at, _ in uses], audit=[event for _, _, event in uses]
        )

    # -- organisations -------------------------------------------------------------

    def create_organisation(
        self,
        caller: Caller,
        org_id: str,
        name: str,
        kind: OrgKind,
        assurances: tuple[Assurance, ...] = (),
        areas: tuple[str, ...] = (),
    ) -> Organisation:
        """Register an organisation; ``areas`` are the local authority districts it serves."""
        event = authorise(
            self.store,
            caller,
            can_manage_organisations(caller),
            action="org.create",
            obj=f"org:{org_id}",
            organisation=org_id,
            name=name,
            kind=kind.value,
            areas=list(areas),
        )
        if not name.strip():
            raise ValidationError("an organisation needs a name")
        org = Organisation(
            id=_slug("organisation", org_id),
            name=name.strip(),
            kind=kind,
            assurances=assurances,
            created_at=self.store.clock(),
            areas=_areas(areas),
        )
        return self.store.add_organisation(org, audit=event)

    def set_areas(self, caller: Caller, org_id: str, areas: tuple[str, ...]) -> Organisation:
        """Replace the districts ``org_id`` serves (platform admins, like every org change)."""
        event = authorise(
            self.store,
            caller,
            can_manage_organisations(caller),
            action="org.areas",
            obj=f"org:{org_id}",
            organisation=org_id,
            areas=list(areas),
        )
        return self.store.set_organisation_areas(org_id, _areas(areas), audit=event)

    def add_assurance(self, caller: Caller, org_id: str, assurance: Assurance) -> Organisation:
        event = authorise(
            self.store,
            caller,
            can_manage_organisations(caller),
            action="org.assurance",
            obj=f"org:{org_id}",
            organisation=org_id,
            scheme=assurance.scheme.value,
            reference=assurance.reference,
            expires_on=assurance.expires_on.isoformat(),
        )
        self.store.add_assurance(org_id, assurance, audit=event)
        return self.store.get_organisation(org_id)

    def list_organisations(self, caller: Caller) -> list[Organisation]:
        """Organisations and their assurance are open to every member of the platform."""
        authorise(self.store, caller, can_read_catalogue(caller), action="org.list", obj="orgs")
        return self.store.list_organisations()

    def get_organisation(self, caller: Caller, org_id: str) -> Organisation:
        authorise(
            self.store, caller, can_read_catalogue(caller), action="org.show", obj=f"org:{org_id}"
        )
        return self.store.get_organisation(org_id)

    def get_principal(self, caller: Caller, principal_id: str) -> Principal:
        principal = self.store.get_principal(principal_id)
        authorise(
            self.store,
            caller,
            can_view_principal(caller, principal),
            action="principal.show",
            obj=f"principal:{principal_id}",
        )
        return principal

    def platform_organisation(self) -> Organisation | None:
        for org in self.store.list_organisations():
            if org.kind is OrgKind.PLATFORM_OPERATOR:
                return org
        return None

    # -- principals ----------------------------------------------------------------

    def create_principal(
        self,
        caller: Caller,
        principal_id: str,
        name: str,
        kind: PrincipalKind,
        memberships: tuple[Membership, ...],
        email: str = "",
    ) -> Principal:
        if not memberships:
            raise ValidationError(
                "a principal needs at least one role in an organisation (--role ORG:ROLE)"
            )
        orgs = sorted({m.organisation_id for m in memberships})
        for org_id in orgs:
            self.store.get_organisation(org_id)
        events = [
            authorise(
                self.store,
                caller,
                can_administer(caller, org_id),
                action="principal.create",
                obj=f"principal:{principal_id}",
                organisation=org_id,
                roles=sorted(m.role.value for m in memberships if m.organisation_id == org_id),
            )
            for org_id in orgs
        ]
        principal = Principal(
            id=_slug("principal", principal_id),
            name=name.strip() or principal_id,
            kind=kind,
            email=email,
            memberships=frozenset(memberships),
        )
        self.store.add_principal(principal, self.store.clock(), audit=events[0])
        if len(events) > 1:
            self.store.record_many(events[1:])
        return principal

    def grant_role(self, caller: Caller, principal_id: str, membership: Membership) -> Principal:
        self.store.get_principal(principal_id)
        event = authorise(
            self.store,
            caller,
            can_administer(caller, membership.organisation_id),
            action="principal.grant",
            obj=f"principal:{principal_id}",
            organisation=membership.organisation_id,
            role=membership.role.value,
        )
        return self.store.grant_role(principal_id, membership, audit=event)

    def revoke_role(self, caller: Caller, principal_id: str, membership: Membership) -> Principal:
        event = authorise(
            self.store,
            caller,
            can_administer(caller, membership.organisation_id),
            action="principal.revoke",
            obj=f"principal:{principal_id}",
            organisation=membership.organisation_id,
            role=membership.role.value,
        )
        return self.store.revoke_role(principal_id, membership, audit=event)

    # -- tokens --------------------------------------------------------------------

    def issue_token(
        self,
        caller: Caller,
        principal_id: str,
        *,
        ttl_days: int | None = None,
        description: str = "",
    ) -> tuple[Token, str]:
        """A new token and its secret. The secret is returned once and never stored."""
        principal = self.store.get_principal(principal_id)
        days = self.token_ttl_days if ttl_days is None else ttl_days
        if not 1 <= days <= 366:
            raise ValidationError(f"--ttl-days must be between 1 and 366, not {days}")
        token_id = "tok_" + secrets.token_hex(6)
        event = authorise(
            self.store,
            caller,
            can_manage_token(caller, principal),
            action="token.issue",
            obj=f"token:{token_id}",
            principal=principal_id,
            ttl_days=days,
        )
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self.store.clock()
        token = Token(
            id=token_id,
            principal_id=principal_id,
            prefix=secret[: len(TOKEN_PREFIX) + 6],
            created_at=now,
            expires_at=now + timedelta(days=days),
            description=description,
        )
        self.store.add_token(token, hash_secret(secret), audit=event)
        return token, secret

    def revoke_token(self, caller: Caller, token_id: str) -> Token:
        token = self.store.get_token(token_id)
        principal = self.store.get_principal(token.principal_id)
        event = authorise(
            self.store,
            caller,
            can_manage_token(caller, principal),
            action="token.revoke",
            obj=f"token:{token_id}",
            principal=principal.id,
        )
        self.store.revoke_token(token_id, self.store.clock(), audit=event)
        return self.store.get_token(token_id)

    def list_tokens(self, caller: Caller, principal_id: str) -> list[Token]:
        principal = self.store.get_principal(principal_id)
        authorise(
            self.store,
            caller,
            can_manage_token(caller, principal),
            action="token.list",
            obj=f"principal:{principal_id}",
        )
        return self.store.list_tokens(principal_id)

    def authenticate(
        self, secret: str | None, access: str, platform_org: str, *, record_refusal: bool = True
    ) -> Caller:
        """The caller a bearer token stands for, recording the access; or a recorded 401.

        ``access`` names what was asked for (``GET /datasets``); it becomes the
        object of the audit event, so every API access is in the log. The API passes
        ``record_refusal=False``: it counts its 401s per interval instead
        (:mod:`accord.api.rate_limits`), so a flood of bad tokens cannot flood the log.
        """
        now = self.store.clock()
        token = self.store.find_token(hash_secret(secret)) if secret else None
        if token is None:
            reason = "no bearer token" if not secret else "unknown token"
        elif token.revoked_at is not None:
            reason = f"token {token.id} was revoked"
        elif now >= token.expires_at:
            reason = f"token {token.id} expired"
        else:
            reason = ""
        if reason or token is None:
            if record_refusal:
                self.store.record(
                    AuditEvent(
                        actor=f"token:{token.id}" if token else "anonymous",
                        action="api.authenticate",
                        object=access,
                        decision=Decision.DENY,
                        reason=reason,
                    )
                )
            raise AuthenticationError(reason)
        try:
            principal = self.store.get_principal(token.principal_id)
        except NotFoundError as exc:  # pragma: no cover - foreign keys prevent this
            raise AuthenticationError("the token's principal no longer exists") from exc
        self._accesses.submit(
            (
                token.id,
                now,
                AuditEvent(
                    actor=f"principal:{principal.id}",
                    action="api.access",
                    object=access,
                    reason=f"valid token {token.id}",
                ),
            )
        )
        return Caller.for_principal(principal, platform_org, token.id)
