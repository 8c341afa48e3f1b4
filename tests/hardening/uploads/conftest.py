"""An Accord with a data owner and a caller from another organisation, and its server.

``make_world(**settings)`` builds one with the limits a test needs; the ``world``
fixture is the default. The API runs in a real uvicorn server on loopback, so bodies
travel as a remote client's do (chunked or with a length) through a real socket.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from accord.api.local_server import running_server
from accord.core.audit import Decision
from accord.core.identity import Membership, OrgKind, PrincipalKind, Role
from accord.services.app import Accord
from accord.settings import load_settings
from accord.store import AuditFilter
from tests.conftest import FAST_BATCH_ANSWERS


@dataclass
class World:
    accord: Accord
    url: str
    tokens: dict[str, str]

    def client(self, who: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {self.tokens[who]}"},
            timeout=60,
        )

    @property
    def uploads(self) -> Path:
        return self.accord.home / "uploads"

    def stored_uploads(self) -> list[str]:
        """Every file in uploads/ (hidden ones included): what a refusal must leave empty."""
        return sorted(os.listdir(self.uploads)) if self.uploads.exists() else []

    def denials(self, who: str) -> list[str]:
        """The deny events of a principal (action: reason), newest first."""
        events = self.accord.store.audit_events(
            AuditFilter(actor=f"principal:{who}", decision=Decision.DENY.value, limit=20)
        )
        return [f"{event.action}: {event.reason}" for event in events]


WorldFactory = Callable[..., World]


@pytest.fixture
def make_world(tmp_path: Path) -> Iterator[WorldFactory]:
    with ExitStack() as stack:

        def make(**settings: str) -> World:
            home = tmp_path / f"home{len(stack._exit_callbacks)}"
            accord = Accord.init(
                load_settings({"ACCORD_HOME": str(home), **FAST_BATCH_ANSWERS, **settings}),
                operator="test",
            )
            stack.callback(accord.close)
            op = accord.operator("test")
            identity = accord.identity
            identity.create_organisation(op, "dwp", "DWP", OrgKind.GOVERNMENT_DEPARTMENT)
            identity.create_organisation(op, "nhse", "NHS England", OrgKind.HEALTH_BODY)
            people = {
                "alice": (Membership("dwp", Role.DATA_OWNER),),
                "bob": (Membership("nhse", Role.DATA_OWNER),),
            }
            for pid, roles in people.items():
                identity.create_principal(op, pid, pid.title(), PrincipalKind.PERSON, roles)
            tokens = {pid: identity.issue_token(op, pid, ttl_days=1)[1] for pid in people}
            url = stack.enter_context(running_server(accord))
            return World(accord, url, tokens)

        yield make


@pytest.fixture
def world(make_world: WorldFactory) -> World:
    return make_world()
