"""The web service's sessions, behind a narrow repository on the main store's engine.

Signing in and out are audited changes (the session and its event commit together);
marking a session as seen is bookkeeping, written without an event, so that reading a
page does not grow the audit log by a line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from accord.core.audit import AuditEvent
from accord.store.base import Repository
from accord.store.web_models import WebSessionRow

__all__ = ["WEB_READ_METHODS", "WebSession", "WebStore"]

WEB_READ_METHODS = frozenset({"get_session"})
"""Public methods that change nothing."""


@dataclass(frozen=True, slots=True)
class WebSession:
    id: str
    principal_id: str
    method: str
    csrf: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ended_at: datetime | None


class WebStore(Repository):
    def start_session(self, session: WebSession, *, audit: AuditEvent) -> None:
        def change(conn: Connection) -> None:
            conn.execute(
                insert(WebSessionRow).values(
                    id=session.id,
                    principal_id=session.principal_id,
                    method=session.method,
                    csrf=session.csrf,
                    created_at=session.created_at,
                    last_seen_at=session.last_seen_at,
                    expires_at=session.expires_at,
                    ended_at=None,
                )
            )

        self._write(audit, change)

    def get_session(self, session_id: str) -> WebSession | None:
        with self._read() as conn:
            r = conn.execute(
                select(WebSessionRow.__table__).where(WebSessionRow.id == session_id)
            ).first()
        if r is None:
            return None
        return WebSession(
            r.id,
            r.principal_id,
            r.method,
            r.csrf,
            r.created_at,
            r.last_seen_at,
            r.expires_at,
            r.ended_at,
        )

    def seen(self, session_id: str, when: datetime) -> None:
        with self._transaction() as conn:
            conn.execute(
                update(WebSessionRow)
                .where(WebSessionRow.id == session_id, WebSessionRow.ended_at.is_(None))
                .values(last_seen_at=when)
            )

    def end_session(self, session_id: str, when: datetime, *, audit: AuditEvent) -> bool:
        """End a live session; False when it had ended already (nothing is written)."""
        with self._transaction() as conn:
            done = conn.execute(
                update(WebSessionRow)
                .where(WebSessionRow.id == session_id, WebSessionRow.ended_at.is_(None))
                .values(ended_at=when)
            ).rowcount
            if done:
                self._append(conn, [audit])
        return bool(done)
