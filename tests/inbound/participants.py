"""Participants of seed 003's world picked from DWP's own referrals file, for tests."""

from __future__ import annotations

from typing import Any

import duckdb

from accord.demo.provider_world import ProviderWorld


def participant(world: ProviderWorld, where: str) -> dict[str, Any]:
    """The first referral (by id) matching ``where``, read from DWP's file directly."""
    with duckdb.connect() as con:
        cursor = con.execute(
            "select referral_id, nino, surname, forename, programme, voluntary_or_mandatory "
            f"from read_parquet(?) where {where} order by referral_id limit 1",
            [world.dataset_location("referrals")],
        )
        names = [d[0] for d in cursor.description]
        row = cursor.fetchone()
    assert row is not None, where
    return dict(zip(names, row, strict=True))


NORTHFIELD_VOLUNTARY_WHP = (
    "provider = 'northfield' and programme = 'WHP' and voluntary_or_mandatory = 'Voluntary'"
)
NORTHFIELD_JETS = "provider = 'northfield' and programme = 'WHP-JETS'"
EASTGATE = "provider = 'eastgate'"
