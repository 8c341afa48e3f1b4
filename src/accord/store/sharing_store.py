"""Delta Sharing recipient credentials: issued, found by hash, listed and revoked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from accord.core.audit import AuditEvent
from accord.core.sharing.access import ShareToken
from accord.errors import NotFoundError, not_found
from accord.store.base import StoreBase
from accord.store.sharing_models import ShareTokenRow

__all__ = ["SHARING_READ_METHODS", "SharingStore"]

SHARING_READ_METHODS = frozenset({"find_share_token", "get_share_token", "list_share_tokens"})


def _share_token(row: Row[Any]) -> ShareToken:
    return ShareToken(
        id=row.id,
        agreement_id=row.agreement_id,
        principal_id=row.principal_id,
        prefix=row.prefix,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        description=row.description,
    )


class SharingStore(StoreBase):
    def add_share_token(
        self, token: ShareToken, secret_hash: str, *, audit: AuditEvent
    ) -> ShareToken:
        def change(conn: Connection) -> None:
            conn.execute(
                insert(ShareTokenRow).values(
                    id=token.id,
                    agreement_id=token.agreement_id,
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

    def find_share_token(self, secret_hash: str) -> ShareToken | None:
        query = select(ShareTokenRow).where(ShareTokenRow.secret_hash == secret_hash)
        with self._read() as conn:
            row = conn.execute(query).first()
            return None if row is None else _share_token(row)

    def get_share_token(self, token_id: str) -> ShareToken:
        with self._read() as conn:
            row = conn.execute(select(ShareTokenRow).where(ShareTokenRow.id == token_id)).first()
            if row is None:
                raise not_found("share token", token_id)
            return _share_token(row)

    def list_share_tokens(
        self, agreement_id: str | None = None, principal_id: str | None = None
    ) -> list[ShareToken]:
        query = select(ShareTokenRow).order_by(ShareTokenRow.created_at, ShareTokenRow.id)
        if agreement_id is not None:
            query = query.where(ShareTokenRow.agreement_id == agreement_id)
        if principal_id is not None:
            query = query.where(ShareTokenRow.principal_id == principal_id)
        with self._read() as conn:
            return [_share_token(row) for row in conn.execute(query)]

    def revoke_share_token(self, token_id: str, at: datetime, *, audit: AuditEvent) -> None:
        def change(conn: Connection) -> None:
            done = conn.execute(
                update(ShareTokenRow)
                .where(ShareTokenRow.id == token_id, ShareTokenRow.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            if done.rowcount == 0:
                raise NotFoundError(f"no unrevoked share token {token_id!r}")

        self._write(audit, change)
