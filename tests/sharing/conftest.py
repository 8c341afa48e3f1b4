"""An active agreement with the Delta Sharing channel, served over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from accord.api.local_server import running_server
from accord.core.governance.records import AgreementRecord
from accord.services.app import Accord
from tests.governance.conftest import build_world
from tests.plane.conftest import agreement_request, approve


@dataclass
class Served:
    accord: Accord
    agreement: AgreementRecord
    base: str
    tmp_path: Path

    @property
    def endpoint(self) -> str:
        return f"{self.base}/delta-sharing"

    def profile(self, principal: str = "nhse.analyst", agreement: str = "") -> Path:
        """A profile file for a new share token, as `accord share profile` writes it."""
        token, document = self.accord.sharing.profile(
            self.accord.operator("test"), agreement or self.agreement.id, principal, self.endpoint
        )
        path = self.tmp_path / f"{token.id}.share"
        path.write_text(json.dumps(document))
        return path

    def url(self, profile: Path, table: str = "dwp_carers_allowance") -> str:
        return f"{profile}#{self.agreement.id}.governed.{table}"


@pytest.fixture
def served(sqlite_accord: Accord, tmp_path: Path) -> Iterator[Served]:
    world = build_world(sqlite_accord, tmp_path)
    agreement = approve(world, agreement_request(channels=["delta_sharing"]))
    with running_server(world) as base:
        yield Served(world, agreement, base, tmp_path)
