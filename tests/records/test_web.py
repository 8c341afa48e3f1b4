"""The "Records and retention" page: a holder's staff see counts, the next deletions
and the events; its DPO sets a delete date (never before keep-until); another
organisation gets the page that does not exist."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from accord.api.app import create_app
from accord.demo.provider_steps.records import months_ago
from accord.services.app import Accord
from accord.services.records import RecordsService
from accord.settings import load_settings
from tests.records.harness import nino, organisations
from tests.web.conftest import Browser


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[tuple[Browser, Accord]]:
    settings = load_settings(
        {"ACCORD_HOME": str(tmp_path / "home"), "ACCORD_WEB_DEMO_SIGN_IN": "1"}
    )
    app = Accord.init(settings, operator="test")
    organisations(app)
    service = RecordsService.of(app)
    operator = app.operator("test")
    today = app.store.clock().date()
    for i, kind in enumerate(("mandation_evidence", "mandation_evidence", "esf_form")):
        service.add(
            operator, "northfield", kind=kind, referral_id=f"W{i:09d}", nino=nino(i), data=b"x"
        )
    service.record_event(
        operator, "northfield", "decision_notified", months_ago(today, 12), nino=nino(0)
    )
    try:
        with Browser(create_app(app), base_url="http://127.0.0.1") as client:
            yield client, app
    finally:
        app.close()


def test_the_holders_page_and_its_delete_dates(browser: tuple[Browser, Accord]) -> None:
    client, app = browser
    client.sign_in("northfield.dpo")
    html = client.get("/records").text
    assert 'id="count-mandation_evidence-held">2<' in html
    assert 'id="count-esf_form-held">1<' in html
    assert "W000000000" in html  # the next deletion: its decision was notified
    assert "2 held record(s) wait for the event" in html
    assert "Decision notified" in html
    assert nino(0) not in html
    keep = months_ago(app.store.clock().date(), 12 - 13)  # 13 months after the decision
    before = str(keep - timedelta(days=1))
    early = client.submit(
        "/records/delete-dates",
        {"organisation": "northfield", "kind": "mandation_evidence", "on": before},
        form_page="/records",
    )
    assert early.status_code == 422
    assert "keep-until" in early.text
    later = client.submit(
        "/records/delete-dates",
        {"organisation": "northfield", "kind": "mandation_evidence", "offset": "P1M"},
        form_page="/records",
    )
    assert later.status_code == 303
    saved = client.get(later.headers["location"]).text
    assert 'id="config-mandation_evidence">P1M after keep-until<' in saved


def test_another_organisation_gets_not_found(browser: tuple[Browser, Accord]) -> None:
    client, _ = browser
    client.sign_in("eastgate.caseworker")
    assert client.get("/records?organisation=northfield").status_code == 404
    assert client.get("/records?organisation=nowhere").status_code == 404


def test_staff_read_and_the_dpo_sets_dates(browser: tuple[Browser, Accord]) -> None:
    client, _ = browser
    client.sign_in("northfield.caseworker")
    html = client.get("/records").text
    assert "Save delete date" not in html  # staff read; the DPO or admin sets dates
