"""Seed 003's world for the referral tests: DWP's agreement with Northfield, active."""

from tests.provider.conftest import provider_world  # noqa: F401
