"""``accord reviews``, run as an operator and an admin would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli.main import app
from accord.demo.provider_world import build_provider_world
from accord.services.app import Accord

runner = CliRunner()


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_list_recertify_and_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ACCORD_DATABASE_URL", raising=False)
    monkeypatch.delenv("ACCORD_MASTER_KEY", raising=False)
    run("init")
    accord = Accord.open()
    try:
        agreement = build_provider_world(accord, tmp_path / "synthetic", exchange=False).agreement
    finally:
        accord.close()
    listed = json.loads(run("reviews", "list", "--as", "dwp.dpo", "--json"))
    assert [(v["organisation"], v["status"]) for v in listed] == [
        ("northfield", "current"),
        ("ridgeway", "current"),
    ]
    refused = run(
        "reviews", "recertify", agreement.id, "--org", "northfield", "--as",
        "northfield.caseworker", "--keep", "northfield.caseworker", code=3,
    )  # fmt: skip
    assert "only an admin of 'northfield' may recertify" in refused
    incomplete = run(
        "reviews", "recertify", agreement.id, "--org", "northfield", "--as", "northfield.admin",
        "--keep", "northfield.caseworker", code=1,
    )  # fmt: skip
    assert "keep or remove northfield.adviser" in incomplete
    answer = run(
        "reviews", "recertify", agreement.id, "--org", "northfield", "--as",
        "northfield.admin", "--keep", "northfield.caseworker", "--remove",
        "northfield.adviser", "--json",
    )  # fmt: skip
    done = json.loads(answer)
    assert done["removed"] == ["northfield.adviser"]
    checked = json.loads(run("reviews", "check", "--json"))
    assert checked == {"reviewed": 2, "lapsed": [], "reminded": [], "still_lapsed": 0}
