"""``accord subcontractor``, run as a user would, over seed 003's world."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli.main import app
from accord.demo.provider_world import DUE_DILIGENCE, build_provider_world
from accord.services.app import Accord
from accord.settings import load_settings

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("ACCORD_HOME", str(home))
    monkeypatch.delenv("ACCORD_DATABASE_URL", raising=False)
    monkeypatch.delenv("ACCORD_MASTER_KEY", raising=False)
    accord = Accord.init(load_settings(), operator="test")
    build_provider_world(accord, tmp_path / "synthetic", scale=0.0005, exchange=False)
    accord.close()
    return home


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_approve_list_and_withdraw(home: Path) -> None:
    until = str(date.today() + timedelta(days=100))
    approve = ("subcontractor", "approve", "ridgeway", "--as", "dwp.dpo", "--owner", "dwp",
               "--prime", "eastgate", "--to", until, "--due-diligence", DUE_DILIGENCE)  # fmt: skip
    refused = run(*approve, "--no-offshore", "no", code=1)
    assert "no_offshore: a sub-contractor with offshore elements" in refused
    assert "--no-offshore: answer yes or no" in run(*approve, "--no-offshore", "maybe", code=1)
    assert "--to: give a date" in run(*approve[:-4], "--to", "soon", "--due-diligence", "x",
                                      "--no-offshore", "yes", code=1)  # fmt: skip
    made = json.loads(run(*approve, "--no-offshore", "yes", "--json"))
    assert (made["prime"], made["state"]) == ("eastgate", "in force")
    listed = json.loads(
        run("subcontractor", "list", "--as", "dwp.admin", "--owner", "dwp", "--json")
    )
    assert {a["prime"] for a in listed} == {"northfield", "eastgate"}
    # Northfield's admin may not see or change DWP's list.
    assert "only a data owner, DPO or admin of 'dwp'" in run(
        "subcontractor", "list", "--as", "northfield.admin", "--owner", "dwp", code=3
    )
    assert "no sub-contractor approval" in run(
        "subcontractor", "withdraw", made["id"], "--as", "northfield.admin", "--owner", "dwp",
        "--reason", "not ours", code=4,
    )  # fmt: skip
    withdrawn = run(
        "subcontractor", "withdraw", made["id"], "--as", "dwp.admin", "--owner", "dwp",
        "--reason", "Contract ended",
    )  # fmt: skip
    assert f"Withdrew {made['id']}" in withdrawn
    states = json.loads(
        run("subcontractor", "list", "--as", "dwp.admin", "--owner", "dwp", "--json")
    )
    assert {a["id"]: a["state"] for a in states}[made["id"]] == "withdrawn"
