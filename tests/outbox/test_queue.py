"""A notice is queued with its audit event, or not at all."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from accord.core.audit import AuditEvent
from accord.core.lifecycle.notices import NoticeKind, NoticeState
from accord.errors import AuditError
from accord.services.app import Accord
from accord.services.outbox import Outbox, new_notice
from accord.store.models import AuditHeadRow


def test_a_queued_notice_waits_for_delivery_with_its_audit_event(accord: Accord) -> None:
    outbox = Outbox(accord.store)
    notice = new_notice(
        "dwp", NoticeKind.ERASURE_DEADLINE, "Erasure request due", "ER-1 is due in 5 days",
        "erasure:ER-1",
    )  # fmt: skip
    outbox.queue([notice], audit=AuditEvent(actor="system", action="notice.queue"))
    [queued] = outbox.notices(organisation="dwp", state=NoticeState.QUEUED)
    assert (queued.id, queued.kind, queued.reference) == (notice.id, notice.kind, "erasure:ER-1")
    assert queued.created_at is not None


def test_a_notice_whose_audit_write_fails_is_not_queued(accord: Accord) -> None:
    outbox = Outbox(accord.store)
    with accord.store.engine.begin() as conn:
        conn.execute(delete(AuditHeadRow))
    notice = new_notice("dwp", NoticeKind.RECALL, "Recall", "Delete package P-1")
    with pytest.raises(AuditError):
        outbox.queue([notice], audit=AuditEvent(actor="system", action="notice.queue"))
    assert outbox.notices() == []
