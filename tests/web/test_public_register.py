"""The public register of agreements: open to anyone, and nothing personal on it."""

from __future__ import annotations

from pathlib import Path

from accord.services.app import Accord
from tests.web.conftest import PEOPLE, Browser
from tests.web.decide_helpers import active_agreement, publish


def test_the_register_needs_no_sign_in_and_shows_no_personal_data(
    browser: Browser, web_accord: Accord, tmp_path: Path
) -> None:
    empty = browser.get("/public-register")
    assert empty.status_code == 200
    assert "No agreements have been made yet" in empty.text
    publish(web_accord, tmp_path)
    agreement_id = active_agreement(web_accord)
    register = browser.get("/public-register")
    assert register.status_code == 200
    assert "Signed in as" not in register.text
    assert f'href="/public-register/{agreement_id}"' in register.text
    assert "Write to unpaid carers in Leeds" in register.text
    assert "Department for Work and Pensions" in register.text
    assert "Leeds City Council" in register.text
    assert '<th scope="col" class="govuk-table__header">Shared with</th>' in register.text
    entry = browser.get(f"/public-register/{agreement_id}")
    assert entry.status_code == 200
    assert "Carers get support before they reach crisis" in entry.text  # expected benefits
    for page in (register.text, entry.text):
        for pid, (name, _) in PEOPLE.items():
            assert pid not in page
            assert name not in page
        for value in ("AB123456C", "Mary", "Jones", "LS1 1AA", "nino", "postcode"):
            assert value not in page, value


def test_an_entry_not_on_the_register_is_not_found(browser: Browser) -> None:
    answer = browser.get("/public-register/agr-00000000")
    assert answer.status_code == 404
    assert "Page not found" in answer.text


def test_the_register_is_paged(browser: Browser, web_accord: Accord, tmp_path: Path) -> None:
    publish(web_accord, tmp_path)
    active_agreement(web_accord)
    assert browser.get("/public-register?page_number=x").status_code == 200
    beyond = browser.get("/public-register?page_number=99")
    assert beyond.status_code == 200
    assert "1 agreement" in beyond.text
    assert "govuk-pagination" not in beyond.text
