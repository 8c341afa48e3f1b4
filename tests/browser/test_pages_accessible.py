"""Every page of the web service, in real Chromium: axe-core finds no WCAG A or AA
violation, one h1, a title, nothing from another host.

To add a page, add a line to ``PAGES``: a name for its screenshot, its path, and who is
signed in (a person of ``accord.demo.web_world.DEMO_PEOPLE``, or None). The crawl below
also follows every link in the service navigation of each kind of person, so a page
that appears in the navigation is checked even before it has its own line.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import check, sign_in

PAGES: list[tuple[str, str, str | None]] = [
    ("start", "/", None),
    ("sign-in", "/sign-in", None),
    ("accessibility", "/accessibility", None),
    ("not-found", "/no-such-page", None),
    ("start-signed-in", "/", "dwp.data"),
    ("accessibility-signed-in", "/accessibility", "nhse.analyst"),
    ("not-found-signed-in", "/no-such-page", "leeds.officer"),
]

EXPECTED_STATUS = {"/no-such-page": 404}


@pytest.mark.parametrize(("name", "path", "who"), PAGES, ids=[p[0] for p in PAGES])
def test_the_page_is_accessible(page: Any, name: str, path: str, who: str | None) -> None:
    if who is not None:
        sign_in(page, who)
    response = page.goto(path)
    assert response is not None
    assert response.status == EXPECTED_STATUS.get(path, 200), f"{path}: HTTP {response.status}"
    check(page, name)
