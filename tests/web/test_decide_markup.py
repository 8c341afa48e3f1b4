"""Every page of deciding, agreements and the register is built as GOV.UK asks: one
h1, headings that never skip a level, tables with captions and scoped headers, a
label for every input, and no inline script or style."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from accord.services.app import Accord
from tests.web.conftest import Browser
from tests.web.decide_helpers import active_agreement, publish, sign_in, submitted


class _Outline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.tables = 0
        self.captions = 0
        self.unscoped: list[str] = []
        self.inputs: list[str] = []
        self.labels: set[str] = set()
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.headings.append(int(tag[1]))
        elif tag == "table":
            self.tables += 1
        elif tag == "caption":
            self.captions += 1
        elif tag == "th" and "scope" not in a:
            self.unscoped.append(str(a))
        elif tag in ("input", "textarea", "select") and a.get("type") not in ("hidden",):
            self.inputs.append(a.get("id") or "")
        elif tag == "label" and a.get("for"):
            self.labels.add(a["for"] or "")
        if "style" in a or (tag == "script" and "src" not in a):
            self.inline.append(tag)


def _check(path: str, html: str) -> None:
    outline = _Outline()
    outline.feed(html)
    content = list(outline.headings)
    assert content.count(1) == 1, (path, content)
    previous = 1
    for level in content[content.index(1) + 1 :]:
        assert level <= previous + 1, (path, content)
        previous = level
    assert outline.tables == outline.captions, path
    assert not outline.unscoped, (path, outline.unscoped)
    assert set(outline.inputs) <= outline.labels, (path, outline.inputs)
    assert not outline.inline, path


def test_every_page_is_outlined_and_labelled(
    browser: Browser, web_accord: Accord, tmp_path: Path
) -> None:
    publish(web_accord, tmp_path)
    agreement = active_agreement(web_accord)
    pending = submitted(web_accord)
    web_accord.requests.start_review(web_accord.acting_as("dwp.owner", "test"), pending)
    web_accord.requests.reject(web_accord.acting_as("dwp.dpo", "test"), pending, "No power")
    [decision] = web_accord.store.list_decisions(pending)
    fresh = submitted(web_accord)
    paths = [
        "/public-register",
        f"/public-register/{agreement}",
    ]
    for path in paths:
        _check(path, browser.get(path).text)
    sign_in(browser, "dwp.legal")
    paths = [
        "/waiting-on-me",
        f"/review/{fresh}",
        *(f"/review/{fresh}/{a}" for a in ("start", "ask-for-changes", "override")),
        f"/review/{pending}",
        f"/decision-records/{decision.id}",
        "/our-agreements",
        f"/our-agreements/{agreement}",
        *(f"/our-agreements/{agreement}/{a}" for a in ("suspend", "revoke")),
    ]
    for path in paths:
        page = browser.get(path)
        assert page.status_code == 200, path
        _check(path, page.text)
    sign_in(browser, "dwp.owner")
    web_accord.requests.start_review(web_accord.acting_as("dwp.dpo", "test"), fresh)
    for path in (f"/review/{fresh}/approve", f"/review/{fresh}/reject"):
        _check(path, browser.get(path).text)
    errors = browser.submit(f"/review/{fresh}/reject", {"note": ""})
    assert errors.status_code == 422
    _check("reject with errors", errors.text)
