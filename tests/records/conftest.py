"""Seed 003's world (DWP -> Northfield), for the records a provider holds."""

from tests.provider.conftest import provider_world  # noqa: F401
