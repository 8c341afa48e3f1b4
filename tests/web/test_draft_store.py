"""The drafts repository keeps the store's promise: no change without its audit event,
in the same transaction."""

from __future__ import annotations

import inspect
from dataclasses import replace

import pytest
from sqlalchemy import delete

from accord.core.audit import AuditEvent
from accord.errors import AuditError
from accord.services.app import Accord
from accord.store import AuditFilter
from accord.store.draft_store import DRAFT_READ_METHODS, Draft, DraftStore
from accord.store.models import AuditHeadRow


def _public() -> list[str]:
    own = vars(DraftStore)
    return [n for n, m in own.items() if inspect.isfunction(m) and not n.startswith("_")]


def test_every_mutating_method_takes_a_required_audit_event() -> None:
    mutating = [n for n in _public() if n not in DRAFT_READ_METHODS]
    assert mutating
    for name in mutating:
        parameters = inspect.signature(getattr(DraftStore, name)).parameters
        assert "audit" in parameters, name
        assert parameters["audit"].default is inspect.Parameter.empty, name
    for name in DRAFT_READ_METHODS:
        assert name in _public(), name
        assert "audit" not in inspect.signature(getattr(DraftStore, name)).parameters


def _draft(store: DraftStore) -> Draft:
    now = store.clock()
    return Draft("drf-000000000001", "leeds.officer", "leeds", {"title": "T"}, now, now)


def test_a_draft_and_its_event_commit_together(web_accord: Accord) -> None:
    store = DraftStore(web_accord.store)
    draft = store.add_draft(_draft(store), audit=AuditEvent(actor="test", action="draft.start"))
    store.update_draft(
        replace(draft, answers={"title": "Carers"}, request_id="req-1"),
        audit=AuditEvent(actor="test", action="draft.save"),
    )
    saved = store.get_draft(draft.id)
    assert saved is not None
    assert saved.answers == {"title": "Carers"}
    assert store.drafts_for_request("req-1") == [saved]
    events = web_accord.store.audit_events(AuditFilter(actor="test"))
    assert sorted(e.action for e in events if e.action.startswith("draft.")) == [
        "draft.save",
        "draft.start",
    ]

    with web_accord.store.engine.begin() as conn:
        conn.execute(delete(AuditHeadRow))
    with pytest.raises(AuditError):
        store.update_draft(
            replace(saved, answers={"title": "Lost"}),
            audit=AuditEvent(actor="test", action="draft.save"),
        )
    after = store.get_draft(draft.id)
    assert after is not None
    assert after.answers == {"title": "Carers"}
