"""The store's promise: no change without its audit event, in the same transaction."""

from __future__ import annotations

import inspect
from datetime import date

import pytest
from sqlalchemy import delete

from accord.core.audit import AuditEvent
from accord.core.identity import Assurance, AssuranceScheme, Organisation, OrgKind
from accord.errors import AuditError
from accord.services.app import Accord
from accord.store import Store
from accord.store.models import AuditHeadRow
from accord.store.store import READ_METHODS


def public_methods() -> list[str]:
    return [
        name
        for name, member in inspect.getmembers(Store, inspect.isfunction)
        if not name.startswith("_")
    ]


def test_every_mutating_store_method_takes_an_audit_event() -> None:
    mutating = [name for name in public_methods() if name not in READ_METHODS]
    assert mutating, "the store has no mutating methods?"
    for name in mutating:
        parameters = inspect.signature(getattr(Store, name)).parameters
        assert "audit" in parameters, f"Store.{name} changes state but takes no audit event"
        assert parameters["audit"].default is inspect.Parameter.empty, (
            f"Store.{name}'s audit event must be required"
        )


def test_read_methods_exist_and_take_no_audit_event() -> None:
    for name in READ_METHODS:
        assert name in public_methods(), f"READ_METHODS names {name}, which Store lacks"
        assert "audit" not in inspect.signature(getattr(Store, name)).parameters


def test_a_change_whose_audit_write_fails_is_not_made(accord: Accord) -> None:
    store = accord.store
    before = store.audit_head()
    with store.engine.begin() as conn:  # break the log: its head row is gone
        conn.execute(delete(AuditHeadRow))
    org = Organisation(
        "hmrc",
        "HM Revenue and Customs",
        OrgKind.GOVERNMENT_DEPARTMENT,
        (Assurance(AssuranceScheme.ISO_27001, "x", date(2030, 1, 1)),),
        store.clock(),
    )
    with pytest.raises(AuditError):
        store.add_organisation(org, audit=AuditEvent(actor="test", action="org.create"))
    assert "hmrc" not in [o.id for o in store.list_organisations()]
    assert store.audit_bounds()[1] == before[0]


def test_automatic_checkpoints_every_n_events(accord: Accord) -> None:
    accord.store.checkpoint_every = 5
    accord.store.record_many([AuditEvent(actor="test", action="x") for _ in range(4)])
    start = len(accord.store.checkpoints())
    for _ in range(12):
        accord.store.record(AuditEvent(actor="test", action="x"))
    assert len(accord.store.checkpoints()) - start >= 2
    assert accord.audit.verify().ok
