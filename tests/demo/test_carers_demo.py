"""Seed 000 end to end, at a small scale."""

from __future__ import annotations

from accord.demo.carers import run_carers_demo


def test_the_carers_scenario_runs_end_to_end() -> None:
    report = run_carers_demo(scale=0.001, seed=7)
    assert report.tier == 5
    assert report.agreement.startswith("agr-")
    names = [step.name for step in report.steps]
    assert names.index("delivery: carers_allowance") < names.index(
        "delivery: other_caring_benefits"
    )
    # Bulk data only after a receipted test exchange of each dataset; every package receipted.
    assert names.index("test exchange") < names.index("delivery: carers_allowance")
    assert len(report.test_exchanges) == 2
    assert len(report.deliveries) == 2
    assert report.receipts == 4
    assert report.linkage["precision"] >= 0.99
    assert report.linkage["recall"] >= 0.95
    # Carers not yet offered a vaccine, found through linkage, against the ground truth.
    assert abs(report.not_offered - report.not_offered_truth) <= 0.05 * report.not_offered_truth
    assert report.audit_ok
