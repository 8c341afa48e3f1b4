"""The carers request from file to active agreement, on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli.main import app
from accord.services.app import Accord
from accord.settings import load_settings
from tests.governance.conftest import EXAMPLES, build_world

runner = CliRunner()


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("ACCORD_HOME", str(home))
    monkeypatch.delenv("ACCORD_DATABASE_URL", raising=False)
    build_world(Accord.init(load_settings({"ACCORD_HOME": str(home)}), operator="test"), tmp_path)
    return home


def test_request_to_agreement(home: Path, tmp_path: Path) -> None:
    assessed = json.loads(
        run("request", "assess", "--file", str(EXAMPLES / "carers-vaccination.yaml"), "--json")
    )
    assert assessed["tier"] == 5
    assert assessed["approver_roles"] == ["data_owner", "dpo", "legal"]
    output = run(
        "request",
        "new",
        str(EXAMPLES / "carers-vaccination.yaml"),
        "--as",
        "nhse.analyst",
        "--submit",
    )
    request_id = output.split()[2]
    assert "Tier 5" in output
    run("review", "start", request_id, "--as", "dwp.data")
    assert "separation of duties" in run("review", "approve", request_id, "--as", "insider", code=3)
    run("review", "approve", request_id, "--as", "dwp.data")
    run("review", "approve", request_id, "--as", "dwp.dpo")
    output = run("review", "approve", request_id, "--as", "dwp.legal")
    assert "is active" in output
    agreement_id = next(word for word in output.split() if word.startswith("agr-"))
    shown = json.loads(run("agreement", "show", agreement_id, "--json"))
    assert shown["signature_valid"] is True
    assert shown["policy"]["tier"] == 5
    odrl = tmp_path / "agreement.jsonld"
    run("agreement", "export", agreement_id, "--odrl", "--out", str(odrl))
    assert json.loads(odrl.read_text())["type"] == "odrl:Agreement"
    register = json.loads(run("register", "--json"))
    assert register[0]["agreement"] == agreement_id
    metrics = json.loads(run("governance", "metrics", "--json"))
    assert metrics["decided"] == 1
    gateways = json.loads(run("governance", "gateways", "--json"))
    assert (
        "emergency_response" in next(g for g in gateways if g["id"] == "copi-2002-reg3")["purposes"]
    )


def test_a_malformed_request_names_the_field(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (EXAMPLES / "carers-vaccination.yaml")
        .read_text()
        .replace("form: identifiable", "form: everything")
    )
    output = run("request", "new", str(bad), "--as", "nhse.analyst", code=1)
    assert "form" in output
