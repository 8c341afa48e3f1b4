"""The records repository keeps the store's promise: no change without its audit event,
in the same transaction; and a record's state moves only forward, once."""

from __future__ import annotations

import inspect
from dataclasses import replace

import pytest

from accord.core.audit import AuditEvent, Decision
from accord.core.lifecycle.record_retention import HeldRecord, RecordKind, RecordState
from accord.errors import ConflictError
from accord.services.app import Accord
from accord.store import AuditFilter
from accord.store.records_store import RECORDS_READ_METHODS, RecordsStore


def _public() -> list[str]:
    own = vars(RecordsStore)
    return [n for n, m in own.items() if inspect.isfunction(m) and not n.startswith("_")]


def test_every_mutating_method_takes_a_required_audit_event() -> None:
    mutating = [n for n in _public() if n not in RECORDS_READ_METHODS]
    assert mutating
    for name in mutating:
        parameters = inspect.signature(getattr(RecordsStore, name)).parameters
        assert "audit" in parameters, name
        assert parameters["audit"].default is inspect.Parameter.empty, name
    for name in RECORDS_READ_METHODS:
        assert name in _public(), name
        assert "audit" not in inspect.signature(getattr(RecordsStore, name)).parameters


def _event(action: str) -> AuditEvent:
    return AuditEvent("operator:test", action, "record:rec-1", "northfield", Decision.ALLOW, "t")


def test_a_record_is_planned_and_deleted_once_each_with_its_event(sqlite_accord: Accord) -> None:
    store = RecordsStore(sqlite_accord.store)
    record = HeldRecord(
        "rec-1", "northfield", RecordKind.PAYMENT, "ref", "W000000001", "WHP", "rec-1.pdf",
        "0" * 64, 1, store.clock(),
    )  # fmt: skip
    store.add_record(record, audit=_event("records.add"))
    today = store.clock().date()
    planned = store.plan([(record, today)], "rr-1", audit=_event("records.plan"))
    assert [r.state for r in planned] == [RecordState.PLANNED]
    assert store.plan([(record, today)], "rr-2", audit=_event("records.plan")) == []
    done = store.finish_deletion(planned[0], audit=_event("records.delete"))
    assert done.state is RecordState.DELETED
    assert done.deleted_at is not None
    with pytest.raises(ConflictError):
        store.finish_deletion(planned[0], audit=_event("records.delete"))
    with pytest.raises(ConflictError):
        store.finish_deletion(replace(done), audit=_event("records.delete"))
    events = sqlite_accord.store.audit_events(AuditFilter(action="records.delete"))
    assert len(list(events)) == 1  # the refused second deletion wrote nothing
