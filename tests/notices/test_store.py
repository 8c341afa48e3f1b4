"""The outbox's repository on SQLite and PostgreSQL alike: every change takes its audit
event, subscriptions and per-destination deliveries round-trip, a settled notice cannot
be settled twice."""

from __future__ import annotations

import inspect

import pytest

from accord.core.audit import AuditEvent
from accord.core.identity import OrgKind
from accord.core.lifecycle.notices import NoticeKind, NoticeState
from accord.errors import ConflictError
from accord.services.app import Accord
from accord.services.outbox import Outbox, new_notice
from accord.store.outbox_store import OUTBOX_READ_METHODS, OutboxStore


def test_every_change_takes_a_required_audit_event() -> None:
    public = {
        name
        for name, _ in inspect.getmembers(OutboxStore, inspect.isfunction)
        if not name.startswith("_") and name in OutboxStore.__dict__
    }
    assert public >= OUTBOX_READ_METHODS
    for name in public - OUTBOX_READ_METHODS:
        parameter = inspect.signature(getattr(OutboxStore, name)).parameters.get("audit")
        assert parameter is not None, f"{name} changes the store without an audit event"
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
        assert parameter.default is inspect.Parameter.empty


def test_subscriptions_and_deliveries_round_trip(accord: Accord) -> None:
    op = accord.operator("test")
    accord.identity.create_organisation(op, "dwp", "DWP", OrgKind.GOVERNMENT_DEPARTMENT)
    outbox = Outbox(accord.store)
    made = outbox.subscribe_email(op, "dwp", "a@example.gov.uk", ["recall", "erasure_deadline"])
    repository = OutboxStore(accord.store)
    (held,) = repository.subscriptions("dwp")
    assert held == made
    notice = new_notice("dwp", NoticeKind.RECALL, "Recall", "pkg-1")
    event = AuditEvent(actor="test", action="notices.send")
    outbox.queue([notice], audit=event)
    failed = repository.record_attempt(notice, held, delivered=False, error="x", audit=event)
    took = repository.record_attempt(notice, held, delivered=True, error="", audit=event)
    assert (failed.attempts, took.attempts, took.delivered) == (1, 2, True)
    assert repository.deliveries(notice.id) == [took]
    now = accord.store.clock()
    repository.settle(
        notice.id,
        state=NoticeState.DELIVERED,
        attempts=2,
        next_attempt_at=now,
        error="",
        audit=event,
    )
    with pytest.raises(ConflictError, match="no longer queued"):
        repository.settle(
            notice.id,
            state=NoticeState.FAILED,
            attempts=3,
            next_attempt_at=now,
            error="",
            audit=event,
        )
    assert [s.state for s in repository.statuses("dwp") if s.notice.id == notice.id] == [
        NoticeState.DELIVERED
    ]
