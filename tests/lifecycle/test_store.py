"""The retention repository keeps the store's promise: no change without its audit
event, in the same transaction."""

from __future__ import annotations

import inspect
from datetime import date

import pytest
from sqlalchemy import delete

from accord.core.audit import AuditEvent
from accord.core.lifecycle.deletion import ItemKind, ItemState, RetentionItem
from accord.errors import AuditError, ConflictError
from accord.services.app import Accord
from accord.store import AuditFilter
from accord.store.lifecycle_store import LIFECYCLE_READ_METHODS, LifecycleStore
from accord.store.models import AuditHeadRow


def _public() -> list[str]:
    own = vars(LifecycleStore)
    return [n for n, m in own.items() if inspect.isfunction(m) and not n.startswith("_")]


def test_every_mutating_method_takes_a_required_audit_event() -> None:
    mutating = [n for n in _public() if n not in LIFECYCLE_READ_METHODS]
    assert mutating
    for name in mutating:
        parameters = inspect.signature(getattr(LifecycleStore, name)).parameters
        assert "audit" in parameters, name
        assert parameters["audit"].default is inspect.Parameter.empty, name
    for name in LIFECYCLE_READ_METHODS:
        assert name in _public(), name
        assert "audit" not in inspect.signature(getattr(LifecycleStore, name)).parameters


def _item(store: LifecycleStore, subject: str) -> RetentionItem:
    return RetentionItem(
        id=f"ri-{abs(hash(subject)) % 10**16:016d}",
        kind=ItemKind.MATERIALISED_COPY,
        subject=subject,
        agreement_id="agr-x",
        agreement_version=1,
        holder="platform",
        location="agr-x-v1",
        reason="test",
        due_on=date(2026, 1, 1),
        state=ItemState.PLANNED,
        planned_at=store.clock(),
    )


def test_a_plan_is_written_once_and_moves_only_along_its_transitions(accord: Accord) -> None:
    store = LifecycleStore(accord.store)
    event = AuditEvent(actor="test", action="retention.plan")
    item = _item(store, "materialised:agr-x-v1")
    assert store.plan([item], audit=event) == [item]
    assert store.plan([item], audit=event) == []  # planned already: nothing added
    act = AuditEvent(actor="test", action="retention.delete")
    done = store.finish_deletion(item, "{}", audit=act)
    assert done.state is ItemState.DELETED
    with pytest.raises(ConflictError, match="changed meanwhile"):
        store.finish_deletion(item, "{}", audit=act)  # a second run, from a stale read
    with pytest.raises(ConflictError, match="is deleted and cannot become awaiting_certificate"):
        store.mark_for_destruction(done, store.clock(), audit=act)
    # Each call is on the record, the second one too (it found the items planned already).
    assert len(accord.store.audit_events(AuditFilter(action="retention.plan"))) == 2
    assert len(store.list_items()) == 1


def test_a_plan_whose_audit_write_fails_is_not_recorded(accord: Accord) -> None:
    store = LifecycleStore(accord.store)
    with accord.store.engine.begin() as conn:
        conn.execute(delete(AuditHeadRow))
    with pytest.raises(AuditError):
        store.plan(
            [_item(store, "materialised:agr-y-v1")],
            audit=AuditEvent(actor="test", action="retention.plan"),
        )
    assert store.list_items() == []
