"""Seed 003's world, for erasure: the referral agreement, active and test-exchanged."""

from __future__ import annotations

from tests.provider.conftest import provider_world  # noqa: F401
