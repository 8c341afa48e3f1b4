"""Recalls: opened with their notice, confirmed, and purged after three months.

Every mutating method takes the audit event that records it and writes both in one
transaction; opening a recall also queues the recipient's notice in that transaction
(:func:`accord.store.outbox_store.queue_notices`), so the alert and the recall commit
together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, or_, select, update

from accord.core.audit import AuditEvent
from accord.core.lifecycle.notices import Notice
from accord.core.lifecycle.recall import Recall, RecallState
from accord.errors import ConflictError, NotFoundError
from accord.store.base import Repository
from accord.store.outbox_store import queue_notices
from accord.store.outcomes_models import RecallRow

__all__ = ["RECALL_READ_METHODS", "RecallStore"]

RECALL_READ_METHODS = frozenset({"get_recall", "recalls", "open_recall_for"})
"""Public methods that change nothing."""


class RecallStore(Repository):
    def open_recall(self, recall: Recall, notice: Notice, *, audit: AuditEvent) -> Recall:
        """Record the recall and queue the recipient's notice; one open recall per transfer."""

        def change(conn: Connection) -> Recall:
            if _open_for(conn, recall.transfer_id) is not None:
                raise ConflictError(f"package {recall.transfer_id} already has an open recall")
            conn.execute(insert(RecallRow).values(**_values(recall)))
            queue_notices(conn, [notice], self.clock())
            return recall

        return self._write(audit, change)

    def confirm_recall(
        self, recall: Recall, notice: Notice, *, expect: RecallState, audit: AuditEvent
    ) -> Recall:
        """Move a recall on, if it is still in ``expect`` (a second confirmation conflicts),
        and queue the sender's notice that it is done, in the same transaction."""

        def change(conn: Connection) -> Recall:
            done = conn.execute(
                update(RecallRow)
                .where(RecallRow.id == recall.id, RecallRow.state == expect.value)
                .values(**_values(recall))
            )
            if done.rowcount != 1:
                raise ConflictError(f"recall {recall.id} is no longer {expect.value}")
            queue_notices(conn, [notice], self.clock())
            return recall

        return self._write(audit, change)

    def purge_recalls(self, now: datetime, *, audit: Callable[[int], AuditEvent]) -> int:
        """Delete confirmed recalls kept past their three months; ``audit`` makes the
        event from the count. Nothing due: nothing written."""
        due = (RecallRow.state == RecallState.CONFIRMED.value) & (RecallRow.keep_until <= now)
        with self._read() as conn:
            ids = [r[0] for r in conn.execute(select(RecallRow.id).where(due)).all()]
        if not ids:
            return 0

        def change(conn: Connection) -> int:
            return int(conn.execute(delete(RecallRow).where(due, RecallRow.id.in_(ids))).rowcount)

        return self._write(audit(len(ids)), change)

    def get_recall(self, recall_id: str) -> Recall:
        with self._read() as conn:
            row = conn.execute(select(RecallRow).where(RecallRow.id == recall_id)).first()
        if row is None:
            raise NotFoundError(f"no recall {recall_id!r}")
        return _recall(row)

    def open_recall_for(self, transfer_id: str) -> Recall | None:
        with self._read() as conn:
            return _open_for(conn, transfer_id)

    def recalls(self, organisation: str | None = None, *, limit: int = 1000) -> list[Recall]:
        query = select(RecallRow).order_by(RecallRow.opened_at, RecallRow.id).limit(limit)
        if organisation is not None:
            query = query.where(
                or_(RecallRow.sender == organisation, RecallRow.recipient == organisation)
            )
        with self._read() as conn:
            return [_recall(r) for r in conn.execute(query).all()]


def _open_for(conn: Connection, transfer_id: str) -> Recall | None:
    row = conn.execute(
        select(RecallRow).where(
            RecallRow.transfer_id == transfer_id, RecallRow.state == RecallState.OPEN.value
        )
    ).first()
    return None if row is None else _recall(row)


def _values(r: Recall) -> dict[str, Any]:
    return {
        "id": r.id,
        "transfer_id": r.transfer_id,
        "agreement_id": r.agreement_id,
        "agreement_version": r.agreement_version,
        "dataset_id": r.dataset_id,
        "sender": r.sender,
        "recipient": r.recipient,
        "reason": r.reason,
        "state": r.state.value,
        "opened_at": r.opened_at,
        "opened_by": r.opened_by,
        "notice_id": r.notice_id,
        "confirmed_at": r.confirmed_at,
        "confirmed_by": r.confirmed_by,
        "certificate_id": r.certificate_id,
        "copy_deleted": r.copy_deleted,
        "keep_until": r.keep_until,
    }


def _recall(row: RecallRow | Row[Any]) -> Recall:
    return Recall(
        id=row.id,
        transfer_id=row.transfer_id,
        agreement_id=row.agreement_id,
        agreement_version=row.agreement_version,
        dataset_id=row.dataset_id,
        sender=row.sender,
        recipient=row.recipient,
        reason=row.reason,
        state=RecallState(row.state),
        opened_at=row.opened_at,
        opened_by=row.opened_by,
        notice_id=row.notice_id,
        confirmed_at=row.confirmed_at,
        confirmed_by=row.confirmed_by,
        certificate_id=row.certificate_id,
        copy_deleted=row.copy_deleted,
    )
