"""Organisations, assurances, principals, role memberships and API tokens."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from accord.core.audit import AuditEvent
from accord.core.identity import (
    Assurance,
    AssuranceScheme,
    Membership,
    Organisation,
    OrgKind,
    Principal,
    PrincipalKind,
    Role,
    Token,
)
from accord.errors import ConflictError, NotFoundError, not_found
from accord.store.base import StoreBase
from accord.store.models import (
    AssuranceRow,
    MembershipRow,
    OrganisationAreaRow,
    OrganisationRow,
    PrincipalRow,
    TokenRow,
)

__all__ = ["IdentityStore"]


def _token(row: Row[Any]) -> Token:
    return Token(
        id=row.id,
        principal_id=row.principal_id,
        prefix=row.prefix,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
        description=row.description,
    )


class IdentityStore(StoreBase):
    # -- organisations -------------------------------------------------------------

    def _load_organisation(self, conn: Connection, org_id: str) -> Organisation:
        row = conn.execute(select(OrganisationRow).where(OrganisationRow.id == org_id)).first()
        if row is None:
            raise NotFoundError(f"no organisation {org_id!r}; `accord org list` shows them")
        assurances = conn.execute(
            select(AssuranceRow)
            .where(AssuranceRow.organisation_id == org_id)
            .order_by(AssuranceRow.expires_on)
        )
        return Organisation(
            id=row.id,
            name=row.name,
            kind=OrgKind(row.kind),
            assurances=tuple(
                Assurance(AssuranceScheme(a.scheme), a.reference, a.expires_on) for a in assurances
            ),
            created_at=row.created_at,
            areas=tuple(
                conn.execute(
                    select(OrganisationAreaRow.area_code)
                    .where(OrganisationAreaRow.organisation_id == org_id)
                    .order_by(OrganisationAreaRow.area_code)
                ).scalars()
            ),
        )

    def get_organisation(self, org_id: str) -> Organisation:
        with self._read() as conn:
            return self._load_organisation(conn, org_id)

    def list_organisations(self) -> list[Organisation]:
        with self._read() as conn:
            ids = conn.execute(select(OrganisationRow.id).order_by(OrganisationRow.id)).scalars()
            return [self._load_organisation(conn, org_id) for org_id in list(ids)]

    def add_organisation(self, org: Organisation, *, audit: AuditEvent) -> Organisation:
        def change(conn: Connection) -> None:
            exists = conn.execute(
                select(OrganisationRow.id).where(
                    (OrganisationRow.id == org.id) | (OrganisationRow.name == org.name)
                )
            ).first()
            if exists:
                raise ConflictError(f"an organisation with id {org.id!r} or that name exists")
            conn.execute(
                insert(OrganisationRow).values(
                    id=org.id, name=org.name, kind=org.kind.value, created_at=org.created_at
                )
            )
            for assurance in org.assurances:
                self._insert_assurance(conn, org.id, assurance)
            self._insert_areas(conn, org.id, org.areas)

        self._write(audit, change)
        return org

    @staticmethod
    def _insert_areas(conn: Connection, org_id: str, areas: tuple[str, ...]) -> None:
        if areas:
            conn.execute(
                insert(OrganisationAreaRow),
                [{"organisation_id": org_id, "area_code": code} for code in areas],
            )

    def set_organisation_areas(
        self, org_id: str, areas: tuple[str, ...], *, audit: AuditEvent
    ) -> Organisation:
        """Replace the districts ``org_id`` serves, with the audit event, in one transaction."""

        def change(conn: Connection) -> None:
            self._load_organisation(conn, org_id)
            conn.execute(
                delete(OrganisationAreaRow).where(OrganisationAreaRow.organisation_id == org_id)
            )
            self._insert_areas(conn, org_id, areas)

        self._write(audit, change)
        return self.get_organisation(org_id)

    @staticmethod
    def _insert_assurance(conn: Connection, org_id: str, assurance: Assurance) -> None:
        conn.execute(
            insert(AssuranceRow).values(
                organisation_id=org_id,
                scheme=assurance.scheme.value,
                reference=assurance.reference,
                expires_on=assurance.expires_on,
            )
        )

    def add_assurance(self, org_id: str, assurance: Assurance, *, audit: AuditEvent) -> None:
        def change(conn: Connection) -> None:
            self._load_organisation(conn, org_id)
            self._insert_assurance(conn, org_id, assurance)

        self._write(audit, change)

    # -- principals and roles ------------------------------------------------------

    def _load_principal(self, conn: Connection, principal_id: str) -> Principal:
        row = conn.execute(select(PrincipalRow).where(PrincipalRow.id == principal_id)).first()
        if row is None:
            raise not_found("principal", principal_id)
        memberships = conn.execute(
            select(MembershipRow.organisation_id, MembershipRow.role).where(
                MembershipRow.principal_id == principal_id
            )
        )
        return Principal(
            id=row.id,
            name=row.name,
            kind=PrincipalKind(row.kind),
            email=row.email,
            memberships=frozenset(Membership(org, Role(role)) for org, role in memberships),
        )

    def get_principal(self, principal_id: str) -> Principal:
        with self._read() as conn:
            return self._load_principal(conn, principal_id)

    def list_principals(self, organisation_id: str | None = None) -> list[Principal]:
        query = select(PrincipalRow.id).order_by(PrincipalRow.id)
        if organisation_id is not None:
            query = query.where(
                PrincipalRow.id.in_(
                    select(MembershipRow.principal_id).where(
                        MembershipRow.organisation_id == organisation_id
                    )
                )
            )
        with self._read() as conn:
            ids = list(conn.execute(query).scalars())
            return [self._load_principal(conn, pid) for pid in ids]

    def add_principal(
        self, principal: Principal, created_at: datetime, *, audit: AuditEvent
    ) -> Principal:
        def change(conn: Connection) -> None:
            if conn.execute(select(PrincipalRow.id).where(PrincipalRow.id == principal.id)).first():
                raise ConflictError(f"a principal {principal.id!r} exists already")
            conn.execute(
                insert(PrincipalRow).values(
                    id=principal.id,
                    name=principal.name,
                    kind=principal.kind.value,
                    email=principal.email,
                    created_at=created_at,
                )
            )
            for membership in principal.memberships:
                self._insert_membership(conn, principal.id, membership)

        self._write(audit, change)
        return principal

    @staticmethod
    def _insert_membership(conn: Connection, principal_id: str, membership: Membership) -> None:
        conn.execute(
            insert(MembershipRow).values(
                principal_id=principal_id,
                organisation_id=membership.organisation_id,
                role=membership.role.value,
            )
        )

    def grant_role(
        self, principal_id: str, membership: Membership, *, audit: AuditEvent
    ) -> Principal:
        def change(conn: Connection) -> Principal:
            principal = self._load_principal(conn, principal_id)
            self._load_organisation(conn, membership.organisation_id)
            if membership in principal.memberships:
                raise ConflictError(
                    f"{principal_id!r} already has role {membership.role.value} "
                    f"in {membership.organisation_id!r}"
                )
            self._insert_membership(conn, principal_id, membership)
            return self._load_principal(conn, principal_id)

        return self._write(audit, change)

    def revoke_role(
        self, principal_id: str, membership: Membership, *, audit: AuditEvent
    ) -> Principal:
        def change(conn: Connection) -> Principal:
            gone = conn.execute(
                delete(MembershipRow).where(
                    MembershipRow.principal_id == principal_id,
                    MembershipRow.organisation_id == membership.organisation_id,
                    MembershipRow.role == membership.role.value,
                )
            )
            if gone.rowcount == 0:
                raise NotFoundError(
                    f"{principal_id!r} has no role {membership.role.value} "
                    f"in {membership.organisation_id!r}"
                )
            return self._load_principal(conn, principal_id)

        return self._write(audit, change)

    # -- tokens --------------------------------------------------------------------

    def add_token(self, token: Token, secret_hash: str, *, audit: AuditEvent) -> Token:
        def change(conn: Connection) -> None:
            self._load_principal(conn, token.principal_id)
            conn.execute(
                insert(TokenRow).values(
                    id=token.id,
                    principal_id=token.principal_id,
                    secret_hash=secret_hash,
                    prefix=token.prefix,
                    description=token.description,
                    created_at=token.created_at,
                    expires_at=token.expires_at,
                )
            )

        self._write(audit, change)
        return token

    def find_token(self, secret_hash: str) -> Token | None:
        with self._read() as conn:
            row = conn.execute(select(TokenRow).where(TokenRow.secret_hash == secret_hash)).first()
            return None if row is None else _token(row)

    def get_token(self, token_id: str) -> Token:
        with self._read() as conn:
            row = conn.execute(select(TokenRow).where(TokenRow.id == token_id)).first()
            if row is None:
                raise not_found("token", token_id)
            return _token(row)

    def list_tokens(self, principal_id: str | None = None) -> list[Token]:
        query = select(TokenRow).order_by(TokenRow.created_at)
        if principal_id is not None:
            query = query.where(TokenRow.principal_id == principal_id)
        with self._read() as conn:
            return [_token(row) for row in conn.execute(query)]

    def revoke_token(self, token_id: str, at: datetime, *, audit: AuditEvent) -> None:
        def change(conn: Connection) -> None:
            done = conn.execute(
                update(TokenRow)
                .where(TokenRow.id == token_id, TokenRow.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            if done.rowcount == 0:
                raise NotFoundError(f"no unrevoked token {token_id!r}")

        self._write(audit, change)

    def touch_token(self, token_id: str, at: datetime, *, audit: AuditEvent) -> None:
        """Record a token's use; ``audit`` is the access it was used for."""
        self.touch_tokens([(token_id, at)], audit=[audit])

    def touch_tokens(
        self, uses: Sequence[tuple[str, datetime]], *, audit: Sequence[AuditEvent]
    ) -> None:
        """Record several tokens' uses and their accesses in one transaction (the API's
        group commit: :mod:`accord.services.group_commit`)."""
        latest: dict[str, datetime] = {}
        for token_id, at in uses:
            latest[token_id] = max(at, latest.get(token_id, at))

        def change(conn: Connection) -> None:
            for token_id, at in latest.items():
                conn.execute(
                    update(TokenRow).where(TokenRow.id == token_id).values(last_used_at=at)
                )

        self._write(audit, change)
