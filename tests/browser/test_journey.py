"""Seed 000 in a browser, as its people would do it: NHS England's officer finds DWP's
carers data, writes the request page by page, reads the automatic assessment's findings,
answers them, uploads the DPIA and submits; DWP's data owner, DPO and legal adviser each
sign in and approve; the officer reads the agreement and, after the test exchange,
downloads the governed extract. axe-core checks every page on the
way (``conftest.check``).

The test needs the find-data, ask, decide and agreement pages: on a build of the web
service without them it is skipped, naming the first route missing.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from accord.services.app import Accord
from accord.web.routes import ROUTERS
from tests.browser.conftest import check

pytestmark = pytest.mark.integration

NEEDS = (
    "/find-data/{org}/{name}",
    "/ask/{draft_id}/{step}",
    "/ask/{draft_id}/check",
    "/waiting-on-me",
    "/review/{request_id}",
    "/our-agreements/{agreement_id}",
)
ROUTES = {getattr(route, "path", "") for router in ROUTERS for route in router.routes}

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
FIELDS = {
    "nino": "Record key for the test exchange and queries back to DWP",
    "forename": "Matching to the patient register",
    "surname": "Matching to the patient register",
    "date_of_birth": "Matching to the patient register",
    "postcode": "Matching to the patient register",
}
ANSWERS: dict[str, dict[str, str | list[str]]] = {
    "purpose": {
        "title": "Unpaid carers for COVID-19 vaccination",
        "purpose": "Invite unpaid carers receiving Carer's Allowance for vaccination as JCVI "
        "priority group 6, matched to the GP patient register",
    },
    "category": {
        "purpose_category": "emergency_response",
        "public_benefit": "Carers vaccinated earlier keep caring for vulnerable people safely",
    },
    "form": {"form": "identifiable", "channels": ["bulk_package"], "frequency": "one_off"},
    "law": {"lawful_basis": "6(1)(e)", "gateway": "copi-2002-reg3"},
    "dpia": {
        "dpia_reference": "DPIA-2021-017",
        "dpia_outcome": "mitigated",
        "completed-day": "5",
        "completed-month": "2",
        "completed-year": "2026",
    },
    "retention": {
        "retention-amount": "3",
        "retention-unit": "months",
        "retention_after": "delivery",
        "deletion_method": "Secure deletion with a certificate of destruction",
        "security_measures": "Encrypted transfer to NHS England's key; assured storage",
        "territory": "uk",
    },
    "considerations": {
        "benefit_or_detriment": "Carers are offered a vaccine sooner; nobody loses a benefit",
        "cost_against_benefit": "One extract against carers kept well enough to care",
        "fair_processing_information": "DWP's privacy notice names sharing for public health",
        "compatible_with_fair_processing": "yes",
        "operational_difference": "GP practices can invite carers they cannot identify today",
        "option-1": "Carers identifying themselves to their GP",
        "rejected-1": "Too slow, and most carers are not known to their practice as carers",
    },
}


def fill(page: Any, answers: dict[str, str | list[str]]) -> None:
    """Answer a form by its fields' names, as a person would with each kind of input."""
    for name, value in answers.items():
        field = page.locator(f'[name="{name}"]')
        kind = field.first.get_attribute("type") or field.first.evaluate("e => e.tagName")
        if kind == "radio":
            page.locator(f'[name="{name}"][value="{value}"]').check()
        elif kind == "checkbox":
            for each in [value] if isinstance(value, str) else value:
                page.locator(f'[name="{name}"][value="{each}"]').check()
        elif kind == "SELECT":
            field.select_option(value)
        else:
            field.fill(str(value))


def save(page: Any, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Save and continue").click()
    assert page.locator(".govuk-error-summary").count() == 0, (
        f"{name}: {page.locator('.govuk-error-summary').inner_text()}"
    )


def step(page: Any) -> str:
    return str(page.url.rsplit("/", 1)[-1].split("?")[0])


def _test_exchange(accord: Accord, agreement_id: str, tmp_path: Path) -> None:
    """DWP's system sends the test package and NHS England's receives it and returns the
    receipt: machine to machine under the organisations' own keys (the demo world issues
    them), not a page."""
    owner = accord.acting_as("dwp.data", "test")
    analyst = accord.acting_as("nhse.analyst", "test")
    sent = accord.transfer.send(owner, agreement_id, "nhse", tmp_path / "out", test=True)
    accord.transfer.receive(analyst, sent.path, tmp_path / "in")


def test_seed_000_from_finding_the_data_to_the_extract(
    open_as: Any, demo_world: Accord, tmp_path: Path
) -> None:
    missing = [route for route in NEEDS if route not in ROUTES]
    if missing:
        pytest.skip(f"this build of the web service has no page at {missing[0]}")

    officer = open_as("nhse.analyst")
    officer.goto("/find-data?q=carers")
    check(officer, "journey-01-find-data")
    officer.locator('main a[href="/find-data/dwp/carers_allowance"]').click()
    check(officer, "journey-02-dataset")
    with officer.expect_navigation():
        officer.get_by_role("button", name="Ask for this data").click()
    assert step(officer) == "purpose"
    check(officer, "journey-03-question-purpose")

    # One question page after another, in the order the service asks them.
    for _ in range(20):
        here = step(officer)
        if here == "check":
            break
        if here in ANSWERS and here != "considerations":
            fill(officer, ANSWERS[here])
        elif "/fields/" in officer.url:
            boxes = officer.locator('[name="fields"]')
            names = [boxes.nth(i).get_attribute("value") for i in range(boxes.count())]
            for field, why in FIELDS.items():
                n = names.index(field) + 1
                officer.locator(f'[name="fields"][value="{field}"]').check()
                officer.locator(f'[name="why-{n}"]').fill(why)
        elif here == "dpia-document":
            document = tmp_path / "dpia.pdf"
            document.write_bytes(PDF)
            officer.locator('input[type="file"]').set_input_files(str(document))
            with officer.expect_navigation():
                officer.get_by_role("button", name="Upload", exact=True).click()
            assert "Your DPIA document has been uploaded" in officer.locator("main").inner_text()
            check(officer, "journey-04-dpia-uploaded")
            # With the document kept, the same button goes on to the next question.
            with officer.expect_navigation():
                officer.get_by_role("button", name="Upload", exact=True).click()
            continue
        elif here == "dates":
            check(officer, "journey-05-question-dates")
            start, end = date.today(), date.today() + timedelta(days=180)
            fill(
                officer,
                {
                    "start-day": str(start.day),
                    "start-month": str(start.month),
                    "start-year": str(start.year),
                    "end-day": str(end.day),
                    "end-month": str(end.month),
                    "end-year": str(end.year),
                    "test_exchange": "yes",
                },
            )
        save(officer, here)
    assert step(officer) == "check", officer.url
    check(officer, "journey-06-check-answers-with-findings")

    # The assessment beside the answers asks for the considerations; answering them
    # takes that finding away.
    assessment = officer.locator(".accord-assessment")
    assert "CONSIDERATIONS_UNANSWERED" in assessment.inner_text()
    officer.goto(officer.url.replace("/check", "/considerations"))
    fill(officer, ANSWERS["considerations"])
    save(officer, "considerations")
    officer.goto(re.sub(r"/[^/]+$", "/check", officer.url.split("?")[0]))
    assert "CONSIDERATIONS_UNANSWERED" not in officer.locator(".accord-assessment").inner_text()
    with officer.expect_navigation():
        officer.get_by_role("button", name="Submit request").click()
    check(officer, "journey-07-submitted")
    request_id = re.search(r"req-[0-9a-f]+", officer.url)
    assert request_id, officer.url

    for who in ("dwp.data", "dwp.dpo", "dwp.legal"):
        reviewer = open_as(who)
        reviewer.goto("/waiting-on-me")
        check(reviewer, f"journey-08-waiting-on-{who}")
        reviewer.locator(f'a[href="/review/{request_id[0]}"]').first.click()
        check(reviewer, f"journey-09-decision-{who}")
        start = reviewer.get_by_role("link", name="Start the review")
        if start.count():
            start.click()
            with reviewer.expect_navigation():
                reviewer.locator("main form button.govuk-button").first.click()
        reviewer.goto(f"/review/{request_id[0]}/approve")
        check(reviewer, f"journey-10-approve-{who}")
        with reviewer.expect_navigation():
            reviewer.get_by_role("button", name="Approve", exact=True).click()
        assert reviewer.locator(".govuk-error-summary").count() == 0
        done = reviewer.locator("main").inner_text()
        if who == "dwp.legal":
            assert "the agreement is now active" in done
        else:
            assert "Your approval has been recorded" in done

    officer.goto("/our-agreements")
    check(officer, "journey-11-our-agreements")
    officer.locator('main a[href^="/our-agreements/agr-"]').first.click()
    check(officer, "journey-12-agreement")
    assert "Active" in officer.locator("main").inner_text()
    assert "Unpaid carers for COVID-19 vaccination" in officer.locator("h1").inner_text()

    # The test exchange the agreement requires, then the officer's governed extract.
    agreement = re.search(r"agr-[0-9a-f]+", officer.url)
    assert agreement, officer.url
    _test_exchange(demo_world, agreement[0], tmp_path)
    officer.get_by_role("link", name="Download an extract").click()
    check(officer, "journey-13-extract")
    officer.get_by_label("CSV (opens in a spreadsheet)").check()
    with officer.expect_download() as download:
        officer.get_by_role("button", name="Download extract").click()
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert len(lines) > 10, "the extract holds the cohort's rows"
    # Only the fields asked for and agreed leave, nothing else of the dataset.
    assert {name.strip('"') for name in lines[0].split(",")} <= set(FIELDS), lines[0]
