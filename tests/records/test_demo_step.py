"""The demo step: Northfield's records, and a retention run that deletes exactly the due."""

from __future__ import annotations

import json

from accord.demo.provider_steps import records
from accord.demo.provider_world import ProviderWorld
from accord.demo.steps import Step


def test_the_demo_step_deletes_exactly_the_due_records(provider_world: ProviderWorld) -> None:
    steps: list[Step] = []
    summary = records.run(provider_world, steps)
    json.dumps(summary)  # JSON-able
    assert summary["exactly_due"] is True
    assert summary["deleted_by_kind"] == {"esf_form": 3, "mandation_evidence": 3, "payment": 3}
    assert summary["kept"] == 9  # 3 mandation evidence (11 months) + 6 WHP-JETS ESF records
    assert len(summary["certificates"]) == 1
    assert [s.name for s in steps] == [
        "records: Northfield holds case records",
        "records: retention events recorded",
        "records: retention run",
    ]
    assert steps[-1].counts["deleted"] == 9
