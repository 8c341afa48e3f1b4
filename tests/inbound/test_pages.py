"""The inbound channel's pages and the provider's inbox, signed in as seed 003's people."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from accord.api.app import create_app
from accord.demo.provider_world import ProviderWorld, build_provider_world
from accord.services.app import Accord
from accord.services.inbound import inbound_service
from accord.settings import load_settings
from tests.inbound.participants import NORTHFIELD_VOLUNTARY_WHP, participant
from tests.web.conftest import Browser


@pytest.fixture
def web_world(tmp_path: Path) -> Iterator[ProviderWorld]:
    settings = load_settings(
        {"ACCORD_HOME": str(tmp_path / "home"), "ACCORD_WEB_DEMO_SIGN_IN": "1"}
    )
    app = Accord.init(settings, operator="test")
    try:
        yield build_provider_world(app, tmp_path / "synthetic")
    finally:
        app.close()


@pytest.fixture
def browser(web_world: ProviderWorld) -> Iterator[Browser]:
    with Browser(create_app(web_world.app), base_url="http://127.0.0.1") as client:
        yield client


def test_a_designated_sender_sends_a_whp07_through_the_question_pages(
    web_world: ProviderWorld, browser: Browser
) -> None:
    person = participant(web_world, NORTHFIELD_VOLUNTARY_WHP)
    agreement = web_world.agreement.id
    browser.sign_in("northfield.caseworker")
    choose = browser.get("/send-a-form")
    assert "Change of circumstances (WHP07)" in choose.text
    chosen = browser.submit("/send-a-form", {"choice": f"{agreement}|whp07"})
    assert chosen.headers["location"] == f"/send-a-form/{agreement}/whp07"
    fields_path = f"/send-a-form/{agreement}/whp07"
    answers = {"referral_id": person["referral_id"], "nino": person["nino"].lower(),
               "reason": "disengaged", "date_of_change": "2021-06-01", "details": ""}  # fmt: skip
    missing = browser.submit(fields_path, {**answers, "nino": ""})
    assert missing.status_code == 422
    assert "Enter the national insurance number" in missing.text
    check = browser.submit(fields_path, answers)
    assert "Check your answers before sending" in check.text
    wrong = browser.submit(fields_path, {**answers, "reason": "did_not_attend", "step": "send"})
    assert wrong.status_code == 422
    assert "What has changed: did_not_attend is only for JETS" in wrong.text
    unknown = browser.submit(fields_path, {**answers, "referral_id": "W999999999", "step": "send"})
    assert unknown.status_code == 422
    assert "PRaP referral identifier: no referral" in unknown.text
    sent = browser.submit(fields_path, {**answers, "step": "send"})
    assert sent.status_code == 200, sent.text
    assert "Form sent" in sent.text
    [message] = inbound_service(web_world.app).inbox(web_world.caller("dwp.data"), "dwp").messages
    assert message.payload["nino"] == person["nino"]


def test_someone_not_designated_has_no_form_to_send(
    web_world: ProviderWorld, browser: Browser
) -> None:
    browser.sign_in("northfield.adviser")
    assert "not a designated sender" in browser.get("/send-a-form").text
    page = browser.get(f"/send-a-form/{web_world.agreement.id}/whp07")
    assert page.status_code == 404


def test_the_department_reads_actions_and_deletes_a_received_form(
    web_world: ProviderWorld, browser: Browser
) -> None:
    person = participant(web_world, NORTHFIELD_VOLUNTARY_WHP)
    body = json.dumps({"referral_id": person["referral_id"], "nino": person["nino"],
                       "reason": "re_engaged", "date_of_change": "2021-06-01"})  # fmt: skip
    sent = inbound_service(web_world.app).send(
        web_world.caller("northfield.caseworker"), web_world.agreement.id, "whp07", body
    )
    browser.sign_in("dwp.data")
    listing = browser.get("/received-forms")
    assert listing.text.count(f"/received-forms/{sent.id}") == 1
    assert person["nino"] not in listing.text
    page = browser.get(f"/received-forms/{sent.id}")
    assert person["nino"] in page.text
    assert "Mark as actioned" in page.text
    done = browser.submit(f"/received-forms/{sent.id}/action", {},
                          form_page=f"/received-forms/{sent.id}")  # fmt: skip
    assert done.status_code == 303
    assert "Delete this form" in browser.get(f"/received-forms/{sent.id}").text
    gone = browser.submit(f"/received-forms/{sent.id}/delete", {},
                          form_page=f"/received-forms/{sent.id}")  # fmt: skip
    assert gone.status_code == 303
    assert browser.get(f"/received-forms/{sent.id}").status_code == 404


def test_another_organisation_cannot_open_the_departments_form(
    web_world: ProviderWorld, browser: Browser
) -> None:
    person = participant(web_world, NORTHFIELD_VOLUNTARY_WHP)
    body = json.dumps({"referral_id": person["referral_id"], "nino": person["nino"],
                       "reason": "re_engaged", "date_of_change": "2021-06-01"})  # fmt: skip
    sent = inbound_service(web_world.app).send(
        web_world.caller("northfield.caseworker"), web_world.agreement.id, "whp07", body
    )
    browser.sign_in("eastgate.caseworker")
    assert browser.get(f"/received-forms/{sent.id}").status_code == 404
    assert person["nino"] not in browser.get("/received-forms").text


def test_the_provider_inbox_shows_its_referrals_and_refuses_once_suspended(
    web_world: ProviderWorld, browser: Browser
) -> None:
    browser.sign_in("northfield.caseworker")
    inbox = browser.get("/provider-inbox")
    assert inbox.status_code == 200, inbox.text
    shown = set(re.findall(r"<td class=\"govuk-table__cell\">([JW][0-9]{9})</td>", inbox.text))
    assert shown
    with duckdb.connect() as con:
        eastgate = {
            r[0]
            for r in con.execute(
                "select referral_id from read_parquet(?) where provider = 'eastgate'",
                [web_world.dataset_location("referrals")],
            ).fetchall()
        }
    assert not shown & eastgate
    assert "Latest changes of circumstances" in inbox.text
    assert browser.get("/provider-inbox?page=2").status_code == 200
    web_world.app.agreements.suspend(
        web_world.caller("dwp.data"), web_world.agreement.id, "access review lapsed"
    )
    refused = browser.get("/provider-inbox")
    assert refused.status_code == 403
    assert not set(re.findall(r"[JW][0-9]{9}", refused.text)) & shown
