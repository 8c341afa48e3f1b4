"""Each scenario's own promises: batch truth, trust keys, event order and consistency."""

from __future__ import annotations

from collections import defaultdict

import duckdb
import pyarrow.compute as pc

from accord.core.identifiers import is_valid_nino, is_valid_postcode
from accord.synth.scenarios.provider import NATIONAL_THRESHOLD

from .conftest import SCALE, read


def _paths(directory, manifest) -> dict[str, str]:
    return {f.name: (directory / f.path).as_posix() for f in manifest.files}


def test_batch_eligibility_truth_matches_the_people_in_each_batch(generated) -> None:
    directory, manifest = generated("worklessness", clean=True)
    p = _paths(directory, manifest)
    measured = duckdb.sql(
        f"""
        select b.batch_id, count(*) as n, sum(i.out_of_work_benefit::int) as eligible
        from read_parquet('{p["eligibility_batches"]}') b
        join read_parquet('{p["identity"]}') i using (nino)
        group by b.batch_id order by b.batch_id
        """
    ).fetchall()
    truth = read(directory, manifest, "batch_eligibility")
    assert [(r[0], r[1], r[2]) for r in measured] == list(
        zip(
            truth.column("batch_id").to_pylist(),
            truth.column("records").to_pylist(),
            truth.column("eligible_records").to_pylist(),
            strict=True,
        )
    )
    assert all(0.55 < x <= 1.0 for x in truth.column("eligible_proportion").to_pylist())


def test_claimants_carry_their_small_areas(generated) -> None:
    directory, manifest = generated("worklessness")
    p = _paths(directory, manifest)
    mismatched = duckdb.sql(
        f"""
        select count(*) from read_parquet('{p["benefit_claimants"]}') c
        join read_parquet('{p["postcode_directory"]}') d using (postcode)
        where c.oa_code <> d.oa_code or c.la_code <> d.la_code
        """
    ).fetchall()[0][0]
    assert mismatched == 0
    oas = read(directory, manifest, "output_areas")
    assert sum(oas.column("persons").to_pylist()) == manifest.persons
    households = oas.column("households").to_numpy()
    assert 110 < households[:-1].mean() < 140


def test_research_cohort_has_participants_and_a_comparison_group(generated) -> None:
    directory, manifest = generated("worklessness")
    truth = manifest.truth
    assert truth["participants"] == manifest.row_counts["programme_participants"]
    assert (
        manifest.row_counts["employment_outcomes"]
        == truth["participants"] + truth["comparison_group"]
    )
    # 100 people a group at this scale: too few to see an 8-point effect, so only sanity.
    assert truth["programme_effect_configured"] == 0.08
    assert 0 < truth["participants_employed_12_months"] < 1
    identity = read(directory, manifest, "identity")
    assert pc.sum(identity.column("participant")).as_py() == truth["participants"]


def test_trust_datasets_link_by_nino_to_the_truth(generated) -> None:
    directory, manifest = generated("trust", clean=True)
    identity = read(directory, manifest, "identity")
    known = set(identity.column("nino").to_pylist())
    for name in ("learners", "employment_spells", "benefit_spells"):
        ninos = read(directory, manifest, name).column("nino").to_pylist()
        assert ninos, name
        assert all(n in known and is_valid_nino(n) for n in ninos), name
    spells = read(directory, manifest, "employment_spells")
    start = spells.column("employment_start_date").to_pylist()
    end = spells.column("employment_end_date").to_pylist()
    assert all(e is None or s <= e for s, e in zip(start, end, strict=True))
    ulns = [u for u in identity.column("uln").to_pylist() if u is not None]
    assert len(set(ulns)) == len(ulns)


def test_provider_referrals_carry_annex_a_and_valid_identifiers(generated) -> None:
    directory, manifest = generated("provider", clean=True)
    referrals = read(directory, manifest, "referrals")
    for column in ("referral_id", "title", "forename", "surname", "postcode", "nino",
                   "claimant_reference_number", "disability_status", "driving_licence",
                   "jcp_adviser_name", "jcp_adviser_officer_code", "signing_day", "referral_date",
                   "barriers_to_work", "joint_claimant_nino", "welsh_spoken"):  # fmt: skip
        assert column in referrals.column_names
    assert all(is_valid_postcode(v) for v in referrals.column("postcode").to_pylist())
    assert all(is_valid_nino(v) for v in referrals.column("nino").to_pylist())
    ids = referrals.column("referral_id").to_pylist()
    assert len(set(ids)) == len(ids)
    expected = 150_000 * SCALE
    assert abs(len(ids) - expected) < 0.25 * expected


def test_circumstance_events_are_time_ordered_and_consistent(generated) -> None:
    directory, manifest = generated("provider")
    events = read(directory, manifest, "circumstance_events").to_pylist()
    referrals = read(directory, manifest, "referrals")
    programme = dict(
        zip(
            referrals.column("referral_id").to_pylist(),
            referrals.column("programme").to_pylist(),
            strict=True,
        )
    )
    referred_on = dict(
        zip(
            referrals.column("referral_id").to_pylist(),
            referrals.column("referral_date").to_pylist(),
            strict=True,
        )
    )
    assert events, "expected some events"
    dates = [e["event_date"] for e in events]
    assert dates == sorted(dates)
    by_referral: dict[str, list[dict]] = defaultdict(list)
    for e in events:
        by_referral[e["referral_id"]].append(e)
        assert e["notified_date"] >= e["event_date"]
        assert e["event_date"] >= referred_on[e["referral_id"]]
    for ref, timeline in by_referral.items():
        kinds = [e["event_type"] for e in timeline]
        for terminal in ("death", "moves_abroad"):
            if terminal in kinds:
                assert kinds[-1] == terminal or (
                    kinds.count(terminal) == 1 and kinds.index(terminal) == len(kinds) - 1
                )
        thresholds = [k for k in kinds if k.startswith("earnings_reach")]
        if thresholds:
            assert "starts_work" in kinds
            assert kinds.index("starts_work") < kinds.index(thresholds[0])
        if programme[ref] == "WHP-JETS":
            assert "earnings_reach_2000" not in kinds
            assert "earnings_reach_national_threshold" not in kinds
        amounts = [
            e["earnings_to_date"]
            for e in timeline
            if e["event_type"] == "earnings_reach_national_threshold"
        ]
        assert all(a >= NATIONAL_THRESHOLD for a in amounts)
