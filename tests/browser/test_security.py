"""What a browser is protected from, tried in a real browser: a form on another site
posting to Accord, a session cookie planted before sign-in, and a sign-in link that
would send the browser on to another host afterwards."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from accord.web.security import SESSION_COOKIE
from tests.browser.conftest import _new_context, sign_in

pytestmark = pytest.mark.integration


@pytest.fixture
def other_site(server: str) -> Iterator[Any]:
    """A page on another site (``localhost`` is not the same site as ``127.0.0.1``)
    with two forms that post to Accord: its demonstration sign-in and its sign-out."""

    class Hostile(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = (
                "<!DOCTYPE html><html lang='en'><head><title>Win a prize</title></head><body>"
                f"<form method='post' action='{server}/sign-in/demo'>"
                "<input type='hidden' name='csrf_token' value='guessed-token-0123456789abcdef'>"
                "<input type='hidden' name='principal' value='dwp.data'>"
                "<button>Claim</button></form>"
                f"<form method='post' action='{server}/sign-out'>"
                "<input type='hidden' name='csrf_token' value='guessed-token-0123456789abcdef'>"
                "<button>Unsubscribe</button></form></body></html>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_a_form_on_another_site_cannot_sign_the_browser_in(
    chromium: Any, server: str, other_site: str
) -> None:
    context = _new_context(chromium, server)
    try:
        page = context.new_page()
        page.goto("/sign-in")  # the browser holds Accord's form cookie, as a visitor's would
        page.goto(other_site)
        with page.expect_navigation():
            page.get_by_role("button", name="Claim").click()
        assert page.url.startswith(server)
        assert page.get_by_role("heading", name="You cannot do that").is_visible()
        names = {c["name"] for c in context.cookies(server)}
        assert SESSION_COOKIE not in names
        page.goto("/")
        assert page.locator("#account").count() == 0
    finally:
        context.close()


def test_a_form_on_another_site_cannot_sign_the_browser_out(
    chromium: Any, server: str, other_site: str
) -> None:
    context = _new_context(chromium, server)
    try:
        page = context.new_page()
        sign_in(page, "dwp.dpo")
        page.goto(other_site)
        with page.expect_navigation():
            page.get_by_role("button", name="Unsubscribe").click()
        page.goto("/")
        assert page.locator("#account").count() == 1, "the browser was signed out"
    finally:
        context.close()


def test_a_session_planted_before_sign_in_is_replaced(chromium: Any, server: str) -> None:
    planted = "planted-by-an-attacker-0123456789abcdef"
    context = _new_context(chromium, server)
    try:
        context.add_cookies([{"name": SESSION_COOKIE, "value": planted, "url": server}])
        page = context.new_page()
        sign_in(page, "dwp.dpo")
        session = {c["name"]: c for c in context.cookies(server)}[SESSION_COOKIE]
        assert session["value"] != planted
        assert session["httpOnly"] is True
        assert session["sameSite"] == "Lax"
    finally:
        context.close()
    attacker = _new_context(chromium, server)
    try:
        attacker.add_cookies([{"name": SESSION_COOKIE, "value": planted, "url": server}])
        page = attacker.new_page()
        page.goto("/")
        assert page.locator("#account").count() == 0
    finally:
        attacker.close()


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:1"]
)
def test_after_sign_in_the_browser_stays_on_this_service(
    chromium: Any, server: str, target: str
) -> None:
    context = _new_context(chromium, server)
    asked: list[str] = []
    try:
        page = context.new_page()
        page.on("request", lambda r: asked.append(r.url))
        sign_in(page, "leeds.officer", next_path=target)
        assert page.url == f"{server}/"
        assert not [u for u in asked if "evil.example" in u.split("?")[0]]
    finally:
        context.close()
