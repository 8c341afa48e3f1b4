"""The erasure pages: the provider's list with deadline tags and a request's page; the
department's DPO assigns the reference there; anyone else finds no such page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from accord.api.app import create_app
from accord.core.lifecycle.erasure import ParticipationFacts, Programme, ReferralKind
from accord.demo.provider_world import ProviderWorld, build_provider_world
from accord.services.app import Accord
from accord.services.erasure import ErasureService
from accord.settings import load_settings
from tests.conftest import FAST_BATCH_ANSWERS
from tests.web.conftest import Browser


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ProviderWorld]:
    settings = load_settings(
        {
            "ACCORD_HOME": str(tmp_path / "home"),
            "ACCORD_WEB_DEMO_SIGN_IN": "1",
            **FAST_BATCH_ANSWERS,
        }
    )
    app = Accord.init(settings, operator="test")
    try:
        yield build_provider_world(app, tmp_path / "synthetic", exchange=False)
    finally:
        app.close()


@pytest.fixture
def browser(world: ProviderWorld) -> Iterator[Browser]:
    with Browser(create_app(world.app), base_url="http://127.0.0.1") as client:
        yield client


def test_the_provider_sees_deadlines_and_the_department_assigns_the_reference(
    world: ProviderWorld, browser: Browser
) -> None:
    service = ErasureService.of(world.app)
    dpo = world.caller("northfield.dpo")
    today = world.app.store.clock().date()
    service.receive(
        dpo,
        world.agreement.id,
        nino="JG103759A",
        name="Ann Other",
        received_on=today - timedelta(days=40),
    )
    soon, _ = service.receive(
        dpo,
        world.agreement.id,
        nino="AB123456C",
        name="Bea Other",
        received_on=today - timedelta(days=27),
    )
    service.refer(dpo, soon.id)

    browser.sign_in("northfield.dpo")
    listing = browser.get("/erasure")
    assert listing.status_code == 200
    assert "Overdue by" in listing.text
    assert f"Due in {(soon.due_on - today).days} days" in listing.text
    assert "Ann Other" not in listing.text
    assert "JG103759A" not in listing.text
    assert 'href="/erasure"' in listing.text  # in the navigation

    browser.cookies.clear()
    browser.sign_in("dwp.dpo")
    page = browser.get(f"/erasure/{soon.id}")
    assert "Assign the reference number" in page.text
    blank = browser.submit(
        f"/erasure/{soon.id}/reference", {"reference": " "}, form_page=f"/erasure/{soon.id}"
    )
    assert blank.status_code == 422
    assert "Enter the reference number" in blank.text
    done = browser.submit(
        f"/erasure/{soon.id}/reference",
        {"reference": "DPO-2026-0007"},
        form_page=f"/erasure/{soon.id}",
    )
    assert done.status_code == 303

    service.decide(dpo, soon.id, ParticipationFacts(Programme.JETS, ReferralKind.VOLUNTARY, False))
    browser.cookies.clear()
    browser.sign_in("northfield.dpo")
    shown = browser.get(f"/erasure/{soon.id}")
    assert "DPO-2026-0007" in shown.text
    assert "Accepted" in shown.text
    assert "Guidance paragraph" in shown.text
    assert "Holding response" in shown.text
    assert "Bea Other" not in shown.text

    browser.cookies.clear()
    browser.sign_in("eastgate.caseworker")
    assert browser.get(f"/erasure/{soon.id}").status_code == 404
    assert browser.get("/erasure/er-000000000000").status_code == 404
