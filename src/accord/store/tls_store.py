"""Machine clients' signing keys: registered, found by id, listed and revoked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from accord.core.audit import AuditEvent
from accord.core.httpsig import ClientKey
from accord.errors import NotFoundError, not_found
from accord.store.base import Repository
from accord.store.tls_models import ClientKeyRow

__all__ = ["CLIENT_KEY_READ_METHODS", "ClientKeyStore"]

CLIENT_KEY_READ_METHODS = frozenset({"find_client_key", "get_client_key", "list_client_keys"})


def _client_key(row: Row[Any]) -> ClientKey:
    return ClientKey(
        id=row.id,
        principal_id=row.principal_id,
        public_key=bytes.fromhex(row.public_key),
        created_at=row.created_at,
        description=row.description,
        revoked_at=row.revoked_at,
    )


class ClientKeyStore(Repository):
    def add_client_key(self, key: ClientKey, *, audit: AuditEvent) -> ClientKey:
        def change(conn: Connection) -> None:
            conn.execute(
                insert(ClientKeyRow).values(
                    id=key.id,
                    principal_id=key.principal_id,
                    public_key=key.public_key.hex(),
                    fingerprint=key.fingerprint,
                    description=key.description,
                    created_at=key.created_at,
                )
            )

        self._write(audit, change)
        return key

    def find_client_key(self, key_id: str) -> ClientKey | None:
        """The key a signature names, or None (a signature's keyid is anyone's to send)."""
        with self._read() as conn:
            row = conn.execute(select(ClientKeyRow).where(ClientKeyRow.id == key_id)).first()
            return None if row is None else _client_key(row)

    def get_client_key(self, key_id: str) -> ClientKey:
        found = self.find_client_key(key_id)
        if found is None:
            raise not_found("client key", key_id)
        return found

    def list_client_keys(self, principal_id: str) -> list[ClientKey]:
        query = (
            select(ClientKeyRow)
            .where(ClientKeyRow.principal_id == principal_id)
            .order_by(ClientKeyRow.created_at, ClientKeyRow.id)
        )
        with self._read() as conn:
            return [_client_key(row) for row in conn.execute(query)]

    def revoke_client_key(self, key_id: str, at: datetime, *, audit: AuditEvent) -> None:
        def change(conn: Connection) -> None:
            done = conn.execute(
                update(ClientKeyRow)
                .where(ClientKeyRow.id == key_id, ClientKeyRow.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            if done.rowcount == 0:
                raise NotFoundError(f"no unrevoked client key {key_id!r}")

        self._write(audit, change)
