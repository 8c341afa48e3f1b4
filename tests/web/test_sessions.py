"""Signing in and out of the web service, and what protects a session."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from accord.services.app import Accord
from accord.store import AuditFilter
from accord.web.deps import safe_next
from accord.web.security import SESSION_COOKIE
from tests.web.conftest import Browser


def test_the_start_page_is_open_and_sign_in_shows_who_you_are(browser: Browser) -> None:
    start = browser.get("/")
    assert start.status_code == 200
    assert "Start now" in start.text
    browser.sign_in("dwp.dpo")
    page = browser.get("/")
    assert "Signed in as <strong>Dev Patel</strong>" in page.text
    assert "data protection officer at <strong>Department for Work and Pensions</strong>" in (
        page.text
    )


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/\\evil.example",
        "https://evil.example/",
        "evil.example",
        "/ok\r\nSet-Cookie: x=1",
        "",
    ],
)
def test_after_sign_in_the_browser_stays_on_this_service(browser: Browser, target: str) -> None:
    token = browser.csrf("/sign-in")
    answer = browser.post(
        "/sign-in/demo",
        data={"csrf_token": token, "principal": "dwp.dpo", "next": target},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    assert safe_next("/find-data?q=carers") == "/find-data?q=carers"


def test_sign_in_needs_the_form_token(browser: Browser, web_accord: Accord) -> None:
    browser.get("/sign-in")
    answer = browser.post("/sign-in/demo", data={"csrf_token": "forged", "principal": "dwp.dpo"})
    assert answer.status_code == 403
    assert SESSION_COOKIE not in browser.cookies


def test_a_session_planted_before_sign_in_is_never_promoted(
    browser: Browser, web_accord: Accord
) -> None:
    planted = "attacker-chosen-session-value-0123456789"
    browser.cookies.set(SESSION_COOKIE, planted, domain="127.0.0.1")
    browser.sign_in("dwp.dpo")
    assert browser.cookies.get(SESSION_COOKIE) != planted
    with Browser(browser.app, base_url="http://127.0.0.1") as attacker:
        attacker.cookies.set(SESSION_COOKIE, planted, domain="127.0.0.1")
        assert "Signed in as" not in attacker.get("/").text


def test_sign_out_ends_the_session_everywhere(browser: Browser, web_accord: Accord) -> None:
    browser.sign_in("leeds.officer")
    secret = browser.cookies.get(SESSION_COOKIE)
    token = browser.csrf("/")
    assert browser.post("/sign-out", data={"csrf_token": token}).status_code == 200
    with Browser(browser.app, base_url="http://127.0.0.1") as stolen:
        stolen.cookies.set(SESSION_COOKIE, secret, domain="127.0.0.1")
        assert "Signed in as" not in stolen.get("/").text
    events = web_accord.store.audit_events(AuditFilter(action="web.sign_out"))
    assert [e.actor for e in events] == ["principal:leeds.officer"]


def test_sign_out_without_the_token_is_refused_and_recorded(
    browser: Browser, web_accord: Accord
) -> None:
    browser.sign_in("leeds.officer")
    assert browser.post("/sign-out", data={"csrf_token": "nope"}).status_code == 403
    assert "Signed in as" in browser.get("/").text
    denied = web_accord.store.audit_events(
        AuditFilter(actor="principal:leeds.officer", decision="deny")
    )
    assert denied, "a refused form is on the record"


def test_an_idle_session_ends(browser: Browser, web_accord: Accord) -> None:
    browser.sign_in("dwp.dpo")
    assert "Signed in as" in browser.get("/").text
    base = web_accord.store.clock
    web_accord.store.clock = lambda: base() + timedelta(minutes=31)  # type: ignore[method-assign]
    try:
        assert "Signed in as" not in browser.get("/").text
    finally:
        web_accord.store.clock = base  # type: ignore[method-assign]


def test_cookies_are_http_only_and_same_site(browser: Browser) -> None:
    token = browser.csrf("/sign-in")
    answer = browser.post(
        "/sign-in/demo",
        data={"csrf_token": token, "principal": "dwp.dpo"},
        follow_redirects=False,
    )
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    with Browser(browser.app, base_url="https://accord.example") as remote:
        token = remote.csrf("/sign-in")
        answer = remote.post(
            "/sign-in/demo",
            data={"csrf_token": token, "principal": "dwp.dpo"},
            follow_redirects=False,
        )
        assert "Secure" in answer.headers["set-cookie"]


def test_pages_forbid_inline_script_and_framing(browser: Browser) -> None:
    page = browser.get("/")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text


def test_the_api_docs_load_nothing_from_another_host(browser: Browser) -> None:
    for path in ("/docs", "/redoc"):
        page = browser.get(path)
        assert page.status_code == 200
        assert "http://" not in page.text
        assert "https://" not in page.text
        for asset in re.findall(r'(?:src|href)="([^"]+)"', page.text):
            assert browser.get(asset).status_code == 200, asset
