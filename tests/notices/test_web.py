"""The Notifications page: an admin adds and removes destinations, sees a webhook's secret
once, and sees its organisation's notices; another organisation's answers as missing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from accord.api.app import create_app
from accord.core.audit import AuditEvent
from accord.core.identity import Membership, OrgKind, PrincipalKind, Role
from accord.core.lifecycle.notices import NoticeKind
from accord.services.app import Accord
from accord.services.outbox import Outbox, new_notice
from accord.settings import load_settings
from tests.web.conftest import Browser


@pytest.fixture
def web_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Accord]:
    monkeypatch.setenv("ACCORD_WEBHOOK_ALLOW_LOOPBACK_HTTP", "0")
    app = Accord.init(
        load_settings({"ACCORD_HOME": str(tmp_path / "home"), "ACCORD_WEB_DEMO_SIGN_IN": "1"}),
        operator="test",
    )
    op = app.operator("test")
    for org in ("dwp", "eastgate"):
        app.identity.create_organisation(op, org, org.upper(), OrgKind.GOVERNMENT_DEPARTMENT)
    for pid, membership in (
        ("dwp.admin", Membership("dwp", Role.ADMIN)),
        ("dwp.data", Membership("dwp", Role.DATA_OWNER)),
        ("eastgate.admin", Membership("eastgate", Role.ADMIN)),
    ):
        app.identity.create_principal(op, pid, pid, PrincipalKind.PERSON, (membership,))
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def browser(web_world: Accord) -> Iterator[Browser]:
    with Browser(create_app(web_world), base_url="http://127.0.0.1") as client:
        yield client


def test_an_admin_adds_an_address_and_a_webhook_and_sees_the_secret_once(
    web_world: Accord, browser: Browser
) -> None:
    browser.sign_in("dwp.admin")
    assert 'href="/notifications"' in browser.get("/").text
    added = browser.submit(
        "/notifications/dwp/email",
        {"address": "dpo@dwp.example.gov.uk", "kinds": ["erasure_deadline", "recall"]},
        form_page="/notifications",
    )
    assert added.status_code == 303
    shown = browser.get(added.headers["location"]).text
    assert "Subscription added" in shown
    assert "dpo@dwp.example.gov.uk" in shown
    assert "Erasure deadline, Recall of wrongly sent data" in shown

    made = browser.submit(
        "/notifications/dwp/webhook",
        {"url": "https://hooks.dwp.example.gov.uk/accord"},
        form_page="/notifications",
    )
    assert made.status_code == 303
    first = browser.get(made.headers["location"]).text
    secret = re.search(r'id="webhook-secret">(whsec_[^<]+)<', first)
    assert secret, first
    again = browser.get(made.headers["location"]).text
    assert secret[1] not in again
    assert "already been shown" in again
    assert secret[1] not in browser.get("/notifications").text


def test_bad_input_is_shown_against_its_field(browser: Browser) -> None:
    browser.sign_in("dwp.admin")
    answer = browser.submit(
        "/notifications/dwp/webhook",
        {"url": "http://hooks.example.gov.uk/a"},
        form_page="/notifications",
    )
    assert answer.status_code == 422
    assert 'href="#dwp-url"' in answer.text
    assert "A webhook URL must start with https://" in answer.text
    assert 'value="http://hooks.example.gov.uk/a"' in answer.text


def test_an_admin_removes_one_and_sees_the_notices(web_world: Accord, browser: Browser) -> None:
    outbox = Outbox(web_world.store)
    sub = outbox.subscribe_email(web_world.acting_as("dwp.admin"), "dwp", "a@example.gov.uk")
    outbox.queue(
        [new_notice("dwp", NoticeKind.ERASURE_DEADLINE, "Erasure ER-7 due in 3 days", "x")],
        audit=AuditEvent(actor="test", action="notices.remind"),
    )
    browser.sign_in("dwp.admin")
    listing = browser.get("/notifications").text
    assert "Erasure ER-7 due in 3 days" in listing
    assert "Waiting" in listing
    removed = browser.submit(
        f"/notifications/dwp/subscriptions/{sub.id}/remove", {}, form_page="/notifications"
    )
    assert removed.status_code == 303
    assert "a@example.gov.uk" not in browser.get("/notifications").text


def test_another_organisation_answers_as_missing_and_forms_need_their_token(
    web_world: Accord, browser: Browser
) -> None:
    sub = Outbox(web_world.store).subscribe_email(
        web_world.acting_as("dwp.admin"), "dwp", "a@example.gov.uk"
    )
    browser.sign_in("eastgate.admin")
    page = browser.get("/notifications").text
    assert "a@example.gov.uk" not in page
    assert 'action="/notifications/dwp/' not in page
    taken = browser.submit(
        f"/notifications/dwp/subscriptions/{sub.id}/remove", {}, form_page="/notifications"
    )
    assert taken.status_code == 404
    added = browser.submit(
        "/notifications/dwp/email", {"address": "spy@example.com"}, form_page="/notifications"
    )
    assert added.status_code == 404
    forged = browser.post(
        "/notifications/eastgate/email",
        data={"address": "x@example.gov.uk"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert len(Outbox(web_world.store).subscriptions(web_world.operator("test"), "dwp")) == 1


def test_a_member_who_is_not_an_admin_has_no_organisation_here(browser: Browser) -> None:
    browser.sign_in("dwp.data")
    assert 'href="/notifications"' not in browser.get("/").text
    assert "not an administrator of any organisation" in browser.get("/notifications").text


def test_the_pages_read_in_order_and_need_someone_signed_in(
    web_world: Accord, browser: Browser
) -> None:
    from itertools import pairwise

    from tests.web.test_owner_pages_markup import outline

    assert browser.get("/notifications", follow_redirects=False).status_code == 303
    outbox = Outbox(web_world.store)
    outbox.subscribe_email(web_world.acting_as("dwp.admin"), "dwp", "a@example.gov.uk")
    outbox.queue(
        [new_notice("dwp", NoticeKind.RECALL, "Recall pkg-1", "x")],
        audit=AuditEvent(actor="test", action="notices.remind"),
    )
    browser.sign_in("dwp.admin")
    made = browser.submit(
        "/notifications/dwp/webhook",
        {"url": "https://hooks.dwp.example.gov.uk/accord"},
        form_page="/notifications",
    )
    bad = browser.submit(
        "/notifications/dwp/email", {"address": "nope"}, form_page="/notifications"
    )
    for html in (
        browser.get("/notifications").text,
        browser.get(made.headers["location"]).text,
        bad.text,
    ):
        found = outline(html)
        main = found.headings[found.headings.index(1) :]
        assert found.headings.count(1) == 1, found.headings
        assert all(b - a <= 1 for a, b in pairwise(main)), found.headings
        assert found.tables == found.captions
        assert not found.unscoped
        assert set(found.inputs) <= found.labelled, found.inputs
        assert len(found.inputs) == len(set(found.inputs)), "ids are unique"
        assert not found.inline, found.inline
