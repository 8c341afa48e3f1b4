"""The dashboard: a DPO's figures, computed from the world and checked by hand here."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from accord.core.audit import AuditEvent
from accord.core.governance.request import SharingRequest
from accord.core.identity import Assurance, AssuranceScheme, Membership, PrincipalKind, Role
from accord.core.lifecycle.deletion import ItemKind, ItemState, RetentionItem
from accord.services.app import Accord
from accord.services.dashboard import percentile
from accord.store import AuditFilter
from accord.store.lifecycle_store import LifecycleStore
from tests.web.conftest import Browser
from tests.web.owners_world import agree, publish, request_body


@pytest.fixture
def shift(web_accord: Accord) -> Iterator[Callable[[float], None]]:
    """Move the store's clock forward by whole or part days, as if time had passed."""
    base = web_accord.store.clock

    def to(days: float) -> None:
        web_accord.store.clock = lambda: base() + timedelta(days=days)  # type: ignore[method-assign]

    yield to
    web_accord.store.clock = base  # type: ignore[method-assign]


def _ask(accord: Accord, title: str) -> str:
    officer = accord.acting_as("leeds.officer", "test")
    body = request_body(title=title)
    return accord.requests.create(officer, SharingRequest.parse(body)).id


@pytest.fixture
def governed(web_accord: Accord, tmp_path: Path, shift: Callable[[float], None]) -> Accord:
    """Decided in 2 and 5 days; one in review, one submitted, one sent back; a lapsing
    assurance; and one overdue certificate of destruction about DWP's data."""
    accord = web_accord
    publish(accord, tmp_path)
    officer = accord.acting_as("leeds.officer", "test")
    owner = accord.acting_as("dwp.owner", "test")
    shift(0)
    quick, slow = _ask(accord, "Quick"), _ask(accord, "Slow")
    accord.requests.submit(officer, quick)
    accord.requests.submit(officer, slow)
    shift(2)
    accord.requests.start_review(owner, quick)
    assert accord.requests.approve(owner, quick).agreement is not None
    shift(5)
    accord.requests.start_review(owner, slow)
    accord.requests.reject(owner, slow, "not needed")
    in_review, waiting, sent_back = (_ask(accord, t) for t in ("Review", "Waiting", "Back"))
    for r in (in_review, waiting, sent_back):
        accord.requests.submit(officer, r)
    accord.requests.start_review(owner, in_review)
    accord.requests.start_review(owner, sent_back)
    accord.requests.request_changes(owner, sent_back, "say which wards")
    _ask(accord, "Draft")  # a draft is nobody's queue yet
    shift(5)
    op = accord.operator("test")
    accord.identity.add_assurance(
        op,
        "leeds",
        Assurance(
            AssuranceScheme.CYBER_ESSENTIALS_PLUS,
            "CE-123",
            accord.store.clock().date() + timedelta(days=20),
        ),
    )
    accord.identity.add_assurance(
        op, "hmrc", Assurance(AssuranceScheme.ISO_27001, "ISO-9", date.today() + timedelta(days=3))
    )
    agreement = accord.store.list_agreements()[0]
    lifecycle = LifecycleStore(accord.store)
    now = accord.store.clock()
    for n, (agreement_id, holder) in enumerate(((agreement.id, "leeds"), ("agr_other", "hmrc"))):
        item = RetentionItem(
            id=f"item{n}",
            kind=ItemKind.RECEIVED_PACKAGE,
            subject=f"package:pkg{n}",
            agreement_id=agreement_id,
            agreement_version=1,
            holder=holder,
            location=f"pkg{n}",
            reason="retention ended",
            due_on=now.date() - timedelta(days=40),
            state=ItemState.PLANNED,
            planned_at=now - timedelta(days=40),
        )
        event = AuditEvent(actor="operator:test", action="retention.plan", object="retention:plan")
        (planned,) = lifecycle.plan([item], audit=event)
        lifecycle.mark_for_destruction(
            planned,
            now - timedelta(days=10),
            audit=AuditEvent(actor="operator:test", action="retention.mark", object=item.subject),
        )
    return accord


def _cell(html: str, ident: str) -> str:
    found = re.search(rf'id="{ident}">([^<]*)<', html)
    assert found, ident
    return found[1]


def test_percentile_is_the_spreadsheets() -> None:
    assert percentile([], 0.9) is None
    assert percentile([4.0], 0.9) == 4.0
    assert percentile([2.0, 5.0], 0.5) == 3.5
    assert percentile([2.0, 5.0], 0.9) == pytest.approx(4.7)


def test_the_dashboard_shows_figures_computed_from_the_world(
    browser: Browser, governed: Accord
) -> None:
    browser.sign_in("dwp.dpo")
    page = browser.get("/dashboard")
    assert page.status_code == 200
    html = page.text
    assert "Department for Work and Pensions" in html
    assert _cell(html, "decided") == "2"
    assert _cell(html, "median") == "3.5 days"
    assert _cell(html, "p90") == "4.7 days"
    assert _cell(html, "queue-submitted") == "1"
    assert _cell(html, "queue-in_review") == "1"
    assert _cell(html, "queue-changes_requested") == "1"
    queue = html[html.index("Open requests") : html.index("Agreements ending")]
    waiting = re.findall(r'id="queue-(\w+)">\d+</td>\s*<td[^>]*>(.*?)</td>', queue)
    assert waiting == [
        ("submitted", '<span class="accord-block">Data owner: 1</span>'),
        ("in_review", '<span class="accord-block">Data owner: 1</span>'),
        ("changes_requested", "Nobody at Department for Work and Pensions"),
    ]
    # The agreement ends 45 days after it was asked for, and the clock is 5 days on.
    assert [_cell(html, f"ending-{w}") for w in (30, 60, 90)] == ["0", "1", "1"]
    assert "(in 40 days)" in html
    assert "Cyber Essentials Plus" in html
    assert "CE-123" in html
    assert "ISO-9" not in html, "HMRC shares nothing with DWP: its assurance is not DWP's concern"
    assert "package:pkg0" in html
    assert "package:pkg1" not in html


def test_a_shorter_period_leaves_out_older_decisions(browser: Browser, governed: Accord) -> None:
    browser.sign_in("dwp.dpo")
    html = browser.get("/dashboard?period=30").text
    assert _cell(html, "decided") == "2"
    refused = browser.get("/dashboard?period=7")
    assert refused.status_code == 422
    assert 'href="#period">Choose the last 30 days' in refused.text


def test_the_requesters_dpo_sees_leeds_figures(browser: Browser, governed: Accord) -> None:
    browser.sign_in("leeds.dpo")
    html = browser.get("/dashboard").text
    assert "Leeds City Council" in html
    assert _cell(html, "decided") == "2"
    assert "Requester: 1" in html  # the request sent back for changes
    assert "package:pkg0" in html  # Leeds holds the copy


def test_another_organisations_dashboard_answers_like_a_missing_one(
    browser: Browser, governed: Accord
) -> None:
    browser.sign_in("dwp.dpo")
    theirs = browser.get("/dashboard?organisation=leeds")
    missing = browser.get("/dashboard?organisation=nowhere")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.text == missing.text
    assert governed.store.audit_events(
        AuditFilter(actor="principal:dwp.dpo", decision="deny", limit=1)
    )


def test_someone_without_a_dpos_role_sees_no_figures(browser: Browser, governed: Accord) -> None:
    governed.identity.create_principal(
        governed.operator("test"),
        "dwp.admin",
        "Ad Min",
        PrincipalKind.PERSON,
        (Membership("dwp", Role.ADMIN),),
    )
    browser.sign_in("dwp.owner")
    page = browser.get("/dashboard")
    assert page.status_code == 200
    assert "nothing for you here" in page.text
    assert 'id="decided"' not in page.text
    with Browser(browser.app, base_url="http://127.0.0.1") as admin:
        admin.sign_in("dwp.admin")
        assert _cell(admin.get("/dashboard").text, "decided") == "2"


def test_short_times_to_decision_read_in_hours(
    browser: Browser, web_accord: Accord, tmp_path: Path, shift: Callable[[float], None]
) -> None:
    publish(web_accord, tmp_path)
    browser.sign_in("dwp.dpo")
    assert _cell(browser.get("/dashboard").text, "median") == "None decided"
    agree(web_accord)
    assert _cell(browser.get("/dashboard").text, "median") == "Less than an hour"
    officer = web_accord.acting_as("leeds.officer", "test")
    owner = web_accord.acting_as("dwp.owner", "test")
    shift(0)
    later = _ask(web_accord, "Later")
    web_accord.requests.submit(officer, later)
    shift(0.5)
    web_accord.requests.start_review(owner, later)
    web_accord.requests.reject(owner, later, "not needed")
    browser.sign_in("dwp.dpo")  # half a day idle ended the earlier session
    html = browser.get("/dashboard").text
    assert _cell(html, "median") == "6 hours"  # halfway between nothing and 12 hours
    assert _cell(html, "p90") == "11 hours"


def test_a_platform_auditor_chooses_any_organisation(
    browser: Browser, web_accord: Accord, governed: Accord
) -> None:
    web_accord.identity.create_principal(
        web_accord.operator("test"),
        "platform.auditor",
        "Pat Auditor",
        PrincipalKind.PERSON,
        (Membership(web_accord.platform_org, Role.AUDITOR),),
    )
    browser.sign_in("platform.auditor")
    page = browser.get("/dashboard").text
    assert '<option value="dwp">Department for Work and Pensions</option>' in page
    assert _cell(browser.get("/dashboard?organisation=dwp").text, "decided") == "2"
