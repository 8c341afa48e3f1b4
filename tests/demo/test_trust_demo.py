"""Seed 002 end to end, at a small scale: departments read each other's data in place."""

from __future__ import annotations

from accord.demo.trust import READS_EACH, run_trust_demo


def test_the_data_trust_scenario_runs_end_to_end() -> None:
    report = run_trust_demo(scale=0.0002, seed=7)
    assert set(report.agreements) == {"dwp", "hmrc", "dfe"}
    assert len(report.reads) == 3 * READS_EACH
    # Every read over Delta Sharing is exactly the governed view, and is not empty.
    assert all(r.rows == r.governed_rows > 0 for r in report.reads)
    # One source read many times: one governed file per view, however many reads.
    assert report.materialised_files == 3
    assert report.file_fetches >= len(report.reads)
    assert "revoked" in report.refused_after_revocation
    assert report.audit_ok
