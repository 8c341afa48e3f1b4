"""The recipient's extract from the agreement's page: refused before the receipted test
exchange the agreement requires, then the governed rows as a download, audited; nobody
outside the recipient's requesters and analysts finds the page."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest

from accord.core.identity import Assurance, AssuranceScheme
from accord.services.app import Accord
from accord.store import AuditFilter
from tests.web.conftest import Browser
from tests.web.decide_helpers import active_agreement, publish, sign_in


@pytest.fixture
def agreement_id(web_accord: Accord, tmp_path: Path) -> str:
    publish(web_accord, tmp_path)
    web_accord.identity.add_assurance(
        web_accord.operator("test"),
        "leeds",
        Assurance(AssuranceScheme.ISO_27001, "LCC-ISO-1", date.today() + timedelta(days=300)),
    )
    return active_agreement(web_accord)


def _test_exchange(accord: Accord, agreement_id: str, tmp_path: Path) -> None:
    """DWP's system sends the test package; Leeds's receives it and returns the receipt."""
    operator = accord.operator("test")
    for org in ("dwp", "leeds"):
        accord.org_keys.rotate(operator, org)
    owner = accord.acting_as("dwp.owner", "test")
    officer = accord.acting_as("leeds.officer", "test")
    sent = accord.transfer.send(owner, agreement_id, "leeds", tmp_path / "out", test=True)
    accord.transfer.receive(officer, sent.path, tmp_path / "in")


def test_the_officer_extracts_after_the_test_exchange(
    browser: Browser, web_accord: Accord, agreement_id: str, tmp_path: Path
) -> None:
    sign_in(browser, "leeds.officer")
    page = browser.get(f"/our-agreements/{agreement_id}")
    assert f'href="/our-agreements/{agreement_id}/extract"' in page.text
    path = f"/our-agreements/{agreement_id}/extract"
    early = browser.submit(path, {"dataset": "dwp/carers_allowance", "format": "csv"})
    assert early.status_code == 403
    assert "There is a problem" in early.text
    assert "test exchange" in early.text
    _test_exchange(web_accord, agreement_id, tmp_path)
    answer = browser.submit(path, {"dataset": "dwp/carers_allowance", "format": "csv"})
    assert answer.status_code == 200, answer.text[:2000]
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert len(rows) == 2
    # Only the agreed fields leave: the weekly amount and surname stay behind.
    assert set(rows[0]) == {"nino", "forename", "postcode"}
    released = web_accord.store.audit_events(AuditFilter(action="extract.release"))
    assert [e.actor for e in released] == ["principal:leeds.officer"]
    assert "dwp" in released[0].owners


def test_a_missing_choice_is_named(browser: Browser, agreement_id: str) -> None:
    sign_in(browser, "leeds.officer")
    path = f"/our-agreements/{agreement_id}/extract"
    answer = browser.submit(path, {"dataset": "hmrc/paye_income", "format": "xlsx"})
    assert answer.status_code == 422
    assert 'href="#dataset">Choose the data to extract' in answer.text
    assert 'href="#format">Choose the file format' in answer.text


@pytest.mark.parametrize("who", ["dwp.owner", "hmrc.owner", "leeds.dpo"])
def test_only_the_recipients_users_find_the_page(
    browser: Browser, agreement_id: str, who: str
) -> None:
    sign_in(browser, who)
    page = browser.get(f"/our-agreements/{agreement_id}/extract")
    missing = browser.get("/our-agreements/no-such-agreement/extract")
    assert page.status_code == missing.status_code == 404
    assert "Download an extract" not in browser.get(f"/our-agreements/{agreement_id}").text


def test_the_extract_needs_the_form_token(browser: Browser, agreement_id: str) -> None:
    sign_in(browser, "leeds.officer")
    answer = browser.post(
        f"/our-agreements/{agreement_id}/extract",
        data={"csrf_token": "forged", "dataset": "dwp/carers_allowance", "format": "csv"},
    )
    assert answer.status_code == 403
