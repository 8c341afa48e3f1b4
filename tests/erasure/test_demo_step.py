"""The provider demo's erasure step: three requests, one for each of the seed's rules."""

from __future__ import annotations

from accord.demo.provider_steps import erasure
from accord.demo.provider_world import ProviderWorld
from accord.demo.steps import Step


def test_the_demo_step_decides_one_request_by_each_rule(provider_world: ProviderWorld) -> None:
    steps: list[Step] = []
    summary = erasure.run(provider_world, steps)
    outcomes = [(r["outcome"], r["paragraph"], r["state"]) for r in summary["requests"]]
    assert outcomes == [
        ("accepted", "28", "closed"),
        ("rejected", "34", "closed"),
        ("rejected", "39", "closed"),
    ]
    letters = [r["letter"] for r in summary["requests"]]
    assert letters[0].startswith("WHP RTE Acc")
    assert all(line.startswith("WHP RTE REJ") for line in letters[1:])
    assert summary["requests"][1]["keep_until"] is not None
    assert summary["requests"][2]["keep_until"] is None
    assert summary["certificates"] == 2  # Northfield and Ridgeway
    assert all(s.name.startswith("erasure:") for s in steps)
    assert steps[-1].counts["rows_erased"] >= 2
