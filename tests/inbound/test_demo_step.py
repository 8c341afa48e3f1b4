"""The provider demo's inbound step runs on the world and reports what it did."""

from __future__ import annotations

import json

from accord.demo.provider_steps.inbound import run
from accord.demo.provider_world import ProviderWorld
from accord.demo.steps import Step


def test_the_inbound_step_sends_refuses_and_reads(provider_world: ProviderWorld) -> None:
    steps: list[Step] = []
    summary = run(provider_world, steps)
    assert [s.name for s in steps] == [
        "provider sends notifications and exit reports",
        "department reads and actions its inbox",
    ]
    assert steps[0].counts["sent"] == 4
    assert steps[0].counts["refused"] == 1
    assert steps[0].counts["templates"] == [
        "Change of circumstances (WHP07)",
        "Employment Business Customer Form",
        "WHP Core exit report",
        "WHPEREJ1 (JETS)",
    ]
    assert summary["inbox"] == 4
    assert summary["actioned"] == 4
    assert summary["refused"].startswith("next_steps: 3 words")
    json.dumps(summary)
