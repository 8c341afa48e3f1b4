"""Seed 003's world: DWP's referral agreement with Northfield, active and test-exchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.demo.provider_world import ProviderWorld, build_provider_world
from accord.services.app import Accord


@pytest.fixture
def provider_world(sqlite_accord: Accord, tmp_path: Path) -> ProviderWorld:
    return build_provider_world(sqlite_accord, tmp_path / "synthetic")
