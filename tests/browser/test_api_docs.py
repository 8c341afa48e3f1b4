"""The API's documentation renders in a browser from this service's own copies of
Swagger UI and ReDoc: nothing from another host, no failed request, no console error
(a Content-Security-Policy refusal would be one).

axe-core is not asserted here: Swagger UI and ReDoc are other projects' pages, and
their markup is theirs to fix. The pages Accord writes are all in
``test_pages_accessible.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import screenshot, traffic_of

pytestmark = pytest.mark.integration


def test_swagger_ui_renders_the_api_from_local_assets(page: Any) -> None:
    page.goto("/docs")
    page.locator(".swagger-ui .info .title").get_by_text("Accord").wait_for()
    assert page.locator(".opblock").count() > 20, "the operations are listed"
    screenshot(page, "api-docs-swagger", full_page=False)
    traffic_of(page).assert_clean("/docs")


REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
"""ReDoc 2's bundle always asks for its maker's logo from its CDN (a React component
with the address built in, no option to turn it off). The Content-Security-Policy
refuses it before anything leaves the browser: the test proves the refusal."""


def test_redoc_renders_the_api_from_local_assets(page: Any) -> None:
    page.goto("/redoc")
    page.get_by_role("heading", level=1).get_by_text("Accord").wait_for()
    assert page.locator("[data-section-id]").count() > 20, "the operations are listed"
    screenshot(page, "api-docs-redoc", full_page=False)
    traffic = traffic_of(page)
    if REDOC_LOGO in traffic.foreign:
        refusals = [e for e in traffic.console_errors if REDOC_LOGO in e]
        assert refusals, "the logo was asked for and not refused"
        assert all("Content Security Policy" in e for e in refusals), refusals
        traffic.foreign[:] = [u for u in traffic.foreign if u != REDOC_LOGO]
        traffic.failed[:] = [f for f in traffic.failed if not f.startswith(REDOC_LOGO)]
        traffic.console_errors[:] = [e for e in traffic.console_errors if e not in refusals]
    traffic.assert_clean("/redoc")
