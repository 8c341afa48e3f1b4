"""The department's "Approved sub-contractors" pages, as a person uses them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from accord.api.app import create_app
from accord.demo.provider_world import DUE_DILIGENCE, build_provider_world
from accord.services.app import Accord
from accord.services.subcontractors import SubcontractorService
from accord.settings import load_settings
from tests.web.conftest import Browser

PAGE = "/approved-subcontractors"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    settings = load_settings(
        {"ACCORD_HOME": str(tmp_path / "home"), "ACCORD_WEB_DEMO_SIGN_IN": "1"}
    )
    app = Accord.init(settings, operator="test")
    build_provider_world(app, tmp_path / "synthetic", scale=0.0005, exchange=False)
    try:
        with Browser(create_app(app), base_url="http://127.0.0.1") as client:
            yield client
    finally:
        app.close()


def test_dwp_approves_and_withdraws_a_subcontractor(browser: Browser) -> None:
    browser.sign_in("dwp.admin")
    listing = browser.get(PAGE)
    assert listing.status_code == 200
    assert "Ridgeway Skills CIC" in listing.text
    assert "Sub-contractors" in listing.text  # in the service navigation
    form = f"{PAGE}/dwp/approve"
    answers = {
        "subcontractor": "ridgeway",
        "prime": "eastgate",
        "approved_from": date.today().isoformat(),
        "approved_to": (date.today() + timedelta(days=300)).isoformat(),
        "due_diligence": DUE_DILIGENCE,
    }
    # Not answering the offshore question is an error against that question.
    unanswered = browser.submit(form, answers)
    assert unanswered.status_code == 422
    assert 'id="no_offshore-error"' in unanswered.text
    # An offshore element refuses the approval, in the service's words.
    offshore = browser.submit(form, {**answers, "no_offshore": "no"})
    assert offshore.status_code == 422
    assert "offshore elements or links cannot be approved" in offshore.text
    bad_date = browser.submit(form, {**answers, "approved_to": "next year", "no_offshore": "yes"})
    assert 'id="approved_to-error"' in bad_date.text
    done = browser.submit(form, {**answers, "no_offshore": "yes"})
    assert done.status_code == 303
    listing = browser.get(done.headers["location"])
    assert "Eastgate Works" in listing.text
    withdraw_links = re.findall(
        r'href="(/approved-subcontractors/dwp/sca-[0-9a-f]+/withdraw)"', listing.text
    )
    assert len(withdraw_links) == 2
    link = withdraw_links[-1]
    empty = browser.submit(link, {"reason": " "})
    assert empty.status_code == 422
    assert 'id="reason-error"' in empty.text
    gone = browser.submit(link, {"reason": "Contract with Eastgate ended"})
    assert gone.status_code == 303
    assert "withdrawn" in browser.get(gone.headers["location"]).text


def test_another_organisations_list_is_not_found(browser: Browser) -> None:
    browser.sign_in("northfield.admin")
    own = browser.get(PAGE)
    assert own.status_code == 200
    assert "Northfield Employment Services has approved no sub-contractors" in own.text
    assert browser.get(f"{PAGE}/dwp/approve").status_code == 404
    app = browser.app.state.accord
    [approval] = SubcontractorService(app.store).approvals(app.acting_as("dwp.admin"), "dwp")
    assert browser.get(f"{PAGE}/dwp/{approval.id}/withdraw").status_code == 404
    assert browser.get(f"{PAGE}/northfield/{approval.id}/withdraw").status_code == 404
    posted = browser.submit(
        f"{PAGE}/northfield/{approval.id}/withdraw",
        {"reason": "x"},
        form_page=PAGE + "/northfield/approve",
    )
    assert posted.status_code == 404
    assert (
        not SubcontractorService(app.store)
        .approvals(app.acting_as("dwp.admin"), "dwp")[0]
        .withdrawn
    )


def test_a_requester_has_no_subcontractor_pages(browser: Browser) -> None:
    browser.sign_in("northfield.caseworker")
    assert "/approved-subcontractors" not in browser.get("/").text
