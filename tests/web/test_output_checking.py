"""Output checking: files as tables with each failing cell named, two independent
reviews, and release only once two checkers have approved."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest

from accord.core.identity import Membership, PrincipalKind, Role
from accord.disclosure.airlock import FileStatus, OutputRequest
from accord.services.app import Accord
from accord.services.disclosure import SubmittedOutput
from accord.store import AuditFilter
from accord.web.routes import output_checking
from tests.web.conftest import Browser
from tests.web.owners_world import outputs

FILE = "carers_by_ward.csv"


@pytest.fixture
def submitted(web_accord: Accord) -> OutputRequest:
    return outputs(web_accord)


def _review(browser: Browser, request_id: str, decision: str, comment: str = "ok"):  # type: ignore[no-untyped-def]
    path = f"/output-checking/{request_id}/files/{FILE}"
    return browser.submit(
        f"{path}/review", {"decision": decision, "comment": comment}, form_page=path
    )


def _cell(html: str, value: str) -> str:
    found = re.search(
        rf'<td class="govuk-table__cell(?: accord-cell--fails)?">{value}(?:<span.*?)?</td>', html
    )
    assert found, f"no cell {value}"
    return found[0]


def test_checkers_see_their_organisations_outputs(
    browser: Browser, submitted: OutputRequest
) -> None:
    browser.sign_in("leeds.checker1")
    page = browser.get("/output-checking")
    assert page.status_code == 200
    assert f'href="/output-checking/{submitted.id}"' in page.text
    assert "Ana Lyst" in page.text
    request = browser.get(f"/output-checking/{submitted.id}")
    assert request.status_code == 200
    assert "0 of 2" in request.text
    assert "nothing can be released" in request.text


def test_an_outputs_file_is_a_table_with_failing_cells_marked_in_words(
    browser: Browser, submitted: OutputRequest
) -> None:
    browser.sign_in("leeds.checker1")
    page = browser.get(f"/output-checking/{submitted.id}/files/{FILE}").text
    assert '<th scope="col" class="govuk-table__header">ward</th>' in page
    hyde_park = _cell(page, "4")
    assert "accord-cell--fails" in hyde_park
    assert "Below 10 (fails threshold)" in hyde_park
    assert "Zero (fails zero check)" in _cell(page, "0")
    headingley = _cell(page, "120")
    assert "accord-cell--fails" not in headingley
    assert "fails" not in headingley
    assert re.search(r"Threshold</th>.*?numeric\">1</td>", page, re.S)
    assert "select ward, count(*)" in page


def test_long_files_are_cut_at_the_page_limit_with_a_note(
    browser: Browser, web_accord: Accord, submitted: OutputRequest
) -> None:
    rows = "".join(f"area{i},{20 + i}\n" for i in range(620))
    long = web_accord.airlock.submit(
        web_accord.acting_as("leeds.analyst", "test"),
        "leeds",
        "Every area",
        [SubmittedOutput("areas.csv", ("area,count\n" + rows).encode(), "q", ("count",))],
    )
    browser.sign_in("leeds.checker1")
    page = browser.get(f"/output-checking/{long.id}/files/areas.csv").text
    assert page.count('<tr class="govuk-table__row">') == 500 + 1 + 4 + 1  # rows, head, rules
    assert "the first 500 of 620 rows" in page
    assert "120 more rows are not shown here" in page


def test_two_independent_approvals_then_release(
    browser: Browser, second_browser: Browser, web_accord: Accord, submitted: OutputRequest
) -> None:
    browser.sign_in("leeds.checker1")
    first = _review(browser, submitted.id, "approve", "counts are rounded in the report")
    assert first.status_code == 303
    assert (
        "Your review of carers_by_ward.csv is saved" in browser.get(first.headers["location"]).text
    )
    assert web_accord.store.get_output_request(submitted.id).file(FILE).status is FileStatus.PENDING

    with Browser(browser.app, base_url="http://127.0.0.1") as analyst:
        analyst.sign_in("leeds.analyst")
        request_page = f"/output-checking/{submitted.id}"
        assert "Release approved outputs" not in analyst.get(request_page).text
        early = analyst.submit(f"{request_page}/release", {}, form_page=request_page)
        assert early.status_code == 409
        assert "has no approved file to release" in early.text

    second_browser.sign_in("leeds.checker2")
    assert _review(second_browser, submitted.id, "approve", "safe").status_code == 303
    assert (
        web_accord.store.get_output_request(submitted.id).file(FILE).status is FileStatus.APPROVED
    )
    file_page = second_browser.get(f"/output-checking/{submitted.id}/files/{FILE}").text
    assert "counts are rounded in the report" in file_page
    assert "Chris Checker" in file_page
    assert "Kim Checker" in file_page

    with Browser(browser.app, base_url="http://127.0.0.1") as analyst:
        analyst.sign_in("leeds.analyst")
        request_page = analyst.get(f"/output-checking/{submitted.id}").text
        assert "Release approved outputs" in request_page
        released = analyst.submit(
            f"/output-checking/{submitted.id}/release",
            {},
            form_page=f"/output-checking/{submitted.id}",
        )
    assert released.status_code == 200
    assert released.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(released.content))
    assert sorted(archive.namelist()) == [
        "carers_by_ward.csv",
        "checksums/carers_by_ward.csv.txt",
        "results.json",
    ]
    document = json.loads(archive.read("results.json"))
    comments = document["results"]["output_0"]["comments"]
    assert any("counts are rounded in the report" in c for c in comments)
    events = web_accord.store.audit_events(
        AuditFilter(action="airlock.download", actor="principal:leeds.analyst", limit=5)
    )
    assert [e.object for e in events] == [f"airlock:{submitted.id}/{FILE}"]
    assert events[0].decision == "allow"


def test_the_same_checker_twice_is_refused(
    browser: Browser, web_accord: Accord, submitted: OutputRequest
) -> None:
    browser.sign_in("leeds.checker1")
    assert _review(browser, submitted.id, "approve").status_code == 303
    page = browser.get(f"/output-checking/{submitted.id}/files/{FILE}").text
    assert "Save review" not in page
    assert "a second review must be independent" in page
    token = browser.csrf(f"/output-checking/{submitted.id}/files/{FILE}")
    again = browser.post(
        f"/output-checking/{submitted.id}/files/{FILE}/review",
        data={"csrf_token": token, "decision": "approve", "comment": "again"},
    )
    assert again.status_code == 403
    assert "You cannot do that" in again.text
    assert "each checker reviews a file once" in again.text
    assert len(web_accord.store.get_output_request(submitted.id).reviews) == 1


def test_the_submitter_cannot_check_their_own_output(
    browser: Browser, web_accord: Accord, submitted: OutputRequest
) -> None:
    # The analyst is made a checker too: being a checker is not enough to check oneself.
    op = web_accord.operator("test")
    web_accord.identity.grant_role(op, "leeds.analyst", Membership("leeds", Role.AUDITOR))
    web_accord.airlock.designate_checker(op, "leeds", "leeds.analyst")
    browser.sign_in("leeds.analyst")
    page = browser.get(f"/output-checking/{submitted.id}/files/{FILE}").text
    assert "an author may not check their own outputs" in page
    refused = _review(browser, submitted.id, "approve")
    assert refused.status_code == 403
    assert "an author may not check their own outputs" in refused.text
    assert web_accord.store.get_output_request(submitted.id).reviews == ()
    denied = web_accord.store.audit_events(
        AuditFilter(action="airlock.review", decision="deny", limit=1)
    )
    assert denied[0].actor == "principal:leeds.analyst"


def test_a_review_needs_a_decision_and_a_comment(
    browser: Browser, submitted: OutputRequest
) -> None:
    browser.sign_in("leeds.checker1")
    answer = _review(browser, submitted.id, "", "")
    assert answer.status_code == 422
    assert 'href="#decision">Select approve or reject' in answer.text
    assert 'href="#comment">Enter a comment' in answer.text


def test_another_organisations_output_answers_like_a_missing_one(
    browser: Browser, web_accord: Accord, submitted: OutputRequest
) -> None:
    web_accord.identity.create_principal(
        web_accord.operator("test"),
        "dwp.auditor",
        "Aud Itor",
        PrincipalKind.PERSON,
        (Membership("dwp", Role.AUDITOR),),
    )
    browser.sign_in("dwp.auditor")
    assert submitted.id not in browser.get("/output-checking").text
    for path in (
        f"/output-checking/{submitted.id}",
        f"/output-checking/{submitted.id}/files/{FILE}",
    ):
        theirs = browser.get(path)
        missing = browser.get(path.replace(submitted.id, "out_0000000000000000"))
        assert theirs.status_code == missing.status_code == 404
        assert theirs.text == missing.text
    refused = _review(browser, submitted.id, "approve")
    assert refused.status_code == 404
    assert web_accord.store.get_output_request(submitted.id).reviews == ()
    denied = web_accord.store.audit_events(
        AuditFilter(actor="principal:dwp.auditor", action="airlock.show", decision="deny", limit=5)
    )
    assert denied


def test_every_form_needs_its_token(
    browser: Browser, web_accord: Accord, submitted: OutputRequest
) -> None:
    browser.sign_in("leeds.checker1")
    for path, data in (
        (
            f"/output-checking/{submitted.id}/files/{FILE}/review",
            {"decision": "approve", "comment": "x"},
        ),
        (f"/output-checking/{submitted.id}/release", {}),
    ):
        assert browser.post(path, data={"csrf_token": "forged", **data}).status_code == 403
    assert web_accord.store.get_output_request(submitted.id).reviews == ()


def test_a_file_over_the_byte_limit_is_not_read_onto_the_page(
    browser: Browser, submitted: OutputRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(output_checking, "MAX_FILE_BYTES", 20)
    browser.sign_in("leeds.checker1")
    page = browser.get(f"/output-checking/{submitted.id}/files/{FILE}")
    assert page.status_code == 200
    assert "more than the 20 shown on a page" in page.text
    assert "Hyde Park" not in page.text
    assert re.search(r"Threshold</th>.*?numeric\">1</td>", page.text, re.S)
    assert "Save review" in page.text
