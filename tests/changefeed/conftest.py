"""Seed 003's world with the change events arriving in three versions, served over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from accord.api.local_server import running_server
from accord.demo.provider_world import ProviderWorld, build_provider_world, event_slices
from accord.services.app import Accord
from accord.services.changefeed import ChangePublisher, Published
from tests.provider.conftest import provider_world  # noqa: F401

EVENTS = "dwp/circumstance_events"
TABLE = "dwp_circumstance_events"


@dataclass
class Feed:
    world: ProviderWorld
    base: str
    tmp_path: Path

    @property
    def app(self) -> Accord:
        return self.world.app

    @property
    def endpoint(self) -> str:
        return f"{self.base}/delta-sharing"

    @property
    def slices(self) -> tuple[Path, ...]:
        return event_slices(self.world.synthetic, 3)

    def publish(self, number: int) -> Published:
        """DWP's data owner publishes slice ``number`` (1-based) as the next version."""
        publisher = ChangePublisher(self.app.store, self.app.catalogue)
        return publisher.publish(
            self.world.caller("dwp.data"), EVENTS, str(self.slices[number - 1])
        )

    def profile(self, principal: str = "northfield.caseworker") -> Path:
        token, document = self.app.sharing.profile(
            self.world.operator, self.world.agreement.id, principal, self.endpoint
        )
        path = self.tmp_path / f"{token.id}.share"
        path.write_text(json.dumps(document))
        return path

    def url(self, profile: Path, table: str = TABLE) -> str:
        return f"{profile}#{self.world.agreement.id}.governed.{table}"

    def table_version(self, dataset_version: int) -> int:
        return self.world.agreement.version * 1_000_000 + dataset_version


@pytest.fixture
def feed(sqlite_accord: Accord, tmp_path: Path) -> Iterator[Feed]:
    world = build_provider_world(sqlite_accord, tmp_path / "synthetic", events_slices=3)
    with running_server(world.app) as base:
        yield Feed(world, base, tmp_path)
