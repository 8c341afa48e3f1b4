"""The way in and out with JavaScript turned off: every page is a plain HTML form."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import check

pytestmark = pytest.mark.integration


def test_sign_in_and_out_without_javascript(page_without_js: Any) -> None:
    page = page_without_js
    page.goto("/")
    assert page.evaluate("() => document.body.classList.contains('js-enabled')") is False
    page.get_by_role("button", name="Start now").click()
    page.wait_for_url("**/sign-in")
    check(page, "no-js-sign-in", axe=False)

    page.get_by_label("Dev Patel").check()
    page.get_by_role("button", name="Continue as this person").click()
    page.wait_for_load_state("load")
    account = page.locator("#account").inner_text()
    assert "Signed in as Dev Patel" in account
    assert "data protection officer at Department for Work and Pensions" in account
    check(page, "no-js-signed-in", axe=False)

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="You have signed out").wait_for()
    assert page.locator("#account").count() == 0
    check(page, "no-js-signed-out", axe=False)


def test_a_sign_in_without_a_choice_shows_the_error_without_javascript(
    page_without_js: Any,
) -> None:
    page = page_without_js
    page.goto("/sign-in")
    page.get_by_role("button", name="Continue as this person").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert page.title().startswith("Error: ")
    page.get_by_role("link", name="Choose who you are").click()
    assert page.url.endswith("#person")
    check(page, "no-js-sign-in-error", axe=False)
