"""Asking for data in the browser: question pages, a draft that outlives the session,
the live assessment, the DPIA upload, check your answers and submit."""

from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser

import pytest

from accord.core.governance.workflow import RequestState
from accord.core.identity import Membership, PrincipalKind, Role
from accord.services.app import Accord
from accord.services.drafts import MAX_DPIA_BYTES
from accord.store import AuditFilter
from accord.web.forms import STEPS
from tests.web.ask_world import carers  # noqa: F401 - the catalogue fixture
from tests.web.conftest import Browser

pytestmark = pytest.mark.usefixtures("carers")

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
ANSWERS: dict[str, dict[str, object]] = {
    "purpose": {
        "title": "Carers in Leeds",
        "purpose": "Offer unpaid carers in Leeds a flu vaccine before the winter",
    },
    "category": {
        "purpose_category": "outreach",
        "public_benefit": "Carers protected from flu, and the people they care for",
    },
    "cohort": {"cohort-1": "benefit = 'carers_allowance'"},
    "form": {"form": "identifiable", "channels": ["bulk_package"], "frequency": "one_off"},
    "dpia": {
        "dpia_reference": "LCC-DPIA-42",
        "dpia_outcome": "mitigated",
        "completed-day": "2",
        "completed-month": "11",
        "completed-year": "2026",
    },
    "retention": {
        "retention-amount": "13",
        "retention-unit": "months",
        "retention_after": "decision",
        "deletion_method": "Overwritten and certified",
        "security_measures": "Encrypted at rest, named staff only",
        "territory": "uk",
        "onward_sharing": "",
    },
    "dates": {
        "start-day": "4",
        "start-month": "1",
        "start-year": "2027",
        "end-day": "30",
        "end-month": "6",
        "end-year": "2027",
        "test_exchange": "yes",
    },
}
CONSIDERATIONS = {
    "benefit_or_detriment": "Carers are offered a vaccine; nobody loses a benefit",
    "cost_against_benefit": "One mailing against fewer carers falling ill",
    "fair_processing_information": "DWP's privacy notice names public health",
    "compatible_with_fair_processing": "yes",
    "operational_difference": "The vaccination team reaches carers it cannot find today",
    "option-1": "Published counts by area",
    "rejected-1": "Counts cannot invite a person",
}
FIELDS = {
    "fields": ["nino", "postcode"],
    "why-1": "To match carers to the council's records",
    "transform-1": "keep",
    "why-5": "To invite carers to the nearest clinic",
    "transform-5": "keep",
}
"""Fields are numbered by their place in dwp/carers: nino is 1, postcode 5."""


def start_draft(browser: Browser) -> str:
    """Start from the dataset page's "Ask for this data"; returns the draft's pages' base."""
    answer = browser.submit(
        "/ask/new", {"dataset": "dwp/carers"}, form_page="/find-data/dwp/carers"
    )
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert re.fullmatch(r"/ask/drf-[0-9a-f]{12}/purpose", location)
    return location.removesuffix("/purpose")


def answer(browser: Browser, path: str, data: dict[str, object]) -> str:
    response = browser.submit(path, data)
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def upload(browser: Browser, base: str, name: str, content: bytes, token: str | None = None):  # type: ignore[no-untyped-def]
    token = token or browser.csrf(f"{base}/dpia-document")
    return browser.post(
        f"{base}/dpia-document",
        data={"csrf_token": token},
        files={"document": (name, content, "application/pdf")},
        follow_redirects=False,
    )


def ask_for_exceptions(browser: Browser, base: str) -> None:
    """Ask for every blocking finding that may be accepted to be accepted, with a reason."""
    page = browser.get(f"{base}/exceptions").text
    reasons = {
        f"reason-{n}": f"{ref} is accepted by a data-sharing agreement under review"
        for n, ref in re.findall(r'for="reason-(\d+)">([^<]+): why it should be accepted', page)
    }
    answer(browser, f"{base}/exceptions", reasons)


def complete(browser: Browser) -> str:
    """A whole request, page by page, in the order the pages come."""
    base = start_draft(browser)
    assert answer(browser, f"{base}/purpose", ANSWERS["purpose"]) == f"{base}/category"
    assert answer(browser, f"{base}/category", ANSWERS["category"]) == f"{base}/datasets"
    assert (
        answer(browser, f"{base}/datasets", {"datasets": ["dwp/carers"]})
        == f"{base}/fields/dwp/carers"
    )
    assert answer(browser, f"{base}/fields/dwp/carers", FIELDS) == f"{base}/cohort"
    assert answer(browser, f"{base}/cohort", ANSWERS["cohort"]) == f"{base}/form"
    assert answer(browser, f"{base}/form", ANSWERS["form"]) == f"{base}/law"
    law = {"lawful_basis": "6(1)(e)", "gateway": "dea-2017-part5"}
    assert answer(browser, f"{base}/law", law) == f"{base}/dpia"
    assert answer(browser, f"{base}/dpia", ANSWERS["dpia"]) == f"{base}/dpia-document"
    assert upload(browser, base, "dpia.pdf", PDF).status_code == 303
    assert answer(browser, f"{base}/retention", ANSWERS["retention"]) == f"{base}/dates"
    assert answer(browser, f"{base}/dates", ANSWERS["dates"]) == f"{base}/considerations"
    assert answer(browser, f"{base}/considerations", CONSIDERATIONS) == f"{base}/exceptions"
    ask_for_exceptions(browser, base)
    return base


def test_a_request_is_built_page_by_page_and_submitted(
    browser: Browser, web_accord: Accord
) -> None:
    browser.sign_in("leeds.officer")
    base = complete(browser)
    check = browser.get(f"{base}/check")
    assert check.status_code == 200
    text = check.text
    assert "Check your answers before you submit your request" in text
    for shown in (
        "Carers in Leeds",
        "Outreach",
        "To invite carers to the nearest clinic",
        "13 months after the decision",
        "4 January 2027",
        "30 June 2027",
        "Public task, Article 6(1)(e)",
        hashlib.sha256(PDF).hexdigest(),
    ):
        assert shown in text, shown
    assert f'href="{base}/dates?change=1"' in text

    submitted = browser.submit(f"{base}/submit", {}, form_page=f"{base}/check")
    assert submitted.status_code == 303, submitted.text
    request_id = submitted.headers["location"].split("/")[2].split("?")[0]
    record = web_accord.store.get_request(request_id)
    assert record.state is RequestState.SUBMITTED
    assert record.document.requesting_organisation == "leeds"
    assert record.document.requester == "leeds.officer"
    assert record.document.datasets[0].cohort == "benefit = 'carers_allowance'"
    assert record.document.dpia.reference == "LCC-DPIA-42"
    weighed = record.document.considerations
    assert weighed is not None
    assert weighed.compatible_with_fair_processing is True
    assert weighed.alternatives_considered[0].why_rejected == "Counts cannot invite a person"
    assert str(record.document.retention.period) == "P13M"  # type: ignore[union-attr]
    confirmation = browser.get(submitted.headers["location"])
    assert "Request submitted" in confirmation.text
    assert request_id in confirmation.text
    # The draft is the request's now: it leaves the list of drafts and its pages close.
    assert "Carers in Leeds" not in browser.get("/ask").text
    assert browser.get(f"{base}/purpose").status_code == 404


def test_a_draft_survives_signing_out_and_in_again(
    browser: Browser, second_browser: Browser
) -> None:
    browser.sign_in("leeds.officer")
    base = start_draft(browser)
    answer(browser, f"{base}/purpose", ANSWERS["purpose"])
    browser.post("/sign-out", data={"csrf_token": browser.csrf("/ask")})

    second_browser.sign_in("leeds.officer")
    start = second_browser.get("/ask")
    assert f'href="{base}/check"' in start.text
    assert "Carers in Leeds" in start.text
    purpose = second_browser.get(f"{base}/purpose").text
    assert 'value="Carers in Leeds"' in purpose
    assert "Offer unpaid carers in Leeds a flu vaccine before the winter</textarea>" in purpose


def test_the_assessment_shows_what_is_missing_then_the_findings(browser: Browser) -> None:
    browser.sign_in("leeds.officer")
    base = start_draft(browser)
    first = browser.get(f"{base}/purpose").text
    assert "Your request is assessed as soon as these are answered" in first
    assert f'href="{base}/purpose">Give the request a title' in first

    answer(browser, f"{base}/purpose", ANSWERS["purpose"])
    answer(browser, f"{base}/category", ANSWERS["category"])
    answer(browser, f"{base}/fields/dwp/carers", FIELDS)
    answer(browser, f"{base}/form", ANSWERS["form"])
    answer(browser, f"{base}/dates", ANSWERS["dates"])
    page = browser.get(f"{base}/law").text
    assert "Tier</dt>" in page
    assert "5: non-anonymised operational" in page
    assert "Data owner, data protection officer and legal adviser of Department for Work" in page
    assert "LEGAL_LAWFUL_BASIS_MISSING" in page
    assert "No UK GDPR Article 6 lawful basis is given." in page
    # Blocking findings come first, and each fix links to the page that answers it.
    assert page.index("Must be fixed") < page.index("A reviewer will look at this")
    assert f'href="{base}/law">Change this answer' in page

    answer(browser, f"{base}/law", {"lawful_basis": "6(1)(e)"})
    after = browser.get(f"{base}/law").text
    assert "LEGAL_LAWFUL_BASIS_MISSING" not in after
    assert "LEGAL_GATEWAY_REQUIRED" in after

    # A warning's fix links to its page too, and answering there clears it.
    assert f'href="{base}/considerations">Change this answer' in after
    answer(browser, f"{base}/considerations", CONSIDERATIONS)
    assert "CONSIDERATIONS_UNANSWERED" not in browser.get(f"{base}/law").text


def test_a_page_with_errors_says_so_at_the_field_and_saves_nothing(browser: Browser) -> None:
    browser.sign_in("leeds.officer")
    base = start_draft(browser)
    refused = browser.submit(f"{base}/purpose", {"title": "Carers", "purpose": "short"})
    assert refused.status_code == 422
    assert "There is a problem" in refused.text
    assert '<a href="#purpose">What the data is for must be 10 characters or more</a>' in (
        refused.text
    )
    assert 'id="purpose-error"' in refused.text
    assert 'value="Carers"' in refused.text, "what was typed is shown again"
    assert "<title>Error: " in refused.text
    assert 'value="Carers"' not in browser.get(f"{base}/purpose").text

    dates = browser.submit(
        f"{base}/dates",
        {"start-day": "31", "start-month": "2", "start-year": "2027", "test_exchange": "yes"},
    )
    assert dates.status_code == 422
    assert "The date the sharing starts must be a real date" in dates.text
    assert "Enter the date the sharing ends" in dates.text

    fields = browser.submit(
        f"{base}/fields/dwp/carers", {"fields": ["date_of_birth"], "transform-4": "generalise"}
    )
    assert fields.status_code == 422
    assert 'href="#argument-4"' in fields.text


def test_the_dpia_document_must_be_a_pdf_within_the_limit(
    browser: Browser, web_accord: Accord
) -> None:
    browser.sign_in("leeds.officer")
    base = start_draft(browser)

    accepted = upload(browser, base, "DPIA v2.pdf", PDF)
    assert accepted.status_code == 303
    shown = browser.get(accepted.headers["location"]).text
    digest = hashlib.sha256(PDF).hexdigest()
    assert "Your DPIA document has been uploaded" in shown
    assert digest in shown
    assert (web_accord.home / "dpia" / f"{digest}.pdf").read_bytes() == PDF
    events = web_accord.store.audit_events(AuditFilter(action="draft.dpia"))
    assert json.loads(events[-1].details)["sha256"] == digest

    not_pdf = upload(browser, base, "dpia.docx", b"PK\x03\x04 a word document")
    assert not_pdf.status_code == 422
    assert "The selected file must be a PDF: dpia.docx is not one" in not_pdf.text
    assert 'href="#document"' in not_pdf.text

    too_big = upload(browser, base, "huge.pdf", PDF + b"0" * MAX_DPIA_BYTES)
    assert too_big.status_code == 422
    assert "The selected file must be smaller than 10MB" in too_big.text
    # The accepted document is still the draft's.
    assert digest in browser.get(f"{base}/dpia-document").text
    refused = web_accord.store.audit_events(AuditFilter(action="draft.dpia", decision="deny"))
    assert refused, "a refused file is on the record"


def test_submit_is_refused_with_links_while_a_blocking_finding_is_unanswered(
    browser: Browser, web_accord: Accord
) -> None:
    browser.sign_in("leeds.officer")
    base = complete(browser)
    # Take back one ask: the gateway finding is now neither fixed nor asked to be accepted.
    answer(browser, f"{base}/law", {"lawful_basis": "6(1)(e)"})
    ask_for_exceptions(browser, base)
    page = browser.get(f"{base}/exceptions").text
    number = re.search(r'for="reason-(\d+)">LEGAL_GATEWAY_REQUIRED', page)
    assert number
    answer(browser, f"{base}/exceptions", {f"reason-{number[1]}": ""})
    refused = browser.submit(f"{base}/submit", {}, form_page=f"{base}/check")
    assert refused.status_code == 422
    assert "Some findings must be fixed, or you must ask for them to be accepted" in refused.text
    assert "LEGAL_GATEWAY_REQUIRED" in refused.text
    assert f'href="{base}/law">Fix it' in refused.text
    assert not [r for r in web_accord.store.list_requests() if r.state is RequestState.SUBMITTED]


def test_an_ask_for_a_finding_fixed_since_does_not_stop_submission(
    browser: Browser, web_accord: Accord
) -> None:
    browser.sign_in("leeds.officer")
    base = complete(browser)
    answer(browser, f"{base}/law", {"gateway": "dea-2017-part5"})
    ask_for_exceptions(browser, base)
    assert "LEGAL_LAWFUL_BASIS_MISSING" in browser.get(f"{base}/check").text
    answer(browser, f"{base}/law", {"lawful_basis": "6(1)(e)", "gateway": "dea-2017-part5"})
    submitted = browser.submit(f"{base}/submit", {}, form_page=f"{base}/check")
    assert submitted.status_code == 303, submitted.text
    request_id = submitted.headers["location"].split("/")[2].split("?")[0]
    asked = {a.finding for a in web_accord.store.get_request(request_id).document.override_requests}
    assert "LEGAL_LAWFUL_BASIS_MISSING" not in asked
    assert "LEGAL_GATEWAY_PURPOSE" in asked


def test_every_form_needs_the_session_token(browser: Browser, web_accord: Accord) -> None:
    browser.sign_in("leeds.officer")
    base = start_draft(browser)
    for path in (
        "/ask/new",
        f"{base}/purpose",
        f"{base}/fields/dwp/carers",
        f"{base}/exceptions",
        f"{base}/submit",
    ):
        refused = browser.post(path, data={"csrf_token": "forged", **ANSWERS["purpose"]})
        assert refused.status_code == 403, path
    refused = upload(browser, base, "dpia.pdf", PDF, token="forged")
    assert refused.status_code == 403
    assert "Carers in Leeds" not in browser.get(f"{base}/purpose").text
    denied = web_accord.store.audit_events(
        AuditFilter(actor="principal:leeds.officer", decision="deny")
    )
    assert len(denied) >= 6


def test_someone_elses_draft_answers_as_a_missing_one(
    browser: Browser, second_browser: Browser, web_accord: Accord
) -> None:
    browser.sign_in("leeds.officer")
    base = start_draft(browser)
    draft_id = base.split("/")[2]
    second_browser.sign_in("dwp.owner")
    theirs = second_browser.get(f"{base}/purpose")
    missing = second_browser.get("/ask/drf-000000000000/purpose")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.text == missing.text
    mine_missing = second_browser.get("/my-requests/drf-000000000000")
    assert mine_missing.status_code == 404
    assert second_browser.get(f"/my-requests/{draft_id}").text == mine_missing.text
    denied = web_accord.store.audit_events(AuditFilter(action="draft.show", decision="deny"))
    assert {e.object for e in denied} >= {f"draft:{draft_id}"}
    # Someone who asks for no organisation cannot start a draft at all.
    refused = second_browser.submit("/ask/new", {}, form_page="/find-data")
    assert refused.status_code == 403


class _Structure(HTMLParser):
    """Ids, h1s, labels and inputs of a page, for the checks below."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.h1 = 0
        self.labelled: set[str] = set()
        self.inputs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if tag == "h1":
            self.h1 += 1
        if tag == "label" and a.get("for"):
            self.labelled.add(str(a["for"]))
        if tag in {"input", "select", "textarea"} and a.get("type") not in {"hidden", "submit"}:
            self.inputs.append(str(a.get("id")))


def test_every_page_has_one_heading_unique_ids_and_a_label_for_each_input(
    browser: Browser, web_accord: Accord
) -> None:
    browser.sign_in("leeds.officer")
    base = complete(browser)
    for step in [*(s.slug for s in STEPS if s.slug != "fields"), "fields/dwp/carers", "check"]:
        _check_structure(step, browser.get(f"{base}/{step}").text)
    submitted = browser.submit(f"{base}/submit", {}, form_page=f"{base}/check")
    request_id = submitted.headers["location"].split("/")[2].split("?")[0]
    for path in (
        "/find-data",
        "/find-data?q=carers",
        "/find-data/dwp/carers",
        "/ask",
        "/my-requests",
        f"/my-requests/{request_id}",
        f"/my-requests/{request_id}?submitted=1",
        f"/my-requests/{request_id}/withdraw",
    ):
        _check_structure(path, browser.get(path).text)


def _check_structure(path: str, html: str) -> None:
    parsed = _Structure()
    parsed.feed(html)
    assert parsed.h1 == 1, f"{path}: {parsed.h1} h1 elements"
    duplicates = {i for i in parsed.ids if parsed.ids.count(i) > 1}
    assert not duplicates, f"{path}: duplicate ids {duplicates}"
    unlabelled = [i for i in parsed.inputs if i not in parsed.labelled]
    assert not unlabelled, f"{path}: inputs without a label {unlabelled}"


def test_the_dpia_document_reaches_the_requests_parties_only(
    browser: Browser, second_browser: Browser, web_accord: Accord
) -> None:
    browser.sign_in("leeds.officer")
    base = complete(browser)
    submitted = browser.submit(f"{base}/submit", {}, form_page=f"{base}/check")
    request_id = submitted.headers["location"].split("/")[2].split("?")[0]
    status = browser.get(f"/my-requests/{request_id}").text
    assert f'href="/my-requests/{request_id}/dpia.pdf"' in status
    assert hashlib.sha256(PDF).hexdigest() in status

    second_browser.sign_in("dwp.dpo")
    document = second_browser.get(f"/my-requests/{request_id}/dpia.pdf")
    assert document.status_code == 200
    assert document.headers["content-type"] == "application/pdf"
    assert document.content == PDF
    assert document.headers["x-content-sha256"] == hashlib.sha256(PDF).hexdigest()

    with Browser(browser.app, base_url="http://127.0.0.1") as outsider:
        outsider.sign_in("hmrc.owner")
        refused = outsider.get(f"/my-requests/{request_id}/dpia.pdf")
        missing = outsider.get("/my-requests/req-00000000/dpia.pdf")
        assert refused.status_code == missing.status_code == 404
        assert refused.text == missing.text

    # A document altered on disk is not served as the one that was uploaded.
    stored = web_accord.home / "dpia" / f"{hashlib.sha256(PDF).hexdigest()}.pdf"
    stored.write_bytes(PDF + b"% altered")
    assert second_browser.get(f"/my-requests/{request_id}/dpia.pdf").status_code == 500


def test_someone_who_asks_for_two_organisations_chooses_which(
    browser: Browser, web_accord: Accord
) -> None:
    op = web_accord.operator("test")
    web_accord.identity.create_principal(
        op,
        "two.hats",
        "Tess Twohats",
        PrincipalKind.PERSON,
        (Membership("leeds", Role.REQUESTER), Membership("hmrc", Role.REQUESTER)),
    )
    browser.sign_in("two.hats")
    sent = browser.submit("/ask/new", {"dataset": "dwp/carers"}, form_page="/find-data/dwp/carers")
    assert sent.headers["location"] == "/ask?dataset=dwp/carers"
    choose = browser.get(sent.headers["location"]).text
    assert "Which organisation is asking?" in choose
    assert 'name="dataset" value="dwp/carers"' in choose

    unchosen = browser.submit(
        "/ask/new", {"dataset": "dwp/carers", "choosing": "1"}, form_page="/ask"
    )
    assert unchosen.status_code == 422
    assert '<a href="#organisation">Choose which organisation is asking</a>' in unchosen.text

    chosen = browser.submit(
        "/ask/new",
        {"dataset": "dwp/carers", "choosing": "1", "organisation": "hmrc"},
        form_page="/ask",
    )
    assert chosen.status_code == 303
    draft_id = chosen.headers["location"].split("/")[2]
    page = browser.get(chosen.headers["location"]).text
    assert "for HM Revenue and Customs" in page
    assert draft_id.startswith("drf-")
