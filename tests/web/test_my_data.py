"""My data: a data owner's datasets, classifications, agreements, register and accesses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accord.core.audit import AuditEvent
from accord.core.governance.records import AgreementRecord
from accord.core.identity import Membership, PrincipalKind, Role
from accord.core.vocabulary import Category
from accord.services.app import Accord
from accord.store import AuditFilter
from tests.web.conftest import Browser
from tests.web.owners_world import OPTED_OUT, agree, opt_out, publish


@pytest.fixture
def agreement(web_accord: Accord, tmp_path: Path) -> AgreementRecord:
    publish(web_accord, tmp_path)
    opt_out(web_accord)
    return agree(web_accord)


def _row(html: str, field: str) -> str:
    """The table row of one field on a dataset page."""
    found = re.search(
        rf'<tr class="govuk-table__row">\s*<th scope="row"[^>]*>'
        rf"<code[^>]*>{field}</code>.*?</tr>",
        html,
        re.S,
    )
    assert found, f"no row for {field}"
    return found[0]


def test_a_dwp_owner_sees_dwp_datasets_and_not_hmrcs(
    browser: Browser, agreement: AgreementRecord
) -> None:
    browser.sign_in("dwp.owner")
    page = browser.get("/my-data")
    assert page.status_code == 200
    assert 'href="/my-data/dwp/carers"' in page.text
    assert "hmrc/self_assessment" not in page.text
    assert browser.get("/my-data/dwp/carers").status_code == 200


def test_another_organisations_dataset_answers_like_a_missing_one(
    browser: Browser, agreement: AgreementRecord, web_accord: Accord
) -> None:
    browser.sign_in("dwp.owner")
    theirs = browser.get("/my-data/hmrc/self_assessment")
    missing = browser.get("/my-data/hmrc/no_such_dataset")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.text == missing.text
    assert browser.get("/my-data/dwp/no_such_dataset").status_code == 404
    assert browser.get("/my-data/hmrc/access-log").status_code == 404
    denied = web_accord.store.audit_events(
        AuditFilter(actor="principal:dwp.owner", decision="deny", limit=10)
    )
    assert any("/my-data/hmrc/self_assessment" in e.object for e in denied)


def test_unconfirmed_classifications_are_shown_as_suggestions(
    browser: Browser, agreement: AgreementRecord
) -> None:
    browser.sign_in("dwp.owner")
    row = _row(browser.get("/my-data/dwp/carers").text, "nino")
    assert "Suggested, not confirmed" in row
    assert "Direct identifier" in row
    assert "National Insurance number" in row


def test_confirming_a_suggestion_changes_its_tag(
    browser: Browser, agreement: AgreementRecord, web_accord: Accord
) -> None:
    browser.sign_in("dwp.owner")
    answer = browser.submit(
        "/my-data/dwp/carers/fields/nino/confirm", {}, form_page="/my-data/dwp/carers"
    )
    assert answer.status_code == 303
    page = browser.get(answer.headers["location"])
    assert "Classification of nino saved" in page.text
    assert "Confirmed by owner" in _row(page.text, "nino")
    assert "Suggested, not confirmed" in _row(page.text, "postcode")
    assert web_accord.store.get_dataset("dwp/carers").field("nino").confirmed


def test_overriding_a_classification_needs_a_reason_and_keeps_it(
    browser: Browser, agreement: AgreementRecord, web_accord: Accord
) -> None:
    browser.sign_in("dwp.owner")
    form = "/my-data/dwp/carers/fields/postcode"
    question = browser.get(form)
    assert "How should postcode be classified?" in question.text
    without = browser.submit(
        form, {"category": "personal", "semantic_type": "postcode", "reason": ""}
    )
    assert without.status_code == 422
    assert "There is a problem" in without.text
    assert 'href="#reason">Enter why this field is classified differently' in without.text
    assert 'id="reason-error"' in without.text
    assert not web_accord.store.get_dataset("dwp/carers").field("postcode").confirmed

    bad = browser.submit(form, {"category": "secret", "semantic_type": "postcode"})
    assert bad.status_code == 422
    assert 'href="#category">Select what kind of data' in bad.text

    done = browser.submit(
        form,
        {"category": "personal", "semantic_type": "postcode", "reason": "district only"},
    )
    assert done.status_code == 303
    spec = web_accord.store.get_dataset("dwp/carers").field("postcode")
    assert (spec.category, spec.confirmed) == (Category.PERSONAL, True)
    row = _row(browser.get("/my-data/dwp/carers").text, "postcode")
    assert "Personal data" in row
    assert "Confirmed by owner" in row
    event = web_accord.store.audit_events(AuditFilter(action="dataset.classify", limit=1))[0]
    assert event.details_dict["because"] == "district only"


def test_a_dpo_sees_the_classifications_but_only_an_owner_changes_them(
    browser: Browser, agreement: AgreementRecord
) -> None:
    browser.sign_in("dwp.dpo")
    page = browser.get("/my-data/dwp/carers")
    assert "Suggested, not confirmed" in page.text
    assert "/fields/nino/confirm" not in page.text
    refused = browser.submit(
        "/my-data/dwp/carers/fields/nino/confirm", {}, form_page="/my-data/dwp/carers"
    )
    assert refused.status_code == 403
    assert "only a data_owner of &#39;dwp&#39; may publish" in refused.text


def test_every_form_needs_its_token(
    browser: Browser, agreement: AgreementRecord, web_accord: Accord
) -> None:
    browser.sign_in("dwp.owner")
    for path, data in (
        ("/my-data/dwp/carers/fields/nino/confirm", {}),
        ("/my-data/dwp/carers/fields/nino", {"category": "personal", "semantic_type": "nino"}),
    ):
        answer = browser.post(path, data={"csrf_token": "forged", **data})
        assert answer.status_code == 403
    assert not web_accord.store.get_dataset("dwp/carers").field("nino").confirmed


def test_the_agreements_on_a_dataset_are_listed_with_their_recipient(
    browser: Browser, agreement: AgreementRecord
) -> None:
    browser.sign_in("dwp.owner")
    page = browser.get("/my-data/dwp/carers").text
    assert f'href="/our-agreements/{agreement.id}"' in page
    assert "Leeds City Council" in page
    assert "Active" in page


def test_the_opt_out_register_is_counted_never_listed(
    browser: Browser, agreement: AgreementRecord
) -> None:
    browser.sign_in("dwp.dpo")
    page = browser.get("/my-data").text
    register = page[page.index("Opt-out register") :]
    assert re.search(r"National Insurance number</th>\s*<td[^>]*>3</td>", register)
    for nino in OPTED_OUT:
        assert nino not in page


def test_an_access_by_leeds_is_in_dwps_log_and_not_hmrcs(
    browser: Browser, second_browser: Browser, agreement: AgreementRecord, web_accord: Accord
) -> None:
    op = web_accord.operator("test")
    web_accord.identity.create_principal(
        op, "hmrc.dpo", "Hal Dpo", PrincipalKind.PERSON, (Membership("hmrc", Role.DPO),)
    )
    browser.sign_in("dwp.dpo")
    assert 'href="/my-data/dwp/access-log"' in browser.get("/my-data").text
    dwp_log = browser.get("/my-data/dwp/access-log")
    assert dwp_log.status_code == 200
    rows = re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", dwp_log.text, re.S)
    officer = [r for r in rows if "Lou Officer" in r]
    assert officer
    assert all("Leeds City Council" in r for r in officer)
    approval = next(r for r in rows if "An approval by one required role" in r)
    assert "Dana Owner" in approval
    assert "Department for Work and Pensions" in approval, "the approver's own organisation"
    assert f"request:{agreement.request_id}" in dwp_log.text

    second_browser.sign_in("hmrc.dpo")
    hmrc_log = second_browser.get("/my-data/hmrc/access-log")
    assert hmrc_log.status_code == 200
    assert "Lou Officer" not in hmrc_log.text
    assert agreement.request_id not in hmrc_log.text


def test_the_access_log_pages_at_a_hundred_newest_first(
    browser: Browser, agreement: AgreementRecord, web_accord: Accord
) -> None:
    for n in range(110):  # a council's reads of DWP's dataset, each about DWP
        web_accord.store.record(
            AuditEvent(
                actor="principal:leeds.officer",
                action="catalogue.show",
                object="dataset:dwp/carers",
                organisation="leeds",
                reason=f"read {n}",
            )
        )
    browser.sign_in("dwp.dpo")
    first = browser.get("/my-data/dwp/access-log").text
    seqs = [int(s) for s in re.findall(r"Event (\d+)<", first)]
    assert len(seqs) == 100
    assert seqs == sorted(seqs, reverse=True)
    older = re.search(r'href="(/my-data/dwp/access-log\?before=\d+)"', first)
    assert older
    second = browser.get(older[1].replace("&amp;", "&")).text
    rest = [int(s) for s in re.findall(r"Event (\d+)<", second)]
    assert rest
    assert max(rest) < min(seqs)
    assert "One dataset&#39;s description shown (metadata only)." in first
    assert browser.get("/my-data/dwp/access-log?before=0").status_code == 422


def test_a_data_owner_is_told_who_may_read_the_log_and_refused_on_the_record(
    browser: Browser, agreement: AgreementRecord, web_accord: Accord
) -> None:
    browser.sign_in("dwp.owner")
    page = browser.get("/my-data").text
    assert "/my-data/dwp/access-log" not in page
    assert "Its data protection officers and auditors can see it here" in page
    refused = browser.get("/my-data/dwp/access-log")
    assert refused.status_code == 403
    assert "only an auditor or dpo of &#39;dwp&#39;" in refused.text
    assert web_accord.store.audit_events(
        AuditFilter(actor="principal:dwp.owner", action="audit.show", decision="deny", limit=1)
    )


def test_someone_with_no_data_to_look_after_is_told_so(browser: Browser) -> None:
    browser.sign_in("leeds.officer")
    page = browser.get("/my-data")
    assert page.status_code == 200
    assert "no data here for you to look after" in page.text
