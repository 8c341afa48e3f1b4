"""The outbox: notices queued with the change they report, then delivered.

:func:`queue_notices` is called *inside* another repository's write transaction (for
example the access-review repository's when a review lapses), so the notice commits
with the change and its audit event, or not at all. :class:`OutboxStore` reads the
queue for the deliverer and records each attempt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from accord.core.audit import AuditEvent
from accord.core.lifecycle.notices import Notice, NoticeKind, NoticeState
from accord.core.lifecycle.subscriptions import Channel, Subscription
from accord.errors import ConflictError, NotFoundError
from accord.store.base import Repository
from accord.store.outbox_models import NoticeDeliveryRow, NoticeRow, NoticeSubscriptionRow

__all__ = ["OUTBOX_READ_METHODS", "Delivery", "NoticeStatus", "OutboxStore", "queue_notices"]

OUTBOX_READ_METHODS = frozenset(
    {
        "notices",
        "get_notice",
        "statuses",
        "due",
        "subscriptions",
        "get_subscription",
        "count_subscriptions",
        "deliveries",
        "existing_ids",
    }
)
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


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one destination has had of one notice."""

    notice_id: str
    subscription_id: str
    channel: Channel
    delivered: bool
    attempts: int
    last_attempt_at: datetime
    last_error: str


@dataclass(frozen=True, slots=True)
class NoticeStatus:
    """A notice with where its delivery stands, as its organisation's admin sees it."""

    notice: Notice
    state: NoticeState
    attempts: int
    next_attempt_at: datetime
    delivered_at: datetime | None
    last_error: str


class OutboxStore(Repository):
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

    # -- the queue, as the deliverer reads and moves it --------------------------------

    def statuses(self, organisation: str, *, limit: int = 100) -> list[NoticeStatus]:
        """An organisation's most recent notices, newest first, with their delivery state."""
        query = (
            select(NoticeRow.__table__)
            .where(NoticeRow.organisation == organisation)
            .order_by(NoticeRow.created_at.desc(), NoticeRow.id)
            .limit(limit)
        )
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [_status(r) for r in rows]

    def due(self, now: datetime, limit: int) -> list[NoticeStatus]:
        """Queued notices whose next attempt is due, longest waiting first."""
        query = (
            select(NoticeRow.__table__)
            .where(NoticeRow.state == NoticeState.QUEUED.value, NoticeRow.next_attempt_at <= now)
            .order_by(NoticeRow.next_attempt_at, NoticeRow.created_at, NoticeRow.id)
            .limit(limit)
        )
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [_status(r) for r in rows]

    def existing_ids(self, ids: Sequence[str]) -> set[str]:
        with self._read() as conn:
            found = conn.execute(select(NoticeRow.id).where(NoticeRow.id.in_(list(ids))))
            return set(found.scalars())

    def queue_new(self, notices: Sequence[Notice], *, audit: AuditEvent) -> list[Notice]:
        """Queue those of ``notices`` whose id is not queued yet (reminders: once a day)."""

        def change(conn: Connection) -> list[Notice]:
            ids = [n.id for n in notices]
            seen = set(conn.execute(select(NoticeRow.id).where(NoticeRow.id.in_(ids))).scalars())
            fresh = [n for n in notices if n.id not in seen]
            queue_notices(conn, fresh, self.clock())
            return fresh

        return self._write(audit, change)

    def record_attempt(
        self,
        notice: Notice,
        subscription: Subscription,
        *,
        delivered: bool,
        error: str,
        audit: AuditEvent,
    ) -> Delivery:
        """What one destination had of a notice, after sending it (or failing to)."""
        now = self.clock()
        state = "delivered" if delivered else "failed"

        def change(conn: Connection) -> Delivery:
            key = (
                NoticeDeliveryRow.notice_id == notice.id,
                NoticeDeliveryRow.subscription_id == subscription.id,
            )
            row = conn.execute(select(NoticeDeliveryRow.attempts).where(*key)).first()
            if row is None:
                conn.execute(
                    insert(NoticeDeliveryRow).values(
                        notice_id=notice.id,
                        subscription_id=subscription.id,
                        channel=subscription.channel.value,
                        state=state,
                        attempts=1,
                        last_attempt_at=now,
                        last_error=error,
                    )
                )
                attempts = 1
            else:
                attempts = row.attempts + 1
                conn.execute(
                    update(NoticeDeliveryRow)
                    .where(*key)
                    .values(state=state, attempts=attempts, last_attempt_at=now, last_error=error)
                )
            return Delivery(
                notice.id, subscription.id, subscription.channel, delivered, attempts, now, error
            )

        return self._write(audit, change)

    def settle(
        self,
        notice_id: str,
        *,
        state: NoticeState,
        attempts: int,
        next_attempt_at: datetime,
        error: str,
        audit: AuditEvent,
    ) -> None:
        """Move a queued notice on after a run's attempt: delivered, nobody, again later, failed."""
        now = self.clock()

        def change(conn: Connection) -> None:
            done = conn.execute(
                update(NoticeRow)
                .where(NoticeRow.id == notice_id, NoticeRow.state == NoticeState.QUEUED.value)
                .values(
                    state=state.value,
                    attempts=attempts,
                    next_attempt_at=next_attempt_at,
                    delivered_at=now if state in _SETTLED else None,
                    last_error=error,
                )
            )
            if done.rowcount != 1:
                raise ConflictError(f"notice {notice_id} is no longer queued")

        self._write(audit, change)

    def deliveries(self, notice_id: str) -> list[Delivery]:
        query = (
            select(NoticeDeliveryRow.__table__)
            .where(NoticeDeliveryRow.notice_id == notice_id)
            .order_by(NoticeDeliveryRow.subscription_id)
        )
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [
            Delivery(
                r.notice_id,
                r.subscription_id,
                Channel(r.channel),
                r.state == "delivered",
                r.attempts,
                r.last_attempt_at,
                r.last_error,
            )
            for r in rows
        ]

    # -- subscriptions ---------------------------------------------------------------

    def subscribe(
        self, subscription: Subscription, notice: Notice, *, audit: AuditEvent
    ) -> Subscription:
        """Add a destination, and queue ``notice`` (that it was added) in the same change."""

        def change(conn: Connection) -> None:
            conn.execute(
                insert(NoticeSubscriptionRow).values(
                    id=subscription.id,
                    organisation=subscription.organisation,
                    channel=subscription.channel.value,
                    address=subscription.address,
                    kinds=",".join(sorted(k.value for k in subscription.kinds)),
                    secret=subscription.secret,
                    created_at=subscription.created_at,
                    created_by=subscription.created_by,
                )
            )
            queue_notices(conn, [notice], self.clock())

        self._write(audit, change)
        return subscription

    def unsubscribe(self, subscription_id: str, *, audit: AuditEvent) -> None:
        def change(conn: Connection) -> None:
            done = conn.execute(
                delete(NoticeSubscriptionRow).where(NoticeSubscriptionRow.id == subscription_id)
            )
            if done.rowcount != 1:
                raise NotFoundError(f"no subscription {subscription_id!r}")

        self._write(audit, change)

    def subscriptions(self, organisation: str) -> list[Subscription]:
        """An organisation's subscriptions, with their secrets: for the deliverer only."""
        query = (
            select(NoticeSubscriptionRow.__table__)
            .where(NoticeSubscriptionRow.organisation == organisation)
            .order_by(NoticeSubscriptionRow.created_at, NoticeSubscriptionRow.id)
        )
        with self._read() as conn:
            return [_subscription(r) for r in conn.execute(query)]

    def count_subscriptions(self, organisation: str) -> int:
        query = select(func.count()).where(NoticeSubscriptionRow.organisation == organisation)
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def get_subscription(self, subscription_id: str) -> Subscription | None:
        query = select(NoticeSubscriptionRow.__table__).where(
            NoticeSubscriptionRow.id == subscription_id
        )
        with self._read() as conn:
            row = conn.execute(query).first()
        return None if row is None else _subscription(row)


_SETTLED = (NoticeState.DELIVERED, NoticeState.NOBODY)


def _subscription(r: Row[Any]) -> Subscription:
    return Subscription(
        id=r.id,
        organisation=r.organisation,
        channel=Channel(r.channel),
        address=r.address,
        kinds=frozenset(NoticeKind(k) for k in r.kinds.split(",") if k),
        created_at=r.created_at,
        created_by=r.created_by,
        secret=r.secret,
    )


def _status(r: Row[Any]) -> NoticeStatus:
    return NoticeStatus(
        notice=_notice(r),
        state=NoticeState(r.state),
        attempts=r.attempts,
        next_attempt_at=r.next_attempt_at,
        delivered_at=r.delivered_at,
        last_error=r.last_error,
    )


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
