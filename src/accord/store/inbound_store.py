"""The data owners' inbox of messages sent back under agreements.

Each accepted message is written with its audit event and the notice that tells the
department it arrived, in one transaction: a message is never stored unrecorded, nor
announced and then rolled back. Marking actioned and deleting are audited changes too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from accord.core.audit import AuditEvent
from accord.core.lifecycle.inbound import InboundMessage, MessageState
from accord.core.lifecycle.inbound_forms import InboundForm
from accord.core.lifecycle.notices import Notice
from accord.errors import ConflictError
from accord.store.base import Repository
from accord.store.inbound_models import InboundMessageRow
from accord.store.outbox_store import queue_notices

__all__ = ["INBOUND_READ_METHODS", "InboundStore"]

INBOUND_READ_METHODS = frozenset({"messages", "get_message", "count_messages"})
"""Public methods that change nothing."""


class InboundStore(Repository):
    def receive(
        self, message: InboundMessage, notices: Sequence[Notice], *, audit: AuditEvent
    ) -> None:
        """Store ``message``, queue ``notices`` and append ``audit``: all or nothing."""

        def change(conn: Connection) -> None:
            conn.execute(
                insert(InboundMessageRow).values(
                    id=message.id,
                    agreement_id=message.agreement_id,
                    organisation=message.organisation,
                    sender_organisation=message.sender_organisation,
                    sender=message.sender,
                    form=message.form.value,
                    template=message.template,
                    referral_id=message.referral_id,
                    received_at=message.received_at,
                    payload=json.dumps(message.payload, sort_keys=True, separators=(",", ":")),
                    sha256=message.sha256,
                    state=message.state.value,
                    actioned_at=None,
                    actioned_by="",
                )
            )
            queue_notices(conn, notices, message.received_at)

        self._write(audit, change)

    def mark_actioned(self, message_id: str, actor: str, *, audit: AuditEvent) -> None:
        def change(conn: Connection) -> None:
            done = conn.execute(
                update(InboundMessageRow)
                .where(
                    InboundMessageRow.id == message_id,
                    InboundMessageRow.state == MessageState.RECEIVED.value,
                )
                .values(
                    state=MessageState.ACTIONED.value, actioned_at=self.clock(), actioned_by=actor
                )
            )
            if done.rowcount != 1:
                raise ConflictError(f"message {message_id} is no longer waiting to be actioned")

        self._write(audit, change)

    def delete_message(self, message_id: str, *, audit: AuditEvent) -> None:
        """Remove an actioned message and its record of the person (paragraph 57)."""

        def change(conn: Connection) -> None:
            done = conn.execute(
                delete(InboundMessageRow).where(
                    InboundMessageRow.id == message_id,
                    InboundMessageRow.state == MessageState.ACTIONED.value,
                )
            )
            if done.rowcount != 1:
                raise ConflictError(f"message {message_id} is not an actioned message")

        self._write(audit, change)

    def messages(
        self,
        organisation: str,
        *,
        forms: Sequence[InboundForm] = tuple(InboundForm),
        state: MessageState | None = None,
        sender_organisation: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[InboundMessage]:
        query = (
            select(InboundMessageRow.__table__)
            .where(
                InboundMessageRow.organisation == organisation,
                InboundMessageRow.form.in_([f.value for f in forms]),
            )
            .order_by(InboundMessageRow.received_at.desc(), InboundMessageRow.id)
        )
        if state is not None:
            query = query.where(InboundMessageRow.state == state.value)
        if sender_organisation is not None:
            query = query.where(InboundMessageRow.sender_organisation == sender_organisation)
        with self._read() as conn:
            rows = conn.execute(query.limit(limit).offset(offset)).all()
        return [_message(r) for r in rows]

    def count_messages(
        self, organisation: str, *, forms: Sequence[InboundForm] = tuple(InboundForm)
    ) -> int:
        with self._read() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(InboundMessageRow)
                    .where(
                        InboundMessageRow.organisation == organisation,
                        InboundMessageRow.form.in_([f.value for f in forms]),
                    )
                ).scalar_one()
            )

    def get_message(self, message_id: str) -> InboundMessage | None:
        with self._read() as conn:
            row = conn.execute(
                select(InboundMessageRow.__table__).where(InboundMessageRow.id == message_id)
            ).first()
        return None if row is None else _message(row)


def _message(r: Row[Any]) -> InboundMessage:
    return InboundMessage(
        id=r.id,
        agreement_id=r.agreement_id,
        organisation=r.organisation,
        sender_organisation=r.sender_organisation,
        sender=r.sender,
        form=InboundForm(r.form),
        template=r.template,
        referral_id=r.referral_id,
        received_at=r.received_at,
        payload=json.loads(r.payload),
        sha256=r.sha256,
        state=MessageState(r.state),
        actioned_at=r.actioned_at,
        actioned_by=r.actioned_by,
    )
