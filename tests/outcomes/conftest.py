"""Seed 003's world for outcome validation and recall (the provider tests' fixture)."""

from tests.provider.conftest import provider_world  # noqa: F401
