"""The outbox: notices queued with the changes they report, for delivery by email and
webhook (:mod:`accord.core.lifecycle.notices` says what a notice may carry).

Services that change state queue their notices inside their own store transaction
(:func:`accord.store.outbox_store.queue_notices`); :meth:`Outbox.queue` is for a notice
that is itself the change (a reminder that a deadline is near).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from accord.core.audit import AuditEvent
from accord.core.lifecycle.notices import Notice, NoticeKind, NoticeState
from accord.store import Store
from accord.store.outbox_store import OutboxStore

__all__ = ["Outbox", "new_notice"]


def new_notice(
    organisation: str, kind: NoticeKind, subject: str, body: str, reference: str = ""
) -> Notice:
    """A notice with a fresh id, to be queued."""
    return Notice(f"ntc-{secrets.token_hex(8)}", organisation, kind, subject, body, reference)


class Outbox:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.repository = OutboxStore(store)

    def queue(self, notices: Sequence[Notice], *, audit: AuditEvent) -> None:
        self.repository.queue(notices, audit=audit)

    def notices(
        self,
        *,
        organisation: str | None = None,
        kind: NoticeKind | None = None,
        state: NoticeState | None = None,
        limit: int = 1000,
    ) -> list[Notice]:
        return self.repository.notices(
            organisation=organisation, kind=kind, state=state, limit=limit
        )
