"""Subscriptions: kept by the organisation's admin, checked field by field, hidden from
other organisations (answered as not found, recorded with the real reason)."""

from __future__ import annotations

import json

import pytest

from accord.core.lifecycle.notices import NoticeKind
from accord.core.lifecycle.subscriptions import MAX_ADDRESS, MAX_URL, Channel
from accord.errors import NotFoundError, PermissionDenied, ValidationError
from accord.services.app import Accord
from accord.services.outbox import Outbox
from accord.store import AuditFilter


def _outbox(world: Accord, loopback: bool = False) -> Outbox:
    return Outbox(world.store, allow_loopback_http=loopback)


def test_an_admin_subscribes_an_address_and_a_webhook_whose_secret_is_shown_once(
    world: Accord,
) -> None:
    outbox = _outbox(world)
    admin = world.acting_as("dwp.admin")
    email = outbox.subscribe_email(
        admin, "dwp", " dpo-team@dwp.example.gov.uk ", ["erasure_deadline"]
    )
    hook = outbox.subscribe_webhook(admin, "dwp", "https://hooks.dwp.example.gov.uk/accord")
    assert email.address == "dpo-team@dwp.example.gov.uk"
    assert email.kinds == frozenset({NoticeKind.ERASURE_DEADLINE})
    assert hook.secret.startswith("whsec_")
    assert len(hook.secret) > 40
    listed = outbox.subscriptions(admin, "dwp")
    assert [(s.id, s.channel) for s in listed] == [
        (email.id, Channel.EMAIL),
        (hook.id, Channel.WEBHOOK),
    ]
    assert all(s.secret == "" for s in listed), "a secret is shown once, when it is made"
    events = world.store.audit_events(AuditFilter(action="notices.subscribe"))
    assert [e.decision for e in events] == ["allow", "allow"]
    for event in events:
        text = repr(event)
        assert "dpo-team@" not in text
        assert "hooks.dwp" not in text
        assert "whsec_" not in text


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://hooks.example.gov.uk/a", "must start with https://"),
        ("ftp://hooks.example.gov.uk/a", "must start with https://"),
        ("https://user:pw@hooks.example.gov.uk/a", "user name or password"),
        ("https://token@hooks.example.gov.uk/a", "user name or password"),
        ("https:///no-host", "needs a host"),
        ("https://hooks.example.gov.uk/a b", "spaces or control characters"),
        ("https://hooks.example.gov.uk/a\r\nX: y", "spaces or control characters"),
        ("https://hooks.example.gov.uk:99999/", "not a URL"),
        ("https://hooks.example.gov.uk/#frag", "fragment"),
        ("https://hooks.example.gov.uk/" + "a" * MAX_URL, f"at most {MAX_URL}"),
        ("http://127.0.0.1:9/hook", "public internet"),
        ("https://127.0.0.1/hook", "public internet"),
        ("https://169.254.169.254/latest/meta-data", "public internet"),
        ("https://10.1.2.3/hook", "public internet"),
        ("https://localhost/hook", "public internet"),
        ("https://[fd00::1]/hook", "public internet"),
        ("", "enter the webhook's URL"),
    ],
)
def test_a_webhook_url_is_refused_naming_the_field(world: Accord, url: str, words: str) -> None:
    with pytest.raises(ValidationError, match=r"^url: ") as caught:
        _outbox(world).subscribe_webhook(world.acting_as("dwp.admin"), "dwp", url)
    assert words in caught.value.message


def test_http_is_allowed_only_to_loopback_and_only_when_the_setting_says_so(world: Accord) -> None:
    outbox = _outbox(world, loopback=True)
    admin = world.acting_as("dwp.admin")
    assert outbox.subscribe_webhook(admin, "dwp", "http://127.0.0.1:8080/hook").secret
    assert outbox.subscribe_webhook(admin, "dwp", "http://[::1]:8080/hook").secret
    with pytest.raises(ValidationError, match="public internet"):
        outbox.subscribe_webhook(admin, "dwp", "http://10.0.0.5/hook")
    with pytest.raises(ValidationError, match="must start with https://"):
        outbox.subscribe_webhook(admin, "dwp", "http://hooks.example.gov.uk/hook")


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("", "enter an email address"),
        ("not-an-address", "one email address"),
        ("Dana <dana@example.gov.uk>", "one email address"),
        ("a@example.gov.uk\r\nBcc: everyone@example.com", "one email address"),
        ("a@example.gov.uk, b@example.gov.uk", "one email address"),
        ("a" * MAX_ADDRESS + "@example.gov.uk", f"at most {MAX_ADDRESS}"),
    ],
)
def test_an_email_address_is_refused_naming_the_field(
    world: Accord, address: str, words: str
) -> None:
    with pytest.raises(ValidationError, match=r"^address: ") as caught:
        _outbox(world).subscribe_email(world.acting_as("dwp.admin"), "dwp", address)
    assert words in caught.value.message


def test_an_unknown_kind_is_refused_naming_the_field(world: Accord) -> None:
    with pytest.raises(ValidationError, match=r"^kinds: 'everything' is not a kind"):
        _outbox(world).subscribe_email(
            world.acting_as("dwp.admin"), "dwp", "a@example.gov.uk", ["everything"]
        )


def test_the_same_destination_twice_is_refused(world: Accord) -> None:
    outbox = _outbox(world)
    admin = world.acting_as("dwp.admin")
    outbox.subscribe_email(admin, "dwp", "a@example.gov.uk")
    with pytest.raises(ValidationError, match="subscribed already"):
        outbox.subscribe_email(admin, "dwp", "a@example.gov.uk")


def test_another_organisations_admin_neither_sees_nor_changes_them(world: Accord) -> None:
    outbox = _outbox(world)
    mine = outbox.subscribe_email(world.acting_as("dwp.admin"), "dwp", "a@example.gov.uk")
    intruder = world.acting_as("eastgate.admin")

    with pytest.raises(NotFoundError) as listing:
        outbox.subscriptions(intruder, "dwp")
    assert listing.value.message == "no notifications for 'dwp'"
    with pytest.raises(NotFoundError):
        outbox.recent(intruder, "dwp")
    with pytest.raises(NotFoundError):
        outbox.subscribe_email(intruder, "dwp", "spy@example.com")

    # Removing DWP's subscription, from their own organisation's path or DWP's, answers
    # exactly as a subscription that does not exist.
    answers = []
    for org, sub in (("eastgate", mine.id), ("dwp", mine.id), ("dwp", "sub-missing")):
        with pytest.raises(NotFoundError) as caught:
            outbox.unsubscribe(intruder, org, sub)
        answers.append(caught.value.message.replace("sub-missing", mine.id))
    assert len(set(answers)) == 1

    assert [s.id for s in outbox.subscriptions(world.acting_as("dwp.admin"), "dwp")] == [mine.id]
    denies = world.store.audit_events(AuditFilter(decision="deny", limit=20))
    assert len(denies) >= 6
    assert all(json.loads(e.details).get("answered") == "not found" for e in denies)
    assert all("spy@" not in repr(e) for e in denies)


def test_a_member_who_is_not_an_admin_is_told_why(world: Accord) -> None:
    with pytest.raises(PermissionDenied, match="only an admin of 'dwp'"):
        _outbox(world).subscriptions(world.acting_as("dwp.data"), "dwp")


def test_the_admin_and_the_platform_operator_remove_a_subscription(world: Accord) -> None:
    outbox = _outbox(world)
    admin = world.acting_as("dwp.admin")
    first = outbox.subscribe_email(admin, "dwp", "a@example.gov.uk")
    second = outbox.subscribe_email(admin, "dwp", "b@example.gov.uk")
    outbox.unsubscribe(admin, "dwp", first.id)
    outbox.unsubscribe(world.operator("test"), "dwp", second.id)
    assert outbox.subscriptions(admin, "dwp") == []
    with pytest.raises(NotFoundError):
        outbox.unsubscribe(admin, "dwp", first.id)
    removed = world.store.audit_events(AuditFilter(action="notices.unsubscribe", decision="allow"))
    assert {e.object for e in removed} == {f"subscription:{first.id}", f"subscription:{second.id}"}
