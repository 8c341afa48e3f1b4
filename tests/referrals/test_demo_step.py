"""The demo's referral step, on the world the other provider steps share."""

from __future__ import annotations

import duckdb

from accord.demo.provider_steps.referrals import run
from accord.demo.provider_world import ProviderWorld
from accord.demo.steps import Step


def test_the_referral_step_reads_sends_and_accepts_northfields_referrals(
    provider_world: ProviderWorld,
) -> None:
    steps: list[Step] = []
    summary = run(provider_world, steps)
    with duckdb.connect() as con:
        row = con.execute(
            "select count(*) from read_parquet(?) where provider = 'northfield'",
            [provider_world.dataset_location("referrals")],
        ).fetchone()
    assert row is not None
    assert summary == {
        "in_place": row[0],
        "delta_sharing": row[0],
        "packaged": row[0],
        "accepted": row[0],
    }
    assert [s.name for s in steps] == [
        "referrals in place (query and Delta Sharing)",
        "referrals by package",
        "referrals accepted (signed receipt)",
    ]
    assert steps[-1].counts["accepted"] == row[0]
