"""A web service over a small world: DWP owns a dataset, a council asks for it.

``Browser`` is a TestClient that signs people in the way a browser would (the
demonstration sign-in, with its form token) and knows each page's CSRF token.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from accord.api.app import create_app
from accord.core.identity import Membership, OrgKind, PrincipalKind, Role
from accord.services.app import Accord
from accord.settings import load_settings

PEOPLE: dict[str, tuple[str, tuple[Membership, ...]]] = {
    "dwp.owner": ("Dana Owner", (Membership("dwp", Role.DATA_OWNER),)),
    "dwp.dpo": ("Dev Patel", (Membership("dwp", Role.DPO),)),
    "dwp.legal": ("Lee Gal", (Membership("dwp", Role.LEGAL),)),
    "leeds.officer": ("Lou Officer", (Membership("leeds", Role.REQUESTER),)),
    "leeds.dpo": ("Lena Dpo", (Membership("leeds", Role.DPO),)),
    "hmrc.owner": ("Hana Owner", (Membership("hmrc", Role.DATA_OWNER),)),
}

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser(TestClient):
    def csrf(self, path: str) -> str:
        found = _CSRF.search(self.get(path).text)
        assert found, f"no form on {path}"
        return found[1]

    def sign_in(self, principal: str, next_path: str = "/") -> None:
        token = self.csrf("/sign-in")
        answer = self.post(
            "/sign-in/demo",
            data={"csrf_token": token, "principal": principal, "next": next_path},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text

    def submit(self, path: str, data: dict[str, object], *, form_page: str | None = None):  # type: ignore[no-untyped-def]
        token = self.csrf(form_page or path)
        return self.post(path, data={"csrf_token": token, **data}, follow_redirects=False)


@pytest.fixture
def web_accord(tmp_path: Path) -> Iterator[Accord]:
    settings = load_settings(
        {"ACCORD_HOME": str(tmp_path / "home"), "ACCORD_WEB_DEMO_SIGN_IN": "1"}
    )
    app = Accord.init(settings, operator="test")
    op = app.operator("test")
    for org, name, kind in (
        ("dwp", "Department for Work and Pensions", OrgKind.GOVERNMENT_DEPARTMENT),
        ("hmrc", "HM Revenue and Customs", OrgKind.GOVERNMENT_DEPARTMENT),
        ("leeds", "Leeds City Council", OrgKind.LOCAL_AUTHORITY),
    ):
        app.identity.create_organisation(op, org, name, kind)
    for pid, (name, roles) in PEOPLE.items():
        app.identity.create_principal(op, pid, name, PrincipalKind.PERSON, roles)
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def browser(web_accord: Accord) -> Iterator[Browser]:
    with Browser(create_app(web_accord), base_url="http://127.0.0.1") as client:
        yield client


@pytest.fixture
def second_browser(web_accord: Accord) -> Iterator[Browser]:
    with Browser(create_app(web_accord), base_url="http://127.0.0.1") as client:
        yield client
