"""Delivery from the outbox through a real SMTP server and a real HTTP receiver: each
organisation's notices reach only its own subscribers, signed; failures are retried with
doubling waits, then failed; a destination that took a notice is never sent it again."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

import pytest

from accord.core.audit import AuditEvent
from accord.core.lifecycle.delivery import MAX_BODY_BYTES, notice_payload, sign, verify
from accord.core.lifecycle.notices import Notice, NoticeKind, NoticeState
from accord.errors import ConfigurationError, PermissionDenied
from accord.services.app import Accord
from accord.services.notify import Deliverer, DeliverySettings
from accord.services.outbox import Outbox, new_notice
from accord.store import AuditFilter
from accord.store.outbox_store import NoticeStatus, OutboxStore
from tests.notices.conftest import NOTICE_ID_HEADER, Mailbox, Receiver, delivery_settings, flush


def _queue(world: Accord, *notices: Notice) -> None:
    Outbox(world.store).queue(notices, audit=AuditEvent(actor="test", action="notices.remind"))


def _status(world: Accord, notice: Notice) -> NoticeStatus:
    (status,) = [
        s
        for s in OutboxStore(world.store).statuses(notice.organisation)
        if s.notice.id == notice.id
    ]
    return status


def _state(world: Accord, notice: Notice) -> NoticeState:
    return _status(world, notice).state


def _later(world: Accord, seconds: float) -> None:
    now = datetime.now().astimezone() + timedelta(seconds=seconds)
    world.store.clock = lambda: now  # type: ignore[method-assign]


def test_each_organisations_notices_reach_only_its_own_subscribers(
    world: Accord, smtp_server: Mailbox, receiver: Receiver
) -> None:
    outbox = Outbox(world.store, allow_loopback_http=True)
    outbox.subscribe_email(world.acting_as("dwp.admin"), "dwp", "dpo@dwp.example.gov.uk")
    hook = outbox.subscribe_webhook(world.acting_as("northfield.admin"), "northfield", receiver.url)
    receiver.secret = hook.secret
    outbox.subscribe_email(
        world.acting_as("northfield.admin"), "northfield", "ops@northfield.example", ["recall"]
    )
    flush(world, delivery_settings(smtp_server), smtp_server, receiver)
    to_dwp = new_notice(
        "dwp", NoticeKind.ERASURE_DEADLINE, "Erasure due", "ER-1 is due", "erasure:ER-1"
    )
    to_northfield = new_notice("northfield", NoticeKind.CHANGE_EVENTS, "Changes", "3 new events")
    to_eastgate = new_notice("eastgate", NoticeKind.RECALL, "Recall", "delete package pkg-1")
    _queue(world, to_dwp, to_northfield, to_eastgate)

    report = Deliverer(world.store, delivery_settings(smtp_server)).deliver(world.operator("test"))

    assert report.as_dict() == {
        "attempted": 3,
        "delivered": 2,
        "delivered_to_nobody": 1,
        "retrying": 0,
        "failed": 0,
        "messages_sent": 2,
        "send_errors": 0,
    }
    # DWP's email: to DWP's address only, carrying the notice id.
    assert [rcpt for rcpt, _ in smtp_server.messages] == [["dpo@dwp.example.gov.uk"]]
    (mail,) = smtp_server.to("dpo@dwp.example.gov.uk")
    assert mail["Subject"] == "Erasure due"
    assert mail[NOTICE_ID_HEADER] == to_dwp.id
    assert "ER-1 is due" in mail.get_payload()
    assert "erasure:ER-1" in mail.get_payload()
    # Northfield's webhook: its own notice only, signed with its secret; its email
    # subscription wants recalls only, so it had nothing.
    (call,) = receiver.requests
    assert call.verified
    assert json.loads(call.body)["id"] == to_northfield.id
    assert call.headers[NOTICE_ID_HEADER] == to_northfield.id
    assert smtp_server.to("ops@northfield.example") == []
    # Eastgate has no subscriber: delivered to nobody, and visible as such.
    assert _state(world, to_eastgate) is NoticeState.NOBODY
    assert _state(world, to_dwp) is NoticeState.DELIVERED
    # A second run finds nothing due and sends nothing.
    again = Deliverer(world.store, delivery_settings(smtp_server)).deliver(world.operator("test"))
    assert again.attempted == 0
    assert len(smtp_server.messages) == 1
    assert len(receiver.requests) == 1
    # The audit log names subscriptions and notices, never an address or the text.
    sends = [
        e
        for e in world.store.audit_events(AuditFilter(action="notices.send", limit=50))
        if e.object in {f"notice:{to_dwp.id}", f"notice:{to_northfield.id}"}
    ]
    assert len(sends) == 2
    for event in world.store.audit_events(AuditFilter(limit=500)):
        assert "@" not in event.details
        assert "ER-1 is due" not in event.details


def test_a_failing_webhook_is_retried_with_doubling_waits_and_others_are_not_resent(
    world: Accord, smtp_server: Mailbox, receiver: Receiver
) -> None:
    outbox = Outbox(world.store, allow_loopback_http=True)
    admin = world.acting_as("northfield.admin")
    receiver.secret = outbox.subscribe_webhook(admin, "northfield", receiver.url).secret
    outbox.subscribe_email(admin, "northfield", "ops@northfield.example")
    flush(world, delivery_settings(smtp_server), smtp_server, receiver)
    receiver.fail_first = 2
    notice = new_notice("northfield", NoticeKind.ACCESS_REVIEW_DUE, "Review due", "agr-1")
    _queue(world, notice)
    deliverer = Deliverer(world.store, delivery_settings(smtp_server, retry_seconds=60))
    operator = world.operator("test")

    first = deliverer.deliver(operator)
    assert (first.retrying, first.sent, first.send_errors) == (1, 1, 1)
    status = _status(world, notice)
    assert status.state is NoticeState.QUEUED
    assert status.attempts == 1
    assert "answered 500" in status.last_error
    wait = status.next_attempt_at - world.store.clock()
    assert timedelta(seconds=55) < wait <= timedelta(seconds=60)

    assert deliverer.deliver(operator).attempted == 0, "not due before its wait is over"
    _later(world, 61)
    second = deliverer.deliver(operator)
    assert (second.retrying, second.sent) == (1, 0)
    status = _status(world, notice)
    assert status.attempts == 2
    assert (
        timedelta(seconds=115)
        < status.next_attempt_at - world.store.clock()
        <= timedelta(seconds=120)
    )

    _later(world, 61 + 121)
    third = deliverer.deliver(operator)
    assert (third.delivered, third.sent) == (1, 1)
    assert _state(world, notice) is NoticeState.DELIVERED
    # The email went once, on the first run; the webhook was called three times, every
    # call signed, and took the notice on the third.
    assert len(smtp_server.to("ops@northfield.example")) == 1
    assert [r.verified for r in receiver.requests] == [True, True, True]
    assert {r.headers[NOTICE_ID_HEADER] for r in receiver.requests} == {notice.id}
    deliveries = OutboxStore(world.store).deliveries(notice.id)
    assert sorted((d.channel.value, d.attempts, d.delivered) for d in deliveries) == [
        ("email", 1, True),
        ("webhook", 3, True),
    ]


def test_a_notice_out_of_attempts_is_failed_and_kept(world: Accord, receiver: Receiver) -> None:
    outbox = Outbox(world.store, allow_loopback_http=True)
    receiver.secret = outbox.subscribe_webhook(
        world.acting_as("dwp.admin"), "dwp", receiver.url
    ).secret
    flush(world, delivery_settings(), receiver=receiver)
    receiver.fail_first = 100
    notice = new_notice("dwp", NoticeKind.RECALL, "Recall", "pkg-1")
    _queue(world, notice)
    deliverer = Deliverer(world.store, delivery_settings(max_attempts=3, retry_seconds=1))
    elapsed = 0.0
    for attempt in range(3):
        report = deliverer.deliver(world.operator("test"))
        assert report.attempted == 1
        elapsed += 2**attempt + 1
        _later(world, elapsed)
    assert report.failed == 1
    assert _state(world, notice) is NoticeState.FAILED
    assert deliverer.deliver(world.operator("test")).attempted == 0
    assert len(receiver.requests) == 3
    settled = world.store.audit_events(AuditFilter(object=f"notice:{notice.id}", limit=20))
    states = [json.loads(e.details).get("state") for e in settled]
    assert [s for s in states if s] == ["failed", "queued", "queued"], "newest first"


def test_a_tampered_body_or_another_secret_fails_verification() -> None:
    notice = new_notice("dwp", NoticeKind.RECALL, "Recall", "pkg-1")
    body = notice_payload(notice)
    now = int(time.time())
    header = sign("whsec_right", now, body)
    assert verify("whsec_right", header, body, now)
    assert not verify("whsec_right", header, body.replace(b"pkg-1", b"pkg-2"), now)
    assert not verify("whsec_wrong", header, body, now)
    assert not verify("whsec_right", header, body, now + 3600), "a replay an hour later"
    assert not verify("whsec_right", "t=abc,v1=00", body, now)
    assert not verify("whsec_right", "", body, now)


def test_a_receiver_rejecting_a_tampered_signature_leaves_the_notice_queued(
    world: Accord, receiver: Receiver
) -> None:
    outbox = Outbox(world.store, allow_loopback_http=True)
    receiver.secret = outbox.subscribe_webhook(
        world.acting_as("dwp.admin"), "dwp", receiver.url
    ).secret
    flush(world, delivery_settings(), receiver=receiver)
    receiver.secret = "whsec_not_the_one_accord_holds"
    notice = new_notice("dwp", NoticeKind.RECALL, "Recall", "pkg-1")
    _queue(world, notice)
    report = Deliverer(world.store, delivery_settings()).deliver(world.operator("test"))
    assert report.retrying == 1
    assert [r.verified for r in receiver.requests] == [False]
    assert "answered 401" in _status(world, notice).last_error


def test_email_due_without_smtp_settings_fails_loudly_with_the_fix(world: Accord) -> None:
    Outbox(world.store).subscribe_email(world.acting_as("dwp.admin"), "dwp", "a@example.gov.uk")
    _queue(world, new_notice("dwp", NoticeKind.RECALL, "Recall", "pkg-1"))
    with pytest.raises(
        ConfigurationError, match="ACCORD_SMTP_HOST and ACCORD_SMTP_FROM are not set"
    ):
        Deliverer(world.store, DeliverySettings()).deliver(world.operator("test"))
    assert OutboxStore(world.store).statuses("dwp")[0].state is NoticeState.QUEUED


def test_an_unreachable_smtp_server_is_retried(world: Accord) -> None:
    from tests.notices.conftest import free_port

    Outbox(world.store).subscribe_email(
        world.acting_as("dwp.admin"), "dwp", "a@example.gov.uk", ["recall"]
    )
    _queue(world, new_notice("dwp", NoticeKind.RECALL, "Recall", "pkg-1"))
    settings = DeliverySettings(
        smtp_host="127.0.0.1",
        smtp_port=free_port(),
        smtp_from="n@example.gov.uk",
        smtp_starttls=False,
        smtp_timeout=2,
    )
    report = Deliverer(world.store, settings).deliver(world.operator("test"))
    # The subscription's own notice is not a recall, so it went to nobody.
    assert (report.retrying, report.send_errors, report.nobody) == (1, 1, 1)
    (send,) = world.store.audit_events(AuditFilter(action="notices.send"))
    assert send.reason == "not delivered by email: connection error"


def test_an_oversized_notice_is_failed_without_sending(world: Accord, smtp_server: Mailbox) -> None:
    Outbox(world.store).subscribe_email(world.acting_as("dwp.admin"), "dwp", "a@example.gov.uk")
    flush(world, delivery_settings(smtp_server), smtp_server)
    notice = new_notice("dwp", NoticeKind.RECALL, "Recall", "x" * (MAX_BODY_BYTES + 1))
    _queue(world, notice)
    report = Deliverer(world.store, delivery_settings(smtp_server)).deliver(world.operator("test"))
    assert report.failed == 1
    assert smtp_server.messages == []
    assert _state(world, notice) is NoticeState.FAILED


def test_a_run_is_bounded(world: Accord, smtp_server: Mailbox) -> None:
    Outbox(world.store).subscribe_email(world.acting_as("dwp.admin"), "dwp", "a@example.gov.uk")
    flush(world, delivery_settings(smtp_server), smtp_server)
    _queue(world, *(new_notice("dwp", NoticeKind.RECALL, f"R{i}", "b") for i in range(5)))
    deliverer = Deliverer(world.store, delivery_settings(smtp_server, per_run=2))
    assert deliverer.deliver(world.operator("test")).delivered == 2
    assert deliverer.deliver(world.operator("test"), limit=50).delivered == 2
    assert deliverer.deliver(world.operator("test")).delivered == 1
    assert len(smtp_server.messages) == 5


def test_only_the_operator_or_a_platform_admin_delivers(world: Accord) -> None:
    with pytest.raises(PermissionDenied, match="only the local operator or a platform admin"):
        Deliverer(world.store, DeliverySettings()).deliver(world.acting_as("dwp.admin"))


def test_a_new_destination_is_announced_to_every_destination_of_its_organisation(
    world: Accord, smtp_server: Mailbox
) -> None:
    outbox = Outbox(world.store)
    outbox.subscribe_email(world.acting_as("dwp.admin"), "dwp", "dpo@dwp.example.gov.uk")
    flush(world, delivery_settings(smtp_server), smtp_server)
    added = outbox.subscribe_email(world.operator("test"), "dwp", "new@elsewhere.example")
    Deliverer(world.store, delivery_settings(smtp_server)).deliver(world.operator("test"))
    for address in ("dpo@dwp.example.gov.uk", "new@elsewhere.example"):
        (mail,) = smtp_server.to(address)
        assert mail["Subject"] == "A new email destination receives your notices"
        assert added.id in mail.get_payload()
        assert "new@elsewhere.example" not in mail.get_payload(), "no address in a notice"


def test_a_webhook_that_resolves_to_an_internal_address_is_not_called(
    world: Accord, receiver: Receiver
) -> None:
    """Subscribed while loopback was allowed (a test set-up), delivered after the setting
    was turned off: the host is resolved at sending, and nothing is posted to it."""
    outbox = Outbox(world.store, allow_loopback_http=True)
    receiver.secret = outbox.subscribe_webhook(
        world.acting_as("dwp.admin"), "dwp", receiver.url.replace("127.0.0.1", "localhost")
    ).secret
    report = Deliverer(world.store, delivery_settings(allow_loopback_http=False)).deliver(
        world.operator("test")
    )
    assert report.retrying == 1
    assert receiver.requests == []
    (send,) = world.store.audit_events(AuditFilter(action="notices.send"))
    assert send.reason == "not delivered by webhook: internal address"
