"""Deciding on a request through the pages: the queue, the decision page, each action,
the decision record as a page and as a PDF, and what is refused."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import pytest

from accord.core.governance.workflow import AgreementState, RequestState
from accord.services.app import Accord
from accord.store import AuditFilter
from tests.web.conftest import Browser
from tests.web.decide_helpers import APPROVERS, publish, resubmit, sign_in, submitted


@pytest.fixture
def request_id(web_accord: Accord, tmp_path: Path) -> str:
    publish(web_accord, tmp_path)
    return submitted(web_accord)


def _review(web_accord: Accord, request_id: str) -> None:
    web_accord.requests.start_review(web_accord.acting_as("dwp.owner", "test"), request_id)


def _blocking(web_accord: Accord, request_id: str) -> list[str]:
    record = web_accord.store.get_request(request_id)
    revision = web_accord.store.get_revision(request_id, record.revision)
    assert revision is not None
    return list(revision.assessment.blocking_refs)


def test_a_request_waits_on_each_dwp_reviewer_and_on_nobody_else(
    browser: Browser, web_accord: Accord, request_id: str
) -> None:
    for who in APPROVERS:
        sign_in(browser, who)
        queue = browser.get("/waiting-on-me")
        assert queue.status_code == 200
        assert f'href="/review/{request_id}"' in queue.text, who
        assert "Carers in Leeds offered support" in queue.text
        assert "Leeds City Council" in queue.text
    for who in ("leeds.dpo", "leeds.officer", "hmrc.owner"):
        sign_in(browser, who)
        queue = browser.get("/waiting-on-me")
        assert queue.status_code == 200
        assert request_id not in queue.text, who
        assert "Nothing is waiting on you" in queue.text


def test_the_queue_drops_a_request_once_the_person_has_approved_it(
    web_accord: Accord, request_id: str
) -> None:
    owner = web_accord.acting_as("dwp.owner", "test")
    assert [w.request.id for w in web_accord.requests.waiting_on(owner)] == [request_id]
    [waiting] = web_accord.requests.waiting_on(owner)
    assert [(org, role.value) for org, role in waiting.seats] == [("dwp", "data_owner")]
    _review(web_accord, request_id)
    legal = web_accord.acting_as("dwp.legal", "test")
    for ref in _blocking(web_accord, request_id):
        web_accord.requests.override(legal, request_id, ref, "accepted for the test")
    web_accord.requests.approve(owner, request_id)
    assert web_accord.requests.waiting_on(owner) == []
    dpo = web_accord.acting_as("dwp.dpo", "test")
    assert [w.request.id for w in web_accord.requests.waiting_on(dpo)] == [request_id]


def test_the_decision_page_shows_the_request_and_its_stored_assessment(
    browser: Browser, web_accord: Accord, request_id: str
) -> None:
    sign_in(browser, "dwp.dpo")
    page = browser.get(f"/review/{request_id}")
    assert page.status_code == 200
    text = page.text
    assert '<h1 class="govuk-heading-l">Carers in Leeds offered support</h1>' in text
    assert "Write to unpaid carers in Leeds" in text
    assert "To address the letter" in text  # a field's justification
    assert "LCC-DPIA-7" in text
    assert "Tier 5 (non-anonymised operational)" in text
    revision = web_accord.store.get_revision(request_id, 1)
    assert revision is not None
    for finding in revision.assessment.findings:
        assert finding["reason"].replace("'", "&#39;") in text
    assert "Not yet approved" in text
    assert "Blocking" in text
    assert "How to fix it" in text
    assert "This is the first revision submitted." in text
    assert "Submitted revision 1" in text


def test_after_changes_are_asked_for_the_page_shows_what_changed(
    browser: Browser, web_accord: Accord, request_id: str
) -> None:
    sign_in(browser, "dwp.dpo")
    path = f"/review/{request_id}/ask-for-changes"
    empty = browser.submit(path, {"note": ""})
    assert empty.status_code == 422
    assert "There is a problem" in empty.text
    assert 'href="#note">Say what needs to change' in empty.text
    asked = browser.submit(path, {"note": "Drop the postcode; add a cohort"})
    assert asked.status_code == 303
    assert web_accord.store.get_request(request_id).state is RequestState.CHANGES_REQUESTED
    resubmit(
        web_accord,
        request_id,
        datasets=[
            {
                "dataset": "dwp/carers_allowance",
                "fields": [
                    {"name": "nino", "justification": "To match to council records"},
                    {"name": "forename", "justification": "To address the letter"},
                ],
                "cohort": "weekly_amount > 50",
            }
        ],
    )
    page = browser.get(f"/review/{request_id}")
    assert "Request " + request_id + ", revision 2" in page.text
    changes = page.text.split("Changes since the previous revision", 1)[1].split("History")[0]
    assert "from revision 1" in changes
    assert re.search(
        r"Dataset dwp/carers_allowance, field postcode</th>\s*<td[^>]*><strong>Removed</strong>",
        changes,
    )
    assert re.search(
        r"Dataset dwp/carers_allowance, cohort</th>\s*<td[^>]*><strong>Added</strong>", changes
    )
    assert "weekly_amount &gt; 50" in changes
    assert "Only records where weekly amount is more than 50." in page.text
    assert "Asked for changes (revision 1)" in page.text
    assert "Drop the postcode; add a cohort" in page.text


def test_approvals_with_a_condition_make_the_agreement_and_the_condition_joins_it(
    browser: Browser, web_accord: Accord, request_id: str
) -> None:
    sign_in(browser, "dwp.owner")
    assert browser.submit(f"/review/{request_id}/start", {"note": ""}).status_code == 303
    sign_in(browser, "dwp.legal")
    for ref in _blocking(web_accord, request_id):
        done = browser.submit(
            f"/review/{request_id}/override", {"finding": ref, "reason": "Accepted: carers duty"}
        )
        assert done.status_code == 303, done.text
    condition = "Letters are sent within 30 days and the list destroyed after"
    sign_in(browser, "dwp.owner")
    form = browser.get(f"/review/{request_id}/approve").text
    assert "You approve as data owner of Department for Work and Pensions." in form
    first = browser.submit(
        f"/review/{request_id}/approve", {"role": "data_owner", "conditions": condition}
    )
    assert first.status_code == 303
    assert browser.get(first.headers["location"]).text.count("Your approval has been recorded")
    for who in ("dwp.dpo", "dwp.legal"):
        sign_in(browser, who)
        answer = browser.submit(f"/review/{request_id}/approve", {"note": "Content"})
        assert answer.status_code == 303, answer.text
    assert answer.headers["location"].endswith("done=agreement")
    record = web_accord.store.get_request(request_id)
    assert record.state is RequestState.APPROVED
    [agreement] = web_accord.store.list_agreements()
    assert agreement.state is AgreementState.ACTIVE
    assert condition in agreement.policy.conditions
    sign_in(browser, "leeds.officer")
    page = browser.get(f"/our-agreements/{agreement.id}")
    assert page.status_code == 200
    assert condition in page.text
    assert "Active" in page.text


def test_a_person_cannot_approve_twice_and_is_told_why(
    browser: Browser, web_accord: Accord, request_id: str
) -> None:
    _review(web_accord, request_id)
    legal = web_accord.acting_as("dwp.legal", "test")
    for ref in _blocking(web_accord, request_id):
        web_accord.requests.override(legal, request_id, ref, "accepted for the test")
    sign_in(browser, "dwp.owner")
    assert browser.submit(f"/review/{request_id}/approve", {}).status_code == 303
    again = browser.submit(f"/review/{request_id}/approve", {})
    assert again.status_code == 403
    assert "There is a problem" in again.text
    assert "has already approved this revision" in again.text


def test_a_rejection_writes_a_decision_record_shown_as_a_page_and_a_pdf(
    browser: Browser, web_accord: Accord, request_id: str
) -> None:
    _review(web_accord, request_id)
    sign_in(browser, "dwp.dpo")
    refused = browser.submit(f"/review/{request_id}/reject", {"note": ""})
    assert refused.status_code == 422
    assert "Give the reasons for rejecting the request" in refused.text
    why = "No legal gateway covers bulk names and addresses for outreach"
    answer = browser.submit(f"/review/{request_id}/reject", {"note": why})
    assert answer.status_code == 303
    assert web_accord.store.get_request(request_id).state is RequestState.REJECTED
    [decision] = web_accord.store.list_decisions(request_id)
    review = browser.get(f"/review/{request_id}")
    assert f'href="/decision-records/{decision.id}"' in review.text
    for who in ("dwp.dpo", "leeds.officer"):
        sign_in(browser, who)
        page = browser.get(f"/decision-records/{decision.id}")
        assert page.status_code == 200
        assert "Do not share: Carers in Leeds offered support" in page.text
        assert why in page.text
        assert "Signature verifies" in page.text
        assert decision.signatures[0].key_fingerprint in page.text
        pdf = browser.get(f"/decision-records/{decision.id}.pdf")
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        assert f'filename="decision-record-{decision.id}.pdf"' in pdf.headers["content-disposition"]
        assert pdf.content.startswith(b"%PDF")
        text = _pdf_text(pdf.content)
        assert "Do not share" in text
        assert "No legal gateway covers bulk names" in text
        assert decision.signatures[0].key_fingerprint in text


def _pdf_text(content: bytes) -> str:
    """The text drawn by the PDF's content streams (fpdf2 compresses them with zlib)."""
    text = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, flags=re.DOTALL):
        try:
            body = zlib.decompress(stream)
        except zlib.error:
            continue
        text += [s.decode("latin-1") for s in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", body)]
    return " ".join(text).replace("\\(", "(").replace("\\)", ")")


def test_an_override_by_anyone_but_legal_is_refused_and_recorded(
    browser: Browser, web_accord: Accord, request_id: str
) -> None:
    _review(web_accord, request_id)
    ref = _blocking(web_accord, request_id)[0]
    sign_in(browser, "dwp.owner")
    answer = browser.submit(
        f"/review/{request_id}/override", {"finding": ref, "reason": "I think it is fine"}
    )
    assert answer.status_code == 403
    assert "There is a problem" in answer.text
    assert "Only legal of dwp may override" in answer.text
    assert "<Macro" not in answer.text
    assert web_accord.store.list_overrides(request_id, 1) == []
    denied = web_accord.store.audit_events(
        AuditFilter(actor="principal:dwp.owner", action="request.override", decision="deny")
    )
    assert denied
    sign_in(browser, "dwp.legal")
    missing = browser.submit(f"/review/{request_id}/override", {"finding": ref, "reason": ""})
    assert missing.status_code == 422
    assert "Give the reason for overriding the finding" in missing.text


def test_another_organisations_request_answers_exactly_like_a_missing_one(
    browser: Browser, web_accord: Accord, request_id: str
) -> None:
    _review(web_accord, request_id)
    web_accord.requests.reject(web_accord.acting_as("dwp.dpo", "test"), request_id, "No power")
    [decision] = web_accord.store.list_decisions(request_id)
    sign_in(browser, "hmrc.owner")
    pairs = [
        (f"/review/{request_id}", "/review/req-00000000"),
        (f"/review/{request_id}/approve", "/review/req-00000000/approve"),
        (f"/decision-records/{decision.id}", "/decision-records/dec-00000000"),
        (f"/decision-records/{decision.id}.pdf", "/decision-records/dec-00000000.pdf"),
    ]
    for theirs, missing in pairs:
        hidden, absent = browser.get(theirs), browser.get(missing)
        assert hidden.status_code == absent.status_code == 404, theirs
        assert hidden.text == absent.text
        assert "Carers in Leeds" not in hidden.text
    refused = web_accord.store.audit_events(
        AuditFilter(actor="principal:hmrc.owner", decision="deny", limit=100)
    )
    assert any(e.object == f"request:{request_id}" for e in refused)
    assert any(e.object == f"decision:{decision.id}" for e in refused)


@pytest.mark.parametrize("action", ["start", "approve", "ask-for-changes", "reject", "override"])
def test_every_action_needs_the_forms_token(
    browser: Browser, web_accord: Accord, request_id: str, action: str
) -> None:
    sign_in(browser, "dwp.legal")
    browser.get(f"/review/{request_id}/{action}")
    answer = browser.post(
        f"/review/{request_id}/{action}",
        data={"csrf_token": "forged", "note": "x", "reason": "x", "finding": "x"},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    record = web_accord.store.get_request(request_id)
    assert record.state is RequestState.SUBMITTED
    assert web_accord.store.list_reviews(request_id) == []
    assert web_accord.store.list_overrides(request_id, 1) == []


def test_the_pages_need_someone_signed_in(browser: Browser, request_id: str) -> None:
    for path in ("/waiting-on-me", f"/review/{request_id}"):
        answer = browser.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/sign-in?next=")


def test_a_two_owner_request_waits_on_each_owner_for_its_own_seat(
    browser: Browser, web_accord: Accord, tmp_path: Path
) -> None:
    publish(web_accord, tmp_path)
    both = submitted(
        web_accord,
        datasets=[
            {
                "dataset": "dwp/carers_allowance",
                "fields": [{"name": "nino", "justification": "To match"}],
            },
            {
                "dataset": "hmrc/paye_income",
                "fields": [{"name": "annual_pay", "justification": "Earnings limit"}],
            },
        ],
    )
    sign_in(browser, "hmrc.owner")
    queue = browser.get("/waiting-on-me").text
    assert f'href="/review/{both}"' in queue
    assert "data owner of HM Revenue and Customs" in queue
    assert "data owner of Department for Work and Pensions" not in queue
    page = browser.get(f"/review/{both}").text
    assert "Fields from hmrc/paye_income (HM Revenue and Customs)" in page
    assert page.count("HM Revenue and Customs</td>") >= 1  # its seats in the approvals table
