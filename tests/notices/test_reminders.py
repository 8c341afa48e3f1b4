"""The reminders job: one notice per overdue destruction certificate per day, to the holder."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from accord.core.audit import AuditEvent
from accord.core.lifecycle.deletion import ItemKind, ItemState, RetentionItem
from accord.core.lifecycle.notices import NoticeKind
from accord.services.app import Accord
from accord.services.notify import Deliverer, DeliverySettings
from accord.services.outbox import Outbox
from accord.store.lifecycle_store import LifecycleStore


def _awaiting(world: Accord, item_id: str, holder: str, confirm_by: datetime) -> None:
    lifecycle = LifecycleStore(world.store)
    event = AuditEvent(actor="test", action="retention.run")
    (item,) = lifecycle.plan(
        [
            RetentionItem(
                id=item_id,
                kind=ItemKind.RECEIVED_PACKAGE,
                subject=f"package:{item_id}",
                agreement_id="agr-1",
                agreement_version=1,
                holder=holder,
                location=f"/received/{item_id}",
                reason="agreement ended",
                due_on=date(2026, 1, 1),
                state=ItemState.PLANNED,
                planned_at=confirm_by - timedelta(days=30),
            )
        ],
        audit=event,
    )
    lifecycle.mark_for_destruction(item, confirm_by, audit=event)


def test_overdue_certificates_are_reminded_once_a_day(world: Accord) -> None:
    # Nine in the morning, so that three hours later is still the same day.
    now = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    _awaiting(world, "ri-late", "northfield", now - timedelta(days=2))
    _awaiting(world, "ri-not-yet", "eastgate", now + timedelta(days=5))
    deliverer = Deliverer(world.store, DeliverySettings())
    operator = world.operator("test")

    (first,) = deliverer.remind(operator, now=now)
    assert first.organisation == "northfield"
    assert first.kind is NoticeKind.DESTRUCTION_CERTIFICATE_OVERDUE
    assert first.reference == "retention-item:ri-late"
    assert "accord retention certify ri-late" in first.body
    assert deliverer.remind(operator, now=now + timedelta(hours=3)) == [], "once a day"

    (second,) = deliverer.remind(operator, now=now + timedelta(days=1))
    assert second.id != first.id
    overdue = Outbox(world.store).notices(kind=NoticeKind.DESTRUCTION_CERTIFICATE_OVERDUE)
    assert [n.organisation for n in overdue] == ["northfield", "northfield"]
