"""An API over a fresh Accord with one platform administrator's token."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from accord.api.app import create_app
from accord.core.identity import Membership, PrincipalKind, Role
from accord.services.app import Accord


@dataclass
class Api:
    accord: Accord
    client: TestClient
    headers: dict[str, str]


@pytest.fixture
def api(sqlite_accord: Accord) -> Iterator[Api]:
    accord = sqlite_accord
    op = accord.operator("test")
    accord.identity.create_principal(
        op, "admin", "Admin", PrincipalKind.PERSON, (Membership(accord.platform_org, Role.ADMIN),)
    )
    secret = accord.identity.issue_token(op, "admin", ttl_days=1)[1]
    with TestClient(create_app(accord), raise_server_exceptions=False) as client:
        yield Api(accord, client, {"Authorization": f"Bearer {secret}"})
