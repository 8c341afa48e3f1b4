"""Local accounts and OpenID Connect sign-ins under way, on the main store's engine.

Creating an account and changing its password or its TOTP secret are audited changes
(the row and its event commit together). Two writes are bookkeeping, written without
an event because the sign-in they belong to is itself the event (``web.sign_in``, by
:class:`accord.web.sessions.SessionService`): marking a TOTP step as used, and opening
or consuming the server-side record of an OpenID Connect sign-in. Both are single
conditional updates, so a code or a callback can win only once even under a race.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select, update

from accord.core.audit import AuditEvent
from accord.errors import ConflictError, NotFoundError
from accord.store.account_models import AccountRow, OidcFlowRow
from accord.store.base import Repository

__all__ = ["ACCOUNT_BOOKKEEPING", "ACCOUNT_READ_METHODS", "Account", "AccountStore", "OidcFlow"]

ACCOUNT_READ_METHODS = frozenset({"get_account", "has_accounts"})
"""Public methods that change nothing."""
ACCOUNT_BOOKKEEPING = frozenset({"use_totp_step", "open_oidc_flow", "take_oidc_flow"})
"""Public methods that write without an event: the sign-in they serve is the event."""


@dataclass(frozen=True, slots=True)
class Account:
    principal_id: str
    password_hash: str
    totp_sealed: bytes | None
    totp_last_step: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class OidcFlow:
    """What the service remembers between sending a browser to a provider and its return."""

    id: str
    provider: str
    nonce: str
    code_verifier: str
    next_path: str
    redirect_uri: str
    created_at: datetime
    expires_at: datetime


class AccountStore(Repository):
    # -- accounts ------------------------------------------------------------------

    def add_account(self, account: Account, *, audit: AuditEvent) -> None:
        def change(conn: Connection) -> None:
            if conn.execute(
                select(AccountRow.principal_id).where(
                    AccountRow.principal_id == account.principal_id
                )
            ).first():
                raise ConflictError(f"{account.principal_id!r} already has an account")
            conn.execute(
                insert(AccountRow).values(
                    principal_id=account.principal_id,
                    password_hash=account.password_hash,
                    totp_sealed=account.totp_sealed,
                    totp_last_step=account.totp_last_step,
                    created_at=account.created_at,
                    updated_at=account.updated_at,
                )
            )

        self._write(audit, change)

    def get_account(self, principal_id: str) -> Account | None:
        with self._read() as conn:
            r = conn.execute(
                select(AccountRow.__table__).where(AccountRow.principal_id == principal_id)
            ).first()
        if r is None:
            return None
        return Account(
            r.principal_id,
            r.password_hash,
            r.totp_sealed,
            r.totp_last_step,
            r.created_at,
            r.updated_at,
        )

    def has_accounts(self) -> bool:
        with self._read() as conn:
            return conn.execute(select(AccountRow.principal_id).limit(1)).first() is not None

    def set_password_hash(
        self, principal_id: str, password_hash: str, when: datetime, *, audit: AuditEvent
    ) -> None:
        self._update(principal_id, audit, password_hash=password_hash, updated_at=when)

    def set_totp(
        self, principal_id: str, sealed: bytes, when: datetime, *, audit: AuditEvent
    ) -> None:
        """A new TOTP secret; codes of the old one stop working at once."""
        self._update(principal_id, audit, totp_sealed=sealed, totp_last_step=0, updated_at=when)

    def _update(self, principal_id: str, audit: AuditEvent, **values: object) -> None:
        def change(conn: Connection) -> None:
            done = conn.execute(
                update(AccountRow).where(AccountRow.principal_id == principal_id).values(**values)
            ).rowcount
            if not done:
                raise NotFoundError(f"{principal_id!r} has no account")

        self._write(audit, change)

    def use_totp_step(self, principal_id: str, step: int) -> bool:
        """Mark ``step`` as used; False if it (or a later step) was used already."""
        with self._transaction() as conn:
            done = conn.execute(
                update(AccountRow)
                .where(AccountRow.principal_id == principal_id, AccountRow.totp_last_step < step)
                .values(totp_last_step=step)
            ).rowcount
        return bool(done)

    # -- OpenID Connect sign-ins under way -------------------------------------------

    def open_oidc_flow(self, flow: OidcFlow, *, most: int) -> bool:
        """Remember a sign-in sent to a provider, unless ``most`` are under way already
        (False: nothing is written). Expired ones are cleared on the way."""
        with self._transaction() as conn:
            conn.execute(delete(OidcFlowRow).where(OidcFlowRow.expires_at < flow.created_at))
            under_way = conn.execute(
                select(func.count()).select_from(OidcFlowRow).where(OidcFlowRow.used_at.is_(None))
            ).scalar_one()
            if under_way >= most:
                return False
            conn.execute(
                insert(OidcFlowRow).values(
                    id=flow.id,
                    provider=flow.provider,
                    nonce=flow.nonce,
                    code_verifier=flow.code_verifier,
                    next_path=flow.next_path,
                    redirect_uri=flow.redirect_uri,
                    created_at=flow.created_at,
                    expires_at=flow.expires_at,
                    used_at=None,
                )
            )
        return True

    def take_oidc_flow(self, flow_id: str, provider: str, now: datetime) -> OidcFlow | None:
        """The flow behind a callback, consumed: None if unknown, expired, for another
        provider, or already taken (a replayed callback)."""
        with self._transaction() as conn:
            done = conn.execute(
                update(OidcFlowRow)
                .where(
                    OidcFlowRow.id == flow_id,
                    OidcFlowRow.provider == provider,
                    OidcFlowRow.used_at.is_(None),
                    OidcFlowRow.expires_at > now,
                )
                .values(used_at=now)
            ).rowcount
            if not done:
                return None
            r = conn.execute(select(OidcFlowRow.__table__).where(OidcFlowRow.id == flow_id)).one()
        return OidcFlow(
            r.id,
            r.provider,
            r.nonce,
            r.code_verifier,
            r.next_path,
            r.redirect_uri,
            r.created_at,
            r.expires_at,
        )
