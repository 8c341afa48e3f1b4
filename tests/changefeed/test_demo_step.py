"""The change feed step of ``accord demo provider``, on the world it is given."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accord.demo.provider_steps import changefeed
from accord.demo.provider_world import build_provider_world
from accord.demo.steps import Step
from accord.services.app import Accord


@pytest.mark.parametrize("slices", [3, 1])
def test_the_step_publishes_and_reads_new_changes(
    sqlite_accord: Accord, tmp_path: Path, slices: int
) -> None:
    world = build_provider_world(sqlite_accord, tmp_path / "synthetic", events_slices=slices)
    steps: list[Step] = []
    summary = changefeed.run(world, steps)
    assert [s.name for s in steps] == [
        "DWP publishes new changes of circumstances",
        "Northfield reads the change feed between two versions",
    ]
    published, read = steps
    assert published.counts["versions"] == (2 if slices == 3 else 3)
    assert published.counts["notices"] == published.counts["versions"]
    # Between the last two versions DWP only added events: inserts only, some of them.
    assert summary["changes"].keys() == {"insert"}
    assert read.counts["rows"] == read.counts["rows_insert"] > 0
    assert "earnings_to_date" not in summary["columns"]
    assert "provider" not in summary["columns"]
    json.dumps(summary)
