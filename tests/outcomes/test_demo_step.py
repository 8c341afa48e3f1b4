"""The demo's outcome-validation and recall step runs on the provider world."""

from __future__ import annotations

import json

from accord.demo.provider_steps.outcomes import PER_PROGRAMME, run
from accord.demo.provider_world import ProviderWorld
from accord.demo.steps import Step


def test_the_step_confirms_outcomes_and_recalls_a_package(
    provider_world: ProviderWorld,
) -> None:
    steps: list[Step] = []
    summary = run(provider_world, steps)
    json.dumps(summary)
    assert [s.name for s in steps] == [
        "DWP confirms outcomes to Northfield",
        "A package sent in error is recalled and its deletion certified",
    ]
    outcomes = summary["outcomes"]
    assert outcomes["asked"] == 2 * PER_PROGRAMME + 1
    assert outcomes["found"] == 2 * PER_PROGRAMME
    assert outcomes["jets_not_applicable"] == 2 * PER_PROGRAMME
    recall = summary["recall"]
    assert recall["state"] == "confirmed"
    assert recall["notices"] == 1
    assert recall["copy_deleted"] == 1
    assert recall["certificates"] == 1
    assert recall["rows_recalled"] > 0
