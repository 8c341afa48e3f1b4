"""The referral agreement carries Annex A for Northfield's participants only."""

from __future__ import annotations

from accord.core.governance.workflow import AgreementState
from accord.demo.provider_world import ProviderWorld


def test_the_referral_agreement_is_active_for_northfields_participants(
    provider_world: ProviderWorld,
) -> None:
    agreement = provider_world.agreement
    assert agreement.state is AgreementState.ACTIVE
    assert agreement.policy.recipient == "northfield"
    assert agreement.policy.processors == ("ridgeway",)
    referrals = agreement.policy.dataset("dwp/referrals")
    assert referrals.cohort == "provider = 'northfield'"
    assert "nino" in {f.name for f in referrals.fields}
    events = agreement.policy.dataset("dwp/circumstance_events")
    assert "earnings_to_date" not in {f.name for f in events.fields}


def test_an_in_place_query_sees_only_northfields_referrals(provider_world: ProviderWorld) -> None:
    app = provider_world.app
    result = app.plane.query(
        provider_world.caller("northfield.caseworker"),
        provider_world.agreement.id,
        "select count(*) as n from dwp_referrals",
    )
    seen = int(result.table.column("n")[0].as_py())
    import duckdb

    with duckdb.connect() as con:
        row = con.execute(
            "select count(*) filter (where provider = 'northfield'), count(*) from read_parquet(?)",
            [provider_world.dataset_location("referrals")],
        ).fetchone()
    assert row is not None
    mine, everyone = row
    assert 0 < seen == mine < everyone
