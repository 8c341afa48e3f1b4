"""Real Chromium against a real Accord server, with axe-core on every page it checks.

One Chromium per test session (Debian's package, launched by ``executable_path``:
Playwright's own browser download is never used), one demo world (seed 000's, from
``accord.demo.web_world``) served by uvicorn on a loopback port, and a new browser
context per test, so no cookie or session crosses from one test to the next.

Without Chromium the tests are skipped with the fix in the message; under CI
(``ACCORD_REQUIRE_BROWSER=1``, set by ``.ci/run``) they fail instead.

``check(page, name)`` is the one assertion every page passes: axe-core finds no WCAG
2.0, 2.1 or 2.2 A or AA violation; there is a title and exactly one h1; nothing was
loaded from another host and no request failed; and a full-page screenshot is written
to ``test-artefacts/screenshots/<name>.png``.

axe-core is run with ``page.evaluate``, which Chromium's DevTools protocol executes
outside the page's Content-Security-Policy. The pages keep their real, strict policy
(no ``bypass_csp``), so the tests also prove that the page works under it; injecting a
``<script>`` tag would be refused by that same policy.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from accord.api.local_server import running_server
from accord.demo.web_world import build_demo_world
from accord.services.app import Accord

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "web-assets" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "test-artefacts" / "screenshots"
TIMEOUT_MS = 15_000
"""Any one wait (a navigation, a click, a selector): a hang fails fast."""

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
STRUCTURE_RULES = ["heading-order", "landmark-one-main", "landmark-unique", "page-has-heading-one"]
"""axe's best-practice rules for what the GOV.UK Design System also asks: headings in
order, one main landmark, landmarks told apart, a first-level heading."""


def chromium_path() -> str | None:
    """``$ACCORD_CHROMIUM`` when it is an executable, or Debian's ``chromium`` on the PATH."""
    chosen = os.environ.get("ACCORD_CHROMIUM")
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    return shutil.which("chromium")


def _unavailable(reason: str) -> None:
    if os.environ.get("ACCORD_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (ACCORD_REQUIRE_BROWSER=1: the browser tests must run)")
    pytest.skip(reason)


@dataclass
class Traffic:
    """What a page asked for beyond its own document, as the browser saw it."""

    origin: str
    foreign: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def watch(self, page: Any) -> None:
        page.on("request", self._request)
        page.on("requestfailed", self._failed)
        page.on("response", self._response)
        page.on("console", self._console)

    def _request(self, request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            self.foreign.append(request.url)

    def _failed(self, request: Any) -> None:
        # ERR_ABORTED is a load cancelled by the next navigation (a favicon when a test
        # moves on at once); a missing file is caught as its HTTP status in _response.
        if request.failure != "net::ERR_ABORTED":
            self.failed.append(f"{request.url}: {request.failure}")

    def _console(self, message: Any) -> None:
        # "Failed to load resource" repeats a response judged in _response (or the page's
        # own status, which is the test's to judge); anything else is a fault, a
        # Content-Security-Policy refusal above all.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console_errors.append(message.text)

    def _response(self, response: Any) -> None:
        # A page's own status is the test's to judge (a 404 page is meant); a stylesheet,
        # script, image or font that fails is always a fault.
        if response.status >= 400 and response.request.resource_type != "document":
            self.failed.append(f"{response.url}: HTTP {response.status}")

    def assert_clean(self, name: str) -> None:
        assert not self.foreign, f"{name}: requests to another host: {self.foreign}"
        assert not self.failed, f"{name}: failed requests: {self.failed}"
        assert not self.console_errors, f"{name}: console errors: {self.console_errors}"


_TRAFFIC: dict[int, Traffic] = {}


def traffic_of(page: Any) -> Traffic:
    return _TRAFFIC[id(page)]


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG A and AA violations on the page as it is now, and those of the
    structure rules."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = []
    for kind, values in (("tag", WCAG_TAGS), ("rule", STRUCTURE_RULES)):
        violations += page.evaluate(
            "async ([kind, values]) => (await axe.run(document, {runOnly: {type: kind, values},"
            " resultTypes: ['violations']})).violations",
            [kind, values],
        )
    return violations


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        targets = "; ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:5])
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} at {targets} [{v['helpUrl']}]")
        if v["nodes"] and v["nodes"][0].get("failureSummary"):
            lines.append("    " + v["nodes"][0]["failureSummary"].replace("\n", "\n    "))
    return "\n".join(lines)


def screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, type="png")
    return path


def check(page: Any, name: str, *, axe: bool = True) -> None:
    """The checks every page must pass; ``axe=False`` only where JavaScript is off."""
    page.wait_for_load_state("load")
    screenshot(page, name)
    title = page.title()
    assert title.strip(), f"{name}: the page has no title"
    assert page.locator("h1").count() == 1, f"{name}: {page.locator('h1').count()} h1 elements"
    traffic_of(page).assert_clean(name)
    if axe:
        violations = axe_violations(page)
        assert not violations, (
            f"{name} ({page.url}): {len(violations)} accessibility violations\n"
            + describe_violations(violations)
        )


@pytest.fixture(scope="session")
def demo_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Accord]:
    """Seed 000's world with one agreement and one request waiting on DWP."""
    if not AXE.exists():
        _unavailable(f"axe-core is missing at {AXE}: run `make assets`")
    accord = build_demo_world(tmp_path_factory.mktemp("web-world"), scale=0.0005, examples=True)
    try:
        yield accord
    finally:
        accord.close()


@pytest.fixture(scope="session")
def server(demo_world: Accord) -> Iterator[str]:
    with running_server(demo_world) as url:
        yield url


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        _unavailable(
            "Chromium not found: install Debian's `chromium` package (`make chromium` as "
            "root), or set ACCORD_CHROMIUM to its path"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS, timeout=TIMEOUT_MS * 2
        )
        try:
            yield browser
        finally:
            browser.close()


def _new_context(chromium: Any, server: str, **options: Any) -> Any:
    context = chromium.new_context(
        base_url=server, viewport={"width": 1280, "height": 900}, locale="en-GB", **options
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context


def _watched(context: Any, server: str) -> Any:
    page = context.new_page()
    traffic = Traffic(origin=server)
    traffic.watch(page)
    _TRAFFIC[id(page)] = traffic
    return page


@pytest.fixture
def page(chromium: Any, server: str) -> Iterator[Any]:
    """A new page in a new context: nobody signed in, JavaScript on."""
    context = _new_context(chromium, server)
    tab = _watched(context, server)
    try:
        yield tab
    finally:
        _TRAFFIC.pop(id(tab), None)
        context.close()


@pytest.fixture
def page_without_js(chromium: Any, server: str) -> Iterator[Any]:
    """The same, with JavaScript turned off in the browser."""
    context = _new_context(chromium, server, java_script_enabled=False)
    tab = _watched(context, server)
    try:
        yield tab
    finally:
        _TRAFFIC.pop(id(tab), None)
        context.close()


_SIGNED_IN: dict[tuple[str, str], Any] = {}
"""Each person's browser state (their session cookie) once signed in, by server."""


@pytest.fixture
def open_as(chromium: Any, server: str) -> Iterator[Any]:
    """``open_as(who)``: a new page in a new context, with ``who`` signed in (or nobody).

    Each person signs in through the sign-in page once per test session; later contexts
    start from that browser state, so a page's check does not pay for a sign-in.
    """
    contexts: list[Any] = []
    pages: list[Any] = []

    def opened(who: str | None) -> Any:
        state = None
        if who is not None and (server, who) not in _SIGNED_IN:
            first = _new_context(chromium, server)
            try:
                sign_in(first.new_page(), who)
                _SIGNED_IN[server, who] = first.storage_state()
            finally:
                first.close()
        if who is not None:
            state = _SIGNED_IN[server, who]
        context = _new_context(chromium, server, storage_state=state)
        contexts.append(context)
        tab = _watched(context, server)
        pages.append(tab)
        return tab

    try:
        yield opened
    finally:
        for tab in pages:
            _TRAFFIC.pop(id(tab), None)
        for context in contexts:
            context.close()


def sign_in(page: Any, who: str, next_path: str = "/") -> None:
    """Sign in as ``who`` through the demonstration sign-in page, as a person would."""
    page.goto("/sign-in" if next_path == "/" else f"/sign-in?next={quote(next_path, safe='')}")
    page.locator(f'input[name="principal"][value="{who}"]').check()
    page.get_by_role("button", name="Continue as this person").click()
    page.wait_for_load_state("load")
    assert page.locator("#account").count() == 1, f"{who} is not signed in: {page.url}"
