"""The owners', checkers' and DPOs' pages as a screen reader meets them: one h1 and
headings in order, a caption and scoped headers on every table, a label for every
input, no inline script or style; and each needs someone signed in."""

from __future__ import annotations

from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path

import pytest

from accord.api.app import create_app
from accord.disclosure.airlock import OutputRequest
from accord.services.app import Accord
from tests.web.conftest import Browser
from tests.web.owners_world import agree, opt_out, outputs, publish


class Outline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.tables = 0
        self.captions = 0
        self.unscoped: list[str] = []
        self.ids: set[str] = set()
        self.labelled: set[str] = set()
        self.inputs: list[str] = []
        self.inline: list[str] = []
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in {"h1", "h2", "h3", "h4"}:
            self.headings.append(int(tag[1]))
        if tag == "table":
            self.tables += 1
        if tag == "caption":
            self.captions += 1
        if tag == "th" and a.get("scope") not in {"col", "row"}:
            self.unscoped.append(str(a))
        if tag == "label" and a.get("for"):
            self.labelled.add(str(a["for"]))
        if tag in {"input", "select", "textarea"} and a.get("type") != "hidden":
            self.inputs.append(str(a.get("id")))
        if "style" in a or any(k.startswith("on") for k in a):
            self.inline.append(f"{tag} {a}")
        if tag == "script" and not a.get("src"):
            self.inline.append("inline script")
        if tag == "style":
            self.inline.append("style element")


def outline(html: str) -> Outline:
    parsed = Outline()
    parsed.feed(html)
    return parsed


@pytest.fixture
def world(web_accord: Accord, tmp_path: Path) -> OutputRequest:
    publish(web_accord, tmp_path)
    opt_out(web_accord)
    agree(web_accord)
    return outputs(web_accord)


def _pages(output: OutputRequest) -> dict[str, list[str]]:
    return {
        "dwp.dpo": ["/my-data", "/my-data/dwp/carers", "/my-data/dwp/access-log", "/dashboard"],
        "dwp.owner": ["/my-data/dwp/carers", "/my-data/dwp/carers/fields/nino"],
        "leeds.checker1": [
            "/output-checking",
            f"/output-checking/{output.id}",
            f"/output-checking/{output.id}/files/carers_by_ward.csv",
        ],
        "leeds.analyst": [f"/output-checking/{output.id}"],
    }


def test_every_page_reads_in_order(web_accord: Accord, world: OutputRequest) -> None:
    for who, paths in _pages(world).items():
        with Browser(create_app(web_accord), base_url="http://127.0.0.1") as browser:
            browser.sign_in(who)
            for path in paths:
                page = browser.get(path)
                assert page.status_code == 200, (who, path)
                found = outline(page.text)
                main = found.headings[found.headings.index(1) :]
                assert found.headings.count(1) == 1, (path, found.headings)
                assert all(b - a <= 1 for a, b in pairwise(main)), (
                    path,
                    found.headings,
                )
                assert found.tables == found.captions, path
                assert not found.unscoped, (path, found.unscoped)
                assert set(found.inputs) <= found.labelled, (path, found.inputs)
                assert not found.inline, (path, found.inline)


def test_each_page_needs_someone_signed_in(browser: Browser, world: OutputRequest) -> None:
    for paths in _pages(world).values():
        for path in paths:
            answer = browser.get(path, follow_redirects=False)
            assert answer.status_code == 303, path
            assert answer.headers["location"].startswith("/sign-in?next=")
