"""The way in and out with the keyboard alone: no mouse, no click, in real Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import check

pytestmark = pytest.mark.integration

_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "";
  const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
  return (label || el.innerText || el.value || el.getAttribute("aria-label") || "").trim();
}"""


def focused(page: Any) -> str:
    text: str = page.evaluate(_FOCUSED)
    return text


def tab_to(page: Any, text: str, *, limit: int = 40) -> None:
    """Press Tab until the focused element reads ``text``; fail after ``limit`` presses."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if now.startswith(text):
            return
        seen.append(now)
    raise AssertionError(f"Tab never reached {text!r}; it went through {seen}")


def test_sign_in_and_out_with_the_keyboard_alone(page: Any) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    assert focused(page) == "Skip to main content", "the skip link is the first thing Tab reaches"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main-content")
    assert page.evaluate("() => document.activeElement.id") == "main-content"

    tab_to(page, "Start now")
    page.keyboard.press("Enter")
    page.wait_for_url("**/sign-in")
    check(page, "keyboard-sign-in")

    # Tab reaches the group of radios at its first person; the arrow keys choose another.
    tab_to(page, page.locator(".govuk-radios__label").first.inner_text())
    page.keyboard.press("Space")
    target = page.locator('label[for="person-2"]').inner_text()
    page.keyboard.press("ArrowDown")
    assert focused(page) == target
    assert page.locator("#person-2").is_checked()
    tab_to(page, "Continue as this person")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: not url.endswith("/sign-in"))
    assert f"Signed in as {target}" in page.locator("#account").inner_text()
    check(page, "keyboard-signed-in")

    tab_to(page, "Sign out")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="You have signed out").wait_for()
    assert page.locator("#account").count() == 0
    check(page, "keyboard-signed-out")


def test_focus_is_visible_on_every_link_and_button_of_the_start_page(page: Any) -> None:
    """WCAG 2.4.7: each element Tab reaches shows GOV.UK's yellow focus state."""
    page.goto("/")
    reached = []
    for _ in range(30):
        page.keyboard.press("Tab")
        name = focused(page)
        if not name or name in reached:
            break
        reached.append(name)
        background, shadow, outline = page.evaluate(
            "() => { const s = getComputedStyle(document.activeElement);"
            " return [s.backgroundColor, s.boxShadow, s.outlineStyle]; }"
        )
        yellow = "rgb(255, 221, 0)"
        assert yellow in (background + shadow) or outline not in ("none", ""), (
            f"{name!r} shows no focus: background {background}, shadow {shadow}, outline {outline}"
        )
    assert "Start now" in reached
    assert "Accessibility" in reached
