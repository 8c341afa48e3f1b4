"""``accord changes publish`` calls the same service as the demo and the tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli.main import app as cli
from accord.demo.provider_world import build_provider_world, event_slices
from accord.services.app import Accord


def test_publish_queues_notices_and_reports_them(
    sqlite_accord: Accord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_provider_world(sqlite_accord, tmp_path / "synthetic", events_slices=3)
    monkeypatch.setenv("ACCORD_HOME", str(sqlite_accord.settings.home))
    monkeypatch.delenv("ACCORD_DATABASE_URL", raising=False)
    second = event_slices(world.synthetic, 3)[1]
    runner = CliRunner()
    args = ["changes", "publish", "dwp/circumstance_events", str(second), "--json"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["version"] == 2
    assert [n["organisation"] for n in answer["notices"]] == ["northfield"]
    assert answer["notices"][0]["reference"] == f"agreement:{world.agreement.id}"
    again = runner.invoke(cli, args[:-1])
    assert again.exit_code == 0, again.output
    assert "identical to version 2; nobody told" in again.output
    wrong = runner.invoke(cli, ["changes", "publish", "dwp/nope", str(second)])
    assert wrong.exit_code != 0
    assert "dwp/nope" in wrong.output
