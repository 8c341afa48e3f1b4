"""Agreements as their parties read them: the list, the document, versions and their
diff, suspend / reinstate / revoke with a reason, the ODRL download, and refusals."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from accord.core.governance.workflow import AgreementState
from accord.services.app import Accord
from accord.store import AuditFilter
from tests.web.conftest import Browser
from tests.web.decide_helpers import active_agreement, amended, publish, sign_in


@pytest.fixture
def agreement_id(web_accord: Accord, tmp_path: Path) -> str:
    publish(web_accord, tmp_path)
    return active_agreement(web_accord)


def test_each_party_sees_the_agreement_in_its_list_and_others_do_not(
    browser: Browser, agreement_id: str
) -> None:
    for who in ("dwp.owner", "leeds.officer", "leeds.dpo"):
        sign_in(browser, who)
        listing = browser.get("/our-agreements")
        assert listing.status_code == 200
        assert f'href="/our-agreements/{agreement_id}"' in listing.text, who
        assert "Carers in Leeds offered support" in listing.text
    sign_in(browser, "hmrc.owner")
    listing = browser.get("/our-agreements")
    assert agreement_id not in listing.text
    assert "not party to any agreement" in listing.text


def test_the_agreement_reads_as_a_document(browser: Browser, agreement_id: str) -> None:
    sign_in(browser, "leeds.officer")
    page = browser.get(f"/our-agreements/{agreement_id}")
    assert page.status_code == 200
    text = page.text
    for words in (
        "Department for Work and Pensions",  # data owner
        "Leeds City Council",  # recipient
        "Write to unpaid carers in Leeds",  # purpose
        "6(1)(e)",  # lawful basis
        "Fields from dwp/carers_allowance",
        "postcode",
        "bulk package",  # channel
        "Smallest count shown",  # output controls
        "Until the agreement ends",  # retention
        "Valid to",
        "Signatures verify",
        "Made active, signed by each data owner (version 1)",
    ):
        assert words in text, words
    assert re.search(r"\d{1,2} [A-Z][a-z]+ \d{4}", text), "dates are written out"
    # Overridden findings are conditions of the agreement.
    assert "The council&#39;s duty to carers" in text


def test_suspend_with_a_reason_shows_on_the_page_and_in_its_history(
    browser: Browser, web_accord: Accord, agreement_id: str
) -> None:
    sign_in(browser, "dwp.dpo")
    path = f"/our-agreements/{agreement_id}/suspend"
    empty = browser.submit(path, {"reason": ""})
    assert empty.status_code == 422
    assert 'href="#reason">Say why the agreement is to be suspended' in empty.text
    why = "A letter went to the wrong address; investigating"
    answer = browser.submit(path, {"reason": why})
    assert answer.status_code == 303
    assert web_accord.store.get_agreement(agreement_id).state is AgreementState.SUSPENDED
    page = browser.get(answer.headers["location"])
    assert "The agreement is suspended" in page.text
    assert "Suspended (version 1)" in page.text
    assert why in page.text
    assert "Dev Patel" in page.text  # who suspended it
    [event] = web_accord.store.audit_events(AuditFilter(action="agreement.suspend"))
    assert event.details_dict["note"] == why
    again = browser.submit(path, {"reason": "twice"})
    assert again.status_code == 409
    assert "cannot suspend from state suspended" in again.text.lower()
    back = browser.submit(f"/our-agreements/{agreement_id}/reinstate", {"reason": "Resolved"})
    assert back.status_code == 303
    assert web_accord.store.get_agreement(agreement_id).state is AgreementState.ACTIVE


def test_the_recipient_cannot_suspend_and_is_told_why(
    browser: Browser, web_accord: Accord, agreement_id: str
) -> None:
    sign_in(browser, "leeds.officer")
    answer = browser.submit(f"/our-agreements/{agreement_id}/suspend", {"reason": "No"})
    assert answer.status_code == 403
    assert "There is a problem" in answer.text
    assert "data-owning organisation may suspend" in answer.text
    assert web_accord.store.get_agreement(agreement_id).state is AgreementState.ACTIVE


def test_revoke_needs_the_forms_token(
    browser: Browser, web_accord: Accord, agreement_id: str
) -> None:
    sign_in(browser, "dwp.legal")
    for action in ("suspend", "reinstate", "revoke"):
        answer = browser.post(
            f"/our-agreements/{agreement_id}/{action}",
            data={"csrf_token": "forged", "reason": "x"},
            follow_redirects=False,
        )
        assert answer.status_code == 403
    assert web_accord.store.get_agreement(agreement_id).state is AgreementState.ACTIVE


def test_another_organisations_agreement_answers_like_a_missing_one(
    browser: Browser, agreement_id: str
) -> None:
    sign_in(browser, "hmrc.owner")
    for suffix in ("", "/odrl", "/suspend"):
        hidden = browser.get(f"/our-agreements/{agreement_id}{suffix}")
        absent = browser.get(f"/our-agreements/agr-00000000{suffix}")
        assert hidden.status_code == absent.status_code == 404, suffix
        assert hidden.text == absent.text
    token = browser.csrf("/")
    hidden = browser.post(
        f"/our-agreements/{agreement_id}/suspend", data={"csrf_token": token, "reason": "x"}
    )
    assert hidden.status_code == 404


def test_the_odrl_downloads_as_the_api_serves_it(
    browser: Browser, web_accord: Accord, agreement_id: str
) -> None:
    sign_in(browser, "leeds.officer")
    download = browser.get(f"/our-agreements/{agreement_id}/odrl")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/ld+json")
    assert (
        f'attachment; filename="agreement-{agreement_id}-v1.odrl.jsonld"'
        == download.headers["content-disposition"]
    )
    assert json.loads(download.text) == web_accord.agreements.export_odrl(agreement_id, 1)


def test_a_new_version_shows_what_changed_from_the_last(
    browser: Browser, web_accord: Accord, agreement_id: str
) -> None:
    amended(
        web_accord,
        agreement_id,
        datasets=[
            {
                "dataset": "dwp/carers_allowance",
                "fields": [
                    {"name": "nino", "justification": "To match to council records"},
                    {
                        "name": "postcode",
                        "justification": "To address the letter",
                        "transform": "truncate(4)",
                    },
                ],
            }
        ],
    )
    sign_in(browser, "dwp.owner")
    page = browser.get(f"/our-agreements/{agreement_id}")
    assert "version 2" in page.text
    changes = page.text.split("Changes from version 1", 1)[1].split("History", 1)[0]
    assert re.search(
        r"Dataset dwp/carers_allowance, field forename</th>\s*<td[^>]*><strong>Removed", changes
    )
    assert re.search(
        r"Dataset dwp/carers_allowance, field postcode, transform</th>\s*<td[^>]*>"
        r"<strong>Changed</strong>",
        changes,
    )
    assert "truncate(4)" in changes
    assert "Replaced by a newer version (version 1)" in page.text
    first = browser.get(f"/our-agreements/{agreement_id}?version=1")
    assert "This is an earlier version" in first.text
    assert 'href="/our-agreements/' + agreement_id + '/suspend"' not in first.text


def test_a_version_that_is_not_a_number_is_not_found(browser: Browser, agreement_id: str) -> None:
    sign_in(browser, "dwp.owner")
    for query in ("?version=abc", "?version=7", "?version=-1"):
        answer = browser.get(f"/our-agreements/{agreement_id}{query}")
        assert answer.status_code == 404, query
        assert "Page not found" in answer.text
