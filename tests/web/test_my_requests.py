"""Tracking requests: the organisation's list, a request's status and history,
withdrawing one, and answering a reviewer's request for changes with a new version."""

from __future__ import annotations

import re

import pytest

from accord.core.governance.workflow import RequestState
from accord.services.app import Accord
from accord.store import AuditFilter
from accord.web.forms import build
from tests.web.ask_world import carers  # noqa: F401 - the catalogue fixture
from tests.web.conftest import Browser

ANSWERS = {
    "title": "Carers in Leeds",
    "purpose": "Offer unpaid carers in Leeds a flu vaccine before the winter",
    "purpose_category": "outreach",
    "datasets": [
        {
            "dataset": "dwp/carers",
            "cohort": "benefit = 'carers_allowance'",
            "fields": [
                {"name": "nino", "justification": "matching", "transform": "keep"},
                {"name": "postcode", "justification": "invitations", "transform": "keep"},
            ],
        }
    ],
    "form": "identifiable",
    "channels": ["bulk_package"],
    "lawful_basis": "6(1)(e)",
    "start_date": "2027-01-04",
    "end_date": "2027-06-30",
}


@pytest.fixture
def submitted(web_accord: Accord, carers: str) -> str:  # noqa: F811 - the fixture above
    """A request from Leeds, submitted with an ask to accept each blocking finding."""
    officer = web_accord.acting_as("leeds.officer", "test")
    document = build(ANSWERS, "leeds", "leeds.officer").document
    assert document is not None
    asks = {f.ref: "accepted in the test" for f in web_accord.requests.assess(document).blocking}
    document = build({**ANSWERS, "override_requests": asks}, "leeds", "leeds.officer").document
    assert document is not None
    record = web_accord.requests.create(officer, document)
    web_accord.requests.submit(officer, record.id)
    return record.id


def test_the_list_shows_the_organisations_requests_with_their_state(
    browser: Browser, second_browser: Browser, submitted: str
) -> None:
    browser.sign_in("leeds.officer")
    page = browser.get("/my-requests").text
    assert f'href="/my-requests/{submitted}">Carers in Leeds</a>' in page
    assert '<strong class="govuk-tag govuk-tag--blue">Submitted</strong>' in page
    assert "<caption" in page
    second_browser.sign_in("hmrc.owner")
    assert submitted not in second_browser.get("/my-requests").text


def test_the_status_page_says_what_happens_next_and_who_it_waits_on(
    browser: Browser, submitted: str
) -> None:
    browser.sign_in("leeds.officer")
    page = browser.get(f"/my-requests/{submitted}").text
    assert '<h1 class="govuk-heading-l">Carers in Leeds</h1>' in page
    assert "What happens next" in page
    for seat in ("Data owner", "Data protection officer", "Legal adviser"):
        assert f"<li>{seat} at Department for Work and Pensions</li>" in page
    assert "Version 1 submitted" in page
    assert "5: non-anonymised operational" in page
    assert f'href="/my-requests/{submitted}/withdraw"' in page


def test_withdrawing_asks_first_then_withdraws(
    browser: Browser, web_accord: Accord, submitted: str
) -> None:
    browser.sign_in("leeds.officer")
    confirm = browser.get(f"/my-requests/{submitted}/withdraw")
    assert "Are you sure you want to withdraw Carers in Leeds?" in confirm.text
    assert "govuk-button--warning" in confirm.text

    forged = browser.post(f"/my-requests/{submitted}/withdraw", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    assert web_accord.store.get_request(submitted).state is RequestState.SUBMITTED

    done = browser.submit(f"/my-requests/{submitted}/withdraw", {})
    assert done.status_code == 303
    assert done.headers["location"] == f"/my-requests/{submitted}?withdrawn=1"
    assert web_accord.store.get_request(submitted).state is RequestState.WITHDRAWN
    page = browser.get(done.headers["location"]).text
    assert "You withdrew this request" in page
    assert "Withdrawn" in page
    assert "Withdraw this request" not in page


def test_changes_asked_for_are_answered_with_a_new_version(
    browser: Browser, web_accord: Accord, submitted: str
) -> None:
    dpo = web_accord.acting_as("dwp.dpo", "test")
    web_accord.requests.request_changes(dpo, submitted, "Say why the postcode is needed")
    browser.sign_in("leeds.officer")
    status = browser.get(f"/my-requests/{submitted}").text
    assert "Changes requested" in status
    assert "Say why the postcode is needed" in status
    assert "You: the requester" in status

    forged = browser.post(f"/my-requests/{submitted}/change", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    opened = browser.submit(
        f"/my-requests/{submitted}/change", {}, form_page=f"/my-requests/{submitted}"
    )
    assert opened.status_code == 303
    check = opened.headers["location"]
    assert re.fullmatch(r"/ask/drf-[0-9a-f]{12}/check", check)
    base = check.removesuffix("/check")
    page = browser.get(check).text
    assert "Offer unpaid carers in Leeds a flu vaccine before the winter" in page
    assert "Submit a new version of the request" in page

    unchanged = browser.submit(f"{base}/submit", {}, form_page=check)
    assert unchanged.status_code == 422
    assert "You have not changed anything since the reviewer asked for changes" in unchanged.text
    assert web_accord.store.get_request(submitted).revision == 1

    purpose = "Offer unpaid carers in Leeds a flu vaccine; postcodes choose the nearest clinic"
    saved = browser.submit(
        f"{base}/purpose?change=1",
        {"change": "1", "title": "Carers in Leeds", "purpose": purpose},
    )
    assert saved.headers["location"] == check
    resubmitted = browser.submit(f"{base}/submit", {}, form_page=check)
    assert resubmitted.status_code == 303, resubmitted.text
    record = web_accord.store.get_request(submitted)
    assert record.revision == 2
    assert record.state is RequestState.SUBMITTED
    assert record.document.purpose == purpose
    assert "Version 2 submitted" in browser.get(f"/my-requests/{submitted}").text


def test_another_organisations_request_is_not_found(
    browser: Browser, web_accord: Accord, submitted: str
) -> None:
    browser.sign_in("hmrc.owner")
    missing = browser.get("/my-requests/req-00000000")
    assert missing.status_code == 404
    for path in (f"/my-requests/{submitted}", f"/my-requests/{submitted}/withdraw"):
        theirs = browser.get(path.replace(submitted, "req-00000000"))
        other = browser.get(path)
        assert other.status_code == theirs.status_code == 404
        assert other.text == theirs.text
    change = browser.submit(f"/my-requests/{submitted}/change", {}, form_page="/my-requests")
    assert change.status_code == 404
    denied = web_accord.store.audit_events(
        AuditFilter(actor="principal:hmrc.owner", decision="deny")
    )
    assert any(e.object == f"request:{submitted}" for e in denied)
    assert web_accord.store.get_request(submitted).state is RequestState.SUBMITTED
