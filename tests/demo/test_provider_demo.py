"""Seed 003 end to end, at a small scale, through the command as a user runs it."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from accord.cli.main import app
from accord.demo.provider import PROVIDER_STEPS


def test_accord_demo_provider_reports_every_step_as_json() -> None:
    result = CliRunner().invoke(app, ["demo", "provider", "--scale", "0.0005", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["scenario"] == "provider"
    assert report["scale"] == 0.0005
    assert report["missing"] == []
    assert set(report["summaries"]) == set(PROVIDER_STEPS)
    steps = {s["name"]: s for s in report["steps"]}
    assert all(s["seconds"] >= 0 for s in report["steps"])
    assert steps["sub-contractor approved by the department"]["counts"]["approved"] == "ridgeway"
    assert (
        steps["referral request, assessment and approvals"]["counts"]["agreement"]
        == (report["agreement"])
    )
    assert steps["test exchange"]["counts"]["test_packages"] == 2
    # Northfield's referrals, the same number by every channel, all accepted.
    referrals = report["summaries"]["referrals"]
    assert referrals["in_place"] > 0
    assert (
        referrals["in_place"]
        == referrals["delta_sharing"]
        == referrals["packaged"]
        == referrals["accepted"]
    )
    # Fewer than DWP holds: Eastgate's participants are not Northfield's.
    assert referrals["in_place"] < steps["synthetic population"]["counts"]["referrals"]
    assert report["audit_ok"]
    assert steps["audit verification"]["counts"]["ok"] is True
