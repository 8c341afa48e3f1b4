"""Finding data: catalogue search and dataset pages show metadata, never a row."""

from __future__ import annotations

import pytest

from accord.core.vocabulary import Category
from accord.services.app import Accord
from tests.web.ask_world import SECRET_NAMES, carers  # noqa: F401 - the catalogue fixture
from tests.web.conftest import Browser

pytestmark = pytest.mark.usefixtures("carers")


def test_finding_data_needs_someone_signed_in(browser: Browser) -> None:
    answer = browser.get("/find-data?q=carers", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?next=%2Ffind-data%3Fq%3Dcarers"


def test_search_shows_each_dataset_with_its_owner_and_never_a_row(browser: Browser) -> None:
    browser.sign_in("leeds.officer")
    found = browser.get("/find-data?q=carers allowance")
    assert found.status_code == 200
    text = found.text
    assert "1 dataset found" in text
    assert 'href="/find-data/dwp/carers"' in text
    assert "from Department for Work and Pensions" in text
    assert "People receiving Carer&#39;s Allowance and other caring benefits" in text
    assert ">benefits</strong>" in text
    assert "carers_by_area" not in text, "every word must match"
    for secret in SECRET_NAMES:
        assert secret not in text
    everything = browser.get("/find-data").text
    assert "All datasets (2)" in everything


def test_a_search_with_no_match_or_too_many_words_says_what_to_do(browser: Browser) -> None:
    browser.sign_in("hmrc.owner")
    none = browser.get("/find-data?q=tractors")
    assert "0 datasets found" in none.text
    assert "Try other words" in none.text
    long = browser.get("/find-data", params={"q": "x" * 201})
    assert long.status_code == 422
    assert '<a href="#q">Search words must be 200 characters or fewer</a>' in long.text


def test_the_dataset_page_shows_fields_classifications_and_products(
    browser: Browser, web_accord: Accord
) -> None:
    browser.sign_in("leeds.officer")
    page = browser.get("/find-data/dwp/carers")
    assert page.status_code == 200
    text = page.text
    assert '<h1 class="govuk-heading-l">Carers</h1>' in text
    assert "<caption" in text
    assert '<th scope="row" class="govuk-table__header">nino</th>' in text
    assert "Direct identifier" in text
    assert "6 of 6 classifications were suggested by Accord" in text
    assert text.count("Suggested, not confirmed") == 6 + 1
    assert "Confirmed by owner" not in text
    assert 'href="/find-data/dwp/carers_by_area"' in text, "the owner's published product"
    assert "3 records" in text
    assert 'name="dataset" value="dwp/carers"' in text
    assert "Ask for this data" in text
    for secret in SECRET_NAMES:
        assert secret not in text

    owner = web_accord.acting_as("dwp.owner", "test")
    web_accord.catalogue.classify(owner, "dwp/carers", "nino", category=Category.DIRECT_IDENTIFIER)
    confirmed = browser.get("/find-data/dwp/carers").text
    assert confirmed.count("Confirmed by owner") == 1
    assert "5 of 6 classifications were suggested" in confirmed


def test_only_a_requester_is_offered_to_ask(browser: Browser) -> None:
    browser.sign_in("dwp.owner")
    page = browser.get("/find-data/dwp/carers").text
    assert "Ask for this data" not in page


def test_a_missing_dataset_is_the_not_found_page(browser: Browser) -> None:
    browser.sign_in("leeds.officer")
    missing = browser.get("/find-data/dwp/nothing-here")
    assert missing.status_code == 404
    assert "Page not found" in missing.text
