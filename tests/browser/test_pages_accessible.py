"""Every page of the web service, in real Chromium: axe-core finds no WCAG A or AA
violation, one h1, a title, nothing from another host (see ``conftest.check``).

To add a page, add a line to ``PAGES``: a name for its screenshot, its route as the web
service declares it (``/our-agreements/{agreement_id}``), and who is signed in (an id
from ``accord.demo.web_world.DEMO_PEOPLE``, or None for nobody). The route's parameters
are filled from the demo world (``ids``). A line whose route this build of the service
does not have is skipped, saying so: the lines for the parts of the service being built
beside this one are written already and start checking their pages when they land.

The crawl at the end also follows every link in the service navigation of one person
of each role, so a page in the navigation is checked even before it has its own line.
"""

from __future__ import annotations

from typing import Any

import pytest

from accord.core.governance.workflow import RequestState
from accord.demo.web_world import DEMO_PEOPLE
from accord.services.app import Accord
from accord.web.routes import ROUTERS
from tests.browser.conftest import check, sign_in

pytestmark = pytest.mark.integration

PAGES: list[tuple[str, str, str | None]] = [
    ("start", "/", None),
    ("sign-in", "/sign-in", None),
    ("sign-in-to-go-on", "/sign-in?next=%2Fmy-requests", None),
    ("accessibility", "/accessibility", None),
    ("not-found", "/no-such-page", None),
    ("start-signed-in", "/", "dwp.data"),
    ("accessibility-signed-in", "/accessibility", "nhse.analyst"),
    ("not-found-signed-in", "/no-such-page", "leeds.officer"),
    # Find data and ask
    ("find-data", "/find-data", "leeds.officer"),
    ("find-data-search", "/find-data?q=carers", "leeds.officer"),
    ("dataset", "/find-data/{org}/{name}", "nhse.analyst"),
    ("ask", "/ask", "nhse.analyst"),
    ("my-requests", "/my-requests", "nhse.analyst"),
    ("my-request", "/my-requests/{request_id}", "nhse.analyst"),
    # Decide, agreements and the public register
    ("waiting-on-me", "/waiting-on-me", "dwp.data"),
    ("review", "/review/{request_id}", "dwp.data"),
    ("our-agreements", "/our-agreements", "nhse.analyst"),
    ("agreement", "/our-agreements/{agreement_id}", "dwp.dpo"),
    ("public-register", "/public-register", None),
    ("public-register-entry", "/public-register/{agreement_id}", None),
    # Owners, output checking and the dashboard
    ("my-data", "/my-data", "dwp.data"),
    ("my-dataset", "/my-data/{org}/{name}", "dwp.data"),
    ("my-dataset-field", "/my-data/{org}/{name}/fields/{field}", "dwp.data"),
    ("access-log", "/my-data/{org}/access-log", "dwp.dpo"),
    ("output-checking", "/output-checking", "dwp.checker"),
    ("dashboard", "/dashboard", "dwp.dpo"),
    # Sub-contractors approved by the data owner (seed 003)
    ("approved-subcontractors", "/approved-subcontractors", "dwp.data"),
    ("approve-subcontractor", "/approved-subcontractors/{org}/approve", "dwp.data"),
]

STATUS = {"/no-such-page": 404}
"""A page's status when it is not 200 (and a route the service need not have)."""

ROUTES = {getattr(route, "path", "") for router in ROUTERS for route in router.routes}


@pytest.fixture(scope="module")
def ids(demo_world: Accord) -> dict[str, str]:
    """The demo world's objects that routes name: DWP's Carer's Allowance and its NINO
    field, NHS England's request waiting on DWP, and the agreement DWP approved."""
    # The examples come first; the journey test may add its own later.
    waiting = demo_world.store.list_requests(state=RequestState.SUBMITTED)[0]
    agreement = demo_world.store.list_agreements()[0]
    return {
        "org": "dwp",
        "name": "carers_allowance",
        "field": "nino",
        "request_id": waiting.id,
        "agreement_id": agreement.id,
    }


@pytest.mark.parametrize(("name", "route", "who"), PAGES, ids=[p[0] for p in PAGES])
def test_the_page_is_accessible(
    open_as: Any, ids: dict[str, str], name: str, route: str, who: str | None
) -> None:
    pattern = route.partition("?")[0]
    if pattern not in ROUTES and pattern not in STATUS:
        pytest.skip(f"this build of the web service has no page at {pattern}")
    path = route.format(**ids)
    page = open_as(who)
    response = page.goto(path)
    assert response is not None
    assert response.status == STATUS.get(path, 200), f"{path}: HTTP {response.status}"
    check(page, name)


def test_the_sign_in_error_is_accessible(page: Any) -> None:
    page.goto("/sign-in")
    page.get_by_role("button", name="Continue as this person").click()
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    # GOV.UK Frontend moves focus to the error summary, so a screen reader reads it first.
    assert page.evaluate("() => document.activeElement.classList.contains('govuk-error-summary')")
    check(page, "sign-in-error")


def test_the_signed_out_page_is_accessible(page: Any) -> None:
    sign_in(page, "dwp.legal")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="You have signed out").wait_for()
    check(page, "signed-out")


def test_every_page_in_each_persons_navigation_is_accessible(
    open_as: Any, ids: dict[str, str]
) -> None:
    """One person of each role in the demo world (and nobody) opens every link of their
    service navigation that ``PAGES`` does not check already. A page not yet built
    answers with the 404 page, which is checked the same way; every failure is
    reported together."""
    listed = {route.format(**ids) for _, route, _ in PAGES if route.partition("?")[0] in ROUTES}
    links: set[str] = set()
    checked: set[str] = set()
    failures: list[str] = []
    one_per_role = {p.role: p.id for p in reversed(DEMO_PEOPLE)}
    for who in [None, *one_per_role.values()]:
        page = open_as(who)
        page.goto("/")
        anchors = page.locator(".govuk-service-navigation__list a")
        hrefs = [anchors.nth(i).get_attribute("href") for i in range(anchors.count())]
        for href in hrefs:
            if href is None or href in links:
                continue
            links.add(href)
            if href in listed:
                continue
            checked.add(href)
            page.goto(href)
            try:
                check(page, "nav" + href.replace("/", "-"))
            except AssertionError as exc:
                failures.append(f"{href} (as {who or 'nobody'}): {exc}")
    assert len(links) >= 7, f"the navigations led to only {sorted(links)}"
    assert not failures, "\n\n".join(failures)
