"""The demo step runs on the provider world and reports each count."""

from __future__ import annotations

from accord.demo.provider_steps.reviews import run
from accord.demo.provider_world import ProviderWorld
from accord.demo.steps import Step


def test_the_demo_step_lapses_refuses_and_restores(provider_world: ProviderWorld) -> None:
    steps: list[Step] = []
    summary = run(provider_world, steps)
    counts = {s.name: s.counts for s in steps}
    assert counts["access review: Northfield's admin recertifies"]["principals_kept"] == 2
    assert counts["access review: 31 days pass, the review lapses"]["lapsed"] == 2
    assert counts["access review: the caseworker's next read is refused"] == {"refused": 1}
    assert counts["access review: recertified, access restored"]["restored"] == 2
    assert "lapsed on" in summary["refusal"]
    assert summary["rows_after_restore"] > 0
