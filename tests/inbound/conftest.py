"""Seed 003's world, for the inbound channel's tests."""

from __future__ import annotations

from tests.provider.conftest import provider_world  # noqa: F401
