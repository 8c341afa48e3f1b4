"""Access reviews: recertifications and the lapse, restoration and reminder of each period.

Every write carries its audit events and queues its notices in the same transaction
(:func:`accord.store.outbox_store.queue_notices`), so a lapse is never recorded without
the data owner being told, nor a notice sent about a change that rolled back. A lapse,
restoration or reminder is keyed by its review period's due date, so however often the
sweep runs each is recorded once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from accord.core.audit import AuditEvent
from accord.core.lifecycle.notices import Notice
from accord.core.lifecycle.reviews import Recertification
from accord.errors import ConflictError
from accord.store.base import Repository
from accord.store.outbox_store import queue_notices
from accord.store.reviews_models import RecertificationRow, ReviewEventRow
from accord.store.sharing_models import ShareTokenRow

__all__ = ["REVIEWS_READ_METHODS", "ReviewEvent", "ReviewsStore"]

REVIEWS_READ_METHODS = frozenset({"last_recertification", "recertifications", "review_events"})
"""Public methods that change nothing."""

ReviewEvent = tuple[str, str, str, date, datetime]
"""(agreement id, organisation, kind, due on, at)."""


def _recertification(r: Row[Any]) -> Recertification:
    return Recertification(
        id=r.id,
        agreement_id=r.agreement_id,
        organisation=r.organisation,
        by=r.by_principal,
        on=r.on,
        kept=tuple(r.kept),
        removed=tuple(r.removed),
        note=r.note,
    )


def _event_exists(
    conn: Connection, agreement_id: str, organisation: str, kind: str, due: date
) -> bool:
    found = conn.execute(
        select(ReviewEventRow.id).where(
            ReviewEventRow.agreement_id == agreement_id,
            ReviewEventRow.organisation == organisation,
            ReviewEventRow.kind == kind,
            ReviewEventRow.due_on == due,
        )
    ).first()
    return found is not None


def _insert_event(
    conn: Connection, agreement_id: str, organisation: str, kind: str, due: date, at: datetime
) -> bool:
    """Insert the period's event unless it is already there; whether it was inserted."""
    if _event_exists(conn, agreement_id, organisation, kind, due):
        return False
    conn.execute(
        insert(ReviewEventRow).values(
            agreement_id=agreement_id, organisation=organisation, kind=kind, due_on=due, at=at
        )
    )
    return True


class ReviewsStore(Repository):
    def recertify(
        self,
        recertification: Recertification,
        *,
        lapsed_due: date | None,
        revoke_tokens: Sequence[str],
        notices: Sequence[Notice],
        audit: Sequence[AuditEvent],
    ) -> None:
        """Record a recertification; with ``lapsed_due``, the lapse of that period (if
        the sweep had not recorded it) and its restoration; revoke the share tokens of
        principals removed. All with their audit events and notices, or none."""
        now = self.clock()

        def change(conn: Connection) -> None:
            conn.execute(
                insert(RecertificationRow).values(
                    id=recertification.id,
                    agreement_id=recertification.agreement_id,
                    organisation=recertification.organisation,
                    by_principal=recertification.by,
                    at=now,
                    on=recertification.on,
                    kept=list(recertification.kept),
                    removed=list(recertification.removed),
                    note=recertification.note,
                )
            )
            if lapsed_due is not None:
                for kind in ("lapsed", "restored"):
                    _insert_event(
                        conn,
                        recertification.agreement_id,
                        recertification.organisation,
                        kind,
                        lapsed_due,
                        now,
                    )
            if revoke_tokens:
                conn.execute(
                    update(ShareTokenRow)
                    .where(ShareTokenRow.id.in_(list(revoke_tokens)))
                    .where(ShareTokenRow.revoked_at.is_(None))
                    .values(revoked_at=now)
                )
            queue_notices(conn, notices, now)

        self._write(audit, change)

    def record_event(
        self,
        agreement_id: str,
        organisation: str,
        kind: str,
        due: date,
        *,
        notices: Sequence[Notice],
        audit: AuditEvent,
    ) -> bool:
        """Record a period's lapse or reminder once, with its notices; False (and nothing
        written) when it was recorded before."""

        with self._read() as conn:
            if _event_exists(conn, agreement_id, organisation, kind, due):
                return False

        def change(conn: Connection) -> None:
            conn.execute(
                insert(ReviewEventRow).values(
                    agreement_id=agreement_id,
                    organisation=organisation,
                    kind=kind,
                    due_on=due,
                    at=self.clock(),
                )
            )
            queue_notices(conn, notices, self.clock())

        try:
            self._write(audit, change)
        except ConflictError:
            return False  # another sweep recorded it between our look and our insert
        return True

    def last_recertification(self, agreement_id: str, organisation: str) -> Recertification | None:
        query = (
            select(RecertificationRow.__table__)
            .where(
                RecertificationRow.agreement_id == agreement_id,
                RecertificationRow.organisation == organisation,
            )
            .order_by(RecertificationRow.at.desc(), RecertificationRow.id.desc())
            .limit(1)
        )
        with self._read() as conn:
            row = conn.execute(query).first()
        return None if row is None else _recertification(row)

    def recertifications(
        self, agreement_id: str, organisation: str | None = None, limit: int = 200
    ) -> list[Recertification]:
        query = select(RecertificationRow.__table__).where(
            RecertificationRow.agreement_id == agreement_id
        )
        if organisation is not None:
            query = query.where(RecertificationRow.organisation == organisation)
        query = query.order_by(RecertificationRow.at.desc(), RecertificationRow.id.desc())
        with self._read() as conn:
            return [_recertification(r) for r in conn.execute(query.limit(limit))]

    def review_events(
        self, agreement_id: str, organisation: str | None = None, kind: str | None = None
    ) -> list[ReviewEvent]:
        query = select(ReviewEventRow.__table__).where(ReviewEventRow.agreement_id == agreement_id)
        if organisation is not None:
            query = query.where(ReviewEventRow.organisation == organisation)
        if kind is not None:
            query = query.where(ReviewEventRow.kind == kind)
        with self._read() as conn:
            rows = conn.execute(query.order_by(ReviewEventRow.at, ReviewEventRow.id)).all()
        return [(r.agreement_id, r.organisation, r.kind, r.due_on, r.at) for r in rows]
