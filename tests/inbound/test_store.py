"""The inbox's repository: audited writes, its migration, and a message with its event
and notice committed together or not at all."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect as sql_inspect

from accord.core.audit import AuditEvent
from accord.core.lifecycle.inbound import InboundMessage, MessageState
from accord.core.lifecycle.inbound_forms import InboundForm
from accord.core.lifecycle.notices import NoticeKind
from accord.errors import ConflictError
from accord.services.app import Accord
from accord.services.outbox import Outbox, new_notice
from accord.store import AuditFilter, connect_engine
from accord.store.inbound_store import INBOUND_READ_METHODS, InboundStore
from accord.store.migrate import migrate


def _public() -> list[str]:
    own = vars(InboundStore)
    return [n for n, m in own.items() if inspect.isfunction(m) and not n.startswith("_")]


def test_every_mutating_method_takes_a_required_audit_event() -> None:
    mutating = [n for n in _public() if n not in INBOUND_READ_METHODS]
    assert sorted(mutating) == ["delete_message", "mark_actioned", "receive"]
    for name in mutating:
        parameters = inspect.signature(getattr(InboundStore, name)).parameters
        assert parameters["audit"].default is inspect.Parameter.empty, name
    for name in INBOUND_READ_METHODS:
        assert "audit" not in inspect.signature(getattr(InboundStore, name)).parameters


def test_the_migration_creates_the_inbox_table(tmp_path: Path) -> None:
    engine = connect_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    try:
        migrate(engine, "0007_outbox")
        assert "inbound_messages" not in sql_inspect(engine).get_table_names()
        migrate(engine, "0008_inbound")
        assert "inbound_messages" in sql_inspect(engine).get_table_names()
    finally:
        engine.dispose()


def _message(ident: str) -> InboundMessage:
    return InboundMessage(
        id=ident, agreement_id="agr-1", organisation="dwp", sender_organisation="northfield",
        sender="northfield.caseworker", form=InboundForm.WHP07, template="WHP07",
        referral_id="W000000001", received_at=datetime(2026, 12, 7, tzinfo=UTC),
        payload={"nino": "AB123456C"}, sha256="0" * 64, state=MessageState.RECEIVED,
    )  # fmt: skip


def test_a_message_its_event_and_its_notice_commit_together(sqlite_accord: Accord) -> None:
    store = InboundStore(sqlite_accord.store)
    notice = new_notice("dwp", NoticeKind.INBOUND_MESSAGE, "A form", "Message msg-1 arrived")
    event = AuditEvent(actor="test", action="inbound.receive", object="agreement:agr-1")
    store.receive(_message("msg-1"), (notice,), audit=event)
    with pytest.raises(ConflictError):
        store.receive(_message("msg-1"), (notice,), audit=event)  # the same message twice
    assert [m.id for m in store.messages("dwp")] == ["msg-1"]
    assert len(Outbox(sqlite_accord.store).notices(organisation="dwp")) == 1
    events = sqlite_accord.store.audit_events(AuditFilter(action="inbound.receive"))
    assert len(events) == 1
    with pytest.raises(ConflictError):
        store.delete_message("msg-1", audit=event)  # not actioned yet
    store.mark_actioned("msg-1", "principal:dwp.data", audit=event)
    store.delete_message("msg-1", audit=event)
    assert store.get_message("msg-1") is None
