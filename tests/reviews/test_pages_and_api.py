"""The Access reviews pages and the HTTP API, over the provider world."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from accord.api.app import create_app
from accord.demo.provider_world import ProviderWorld, build_provider_world
from accord.services.app import Accord
from accord.settings import load_settings
from tests.web.conftest import Browser
from tests.web.test_owner_pages_markup import outline


@pytest.fixture
def web_world(tmp_path: Path) -> Iterator[ProviderWorld]:
    settings = load_settings(
        {"ACCORD_HOME": str(tmp_path / "home"), "ACCORD_WEB_DEMO_SIGN_IN": "1"}
    )
    app = Accord.init(settings, operator="test")
    try:
        yield build_provider_world(app, tmp_path / "synthetic", exchange=False)
    finally:
        app.close()


def test_the_admin_recertifies_on_the_page_after_checking_answers(
    web_world: ProviderWorld,
) -> None:
    world = web_world
    now = world.app.store.clock()
    world.app.store.clock = lambda: now + timedelta(days=31)
    review = f"/our-access-reviews/{world.agreement.id}/northfield"
    with Browser(create_app(world.app), base_url="http://127.0.0.1") as browser:
        browser.sign_in("northfield.admin")
        listing = browser.get("/our-access-reviews")
        assert "Lapsed: access suspended" in listing.text
        assert review in listing.text
        page = browser.get(review)
        assert "Access to the data under this agreement is suspended" in page.text
        check = browser.submit(
            f"{review}/check", {"keep": ["northfield.caseworker"]}, form_page=review
        )
        assert check.status_code == 200
        assert "Check your answers" in check.text
        assert "northfield.adviser" in check.text  # to be removed, shown before confirming
        done = browser.submit(
            f"{review}/recertify", {"keep": ["northfield.caseworker"]}, form_page=review
        )
        assert done.status_code == 303
        after = browser.get(done.headers["location"])
        assert "Access recertified" in after.text
        assert "Current" not in listing.text
        assert "Current" in browser.get("/our-access-reviews").text


def test_the_data_owner_sees_the_status_but_no_form(web_world: ProviderWorld) -> None:
    world = web_world
    review = f"/our-access-reviews/{world.agreement.id}/northfield"
    with Browser(create_app(world.app), base_url="http://127.0.0.1") as browser:
        browser.sign_in("dwp.dpo")
        page = browser.get(review)
        assert page.status_code == 200
        assert "Only an administrator of" in page.text
        assert 'action="' + review + '/check"' not in page.text


def test_the_api_recertifies_and_refuses_others(web_world: ProviderWorld) -> None:
    world = web_world
    identity, operator = world.app.identity, world.operator
    _, admin = identity.issue_token(operator, "northfield.admin")
    _, eastgate = identity.issue_token(operator, "eastgate.caseworker")
    with TestClient(create_app(world.app)) as client:
        path = f"/access-reviews/{world.agreement.id}/northfield"
        hidden = client.post(
            f"{path}/recertify",
            json={"keep": ["northfield.caseworker", "northfield.adviser"]},
            headers={"Authorization": f"Bearer {eastgate}"},
        )
        assert hidden.status_code == 404
        incomplete = client.post(
            f"{path}/recertify",
            json={"keep": ["northfield.caseworker"]},
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert incomplete.status_code == 422
        assert "keep or remove northfield.adviser" in incomplete.text
        done = client.post(
            f"{path}/recertify",
            json={"keep": ["northfield.caseworker", "northfield.adviser"]},
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "current"
        check = client.post("/access-reviews/check", headers={"Authorization": f"Bearer {admin}"})
        assert check.status_code == 403


def test_the_pages_read_in_order_and_need_someone_signed_in(web_world: ProviderWorld) -> None:
    world = web_world
    review = f"/our-access-reviews/{world.agreement.id}/northfield"
    with Browser(create_app(world.app), base_url="http://127.0.0.1") as browser:
        for path in ("/our-access-reviews", review):
            assert browser.get(path, follow_redirects=False).status_code == 303
        browser.sign_in("northfield.admin")
        browser.submit(
            f"{review}/recertify",
            {"keep": ["northfield.caseworker", "northfield.adviser"]},
            form_page=review,
        )
        for path in ("/our-access-reviews", review):
            page = browser.get(path)
            assert page.status_code == 200, path
            found = outline(page.text)
            main = found.headings[found.headings.index(1) :]
            assert found.headings.count(1) == 1, (path, found.headings)
            assert all(b - a <= 1 for a, b in pairwise(main)), (path, found.headings)
            assert found.tables == found.captions, path
            assert not found.unscoped, (path, found.unscoped)
            assert set(found.inputs) <= found.labelled, (path, found.inputs)
            assert not found.inline, (path, found.inline)
