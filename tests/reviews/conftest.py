"""Seed 003's world, whose agreement asks for access reviews every 30 days."""

from __future__ import annotations

from tests.provider.conftest import provider_world  # noqa: F401
