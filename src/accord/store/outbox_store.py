"""The outbox: notices queued with the change they report, then delivered.

:func:`queue_notices` is called *inside* another repository's write transaction (for
example the access-review repository's when a review lapses), so the notice commits
with the change and its audit event, or not at all. :class:`OutboxStore` reads the
queue for the deliverer and records each attempt.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select

from accord.core.audit import AuditEvent
from accord.core.lifecycle.notices import Notice, NoticeKind, NoticeState
from accord.store.base import StoreBase
from accord.store.outbox_models import NoticeRow

__all__ = ["OUTBOX_READ_METHODS", "OutboxStore", "queue_notices"]

OUTBOX_READ_METHODS = frozenset({"notices", "get_notice"})
"""Public methods that change nothing."""


def queue_notices(conn: Connection, notices: Sequence[Notice], when: datetime) -> None:
    """Queue ``notices`` in the caller's transaction, each due for delivery at once."""
    for notice in notices:
        conn.execute(
            insert(NoticeRow).values(
                id=notice.id,
                organisation=notice.organisation,
                kind=notice.kind.value,
                subject=notice.subject,
                body=notice.body,
                reference=notice.reference,
                created_at=notice.created_at or when,
                state=NoticeState.QUEUED.value,
                attempts=0,
                next_attempt_at=when,
                delivered_at=None,
                last_error="",
            )
        )


class OutboxStore(StoreBase):
    def __init__(self, base: StoreBase) -> None:
        super().__init__(
            base.engine,
            signer=base.signer,
            checkpoint_every=base.checkpoint_every,
            clock=lambda: base.clock(),  # noqa: PLW0108 - late: tests move the clock
        )

    def queue(self, notices: Sequence[Notice], *, audit: AuditEvent) -> None:
        """Queue notices that report no other change (the change is the notice itself)."""
        self._write(audit, lambda conn: queue_notices(conn, notices, self.clock()))

    def notices(
        self,
        *,
        organisation: str | None = None,
        kind: NoticeKind | None = None,
        state: NoticeState | None = None,
        limit: int = 1000,
    ) -> list[Notice]:
        query = select(NoticeRow.__table__).order_by(NoticeRow.created_at, NoticeRow.id)
        if organisation is not None:
            query = query.where(NoticeRow.organisation == organisation)
        if kind is not None:
            query = query.where(NoticeRow.kind == kind.value)
        if state is not None:
            query = query.where(NoticeRow.state == state.value)
        with self._read() as conn:
            rows = conn.execute(query.limit(limit)).all()
        return [_notice(r) for r in rows]

    def get_notice(self, notice_id: str) -> Notice | None:
        with self._read() as conn:
            row = conn.execute(select(NoticeRow.__table__).where(NoticeRow.id == notice_id)).first()
        return None if row is None else _notice(row)


def _notice(r: Row[Any]) -> Notice:
    return Notice(
        id=r.id,
        organisation=r.organisation,
        kind=NoticeKind(r.kind),
        subject=r.subject,
        body=r.body,
        reference=r.reference,
        created_at=r.created_at,
    )
