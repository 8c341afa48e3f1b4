"""The provider's page "Check a participant's outcomes"."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from accord.api.app import create_app
from accord.demo.provider_world import ProviderWorld, build_provider_world
from accord.services.app import Accord
from accord.settings import load_settings
from tests.web.conftest import Browser


@pytest.fixture
def web_world(tmp_path: Path) -> Iterator[ProviderWorld]:
    settings = load_settings(
        {"ACCORD_HOME": str(tmp_path / "home"), "ACCORD_WEB_DEMO_SIGN_IN": "1"}
    )
    app = Accord.init(settings, operator="test")
    try:
        yield build_provider_world(app, tmp_path / "synthetic")
    finally:
        app.close()


def test_provider_staff_check_outcomes_on_the_page(web_world: ProviderWorld) -> None:
    world = web_world
    path = f"/our-agreements/{world.agreement.id}/outcomes"
    view = "dwp_referrals"
    result = world.app.plane.query(
        world.caller("northfield.adviser"), world.agreement.id,
        f"select referral_id from {view} where programme = 'WHP-JETS' limit 1",
    )  # fmt: skip
    [jets] = result.table.column("referral_id").to_pylist()
    with Browser(create_app(world.app), base_url="http://127.0.0.1") as browser:
        browser.sign_in("northfield.caseworker")
        form = browser.get(path)
        assert form.status_code == 200
        assert "Check a participant&#39;s outcomes" in form.text
        answer = browser.submit(path, {"participants": f"{jets}\nAB 12 34 56 C"})
        assert answer.status_code == 200, answer.text
        assert jets in answer.text
        assert "WHP-JETS" in answer.text
        assert "not applicable to JETS" in answer.text
        assert "no such participant under this agreement" in answer.text
        bad = browser.submit(path, {"participants": "not a number"})
        assert bad.status_code == 422
        assert "There is a problem" in bad.text
        assert "participant 1" in bad.text
    with Browser(create_app(world.app), base_url="http://127.0.0.1") as other:
        other.sign_in("eastgate.caseworker")
        assert other.get(path).status_code == 404
