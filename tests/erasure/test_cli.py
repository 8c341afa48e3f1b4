"""``accord erasure``, run as the provider's and the department's DPOs would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli.main import app
from accord.demo.provider_world import ProviderWorld

runner = CliRunner()


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_a_request_from_receipt_to_rejection(
    provider_world: ProviderWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORD_HOME", str(provider_world.app.home))
    monkeypatch.delenv("ACCORD_DATABASE_URL", raising=False)
    agreement = provider_world.agreement.id
    holding = tmp_path / "holding.txt"
    out = run(
        "erasure",
        "receive",
        agreement,
        "--nino",
        "JG 10 37 59 A",
        "--name",
        "Ann Other",
        "--address",
        "2 Mill Lane",
        "--as",
        "northfield.dpo",
        "--out",
        str(holding),
    )
    request_id = out.split()[0].removeprefix("erasure:")
    assert "within one month" in holding.read_text()
    assert "Ann Other" in holding.read_text()
    run("erasure", "refer", request_id, "--as", "northfield.dpo")
    run("erasure", "reference", request_id, "DPO-2026-0099", "--as", "northfield.dpo", code=3)
    run("erasure", "reference", request_id, "DPO-2026-0099", "--as", "dwp.dpo")
    shown = json.loads(
        run(
            "erasure",
            "decide",
            request_id,
            "--programme",
            "WHP",
            "--referral",
            "mandated",
            "--not-started",
            "--mandated-to-interview",
            "--did-not-attend",
            "--decision-notified-on",
            "2026-01-31",
            "--as",
            "northfield.dpo",
            "--json",
        )
    )
    assert shown["decision"]["paragraph"] == "34"
    assert shown["decision"]["keep_until"] == "2027-02-28"
    assert "Ann Other" not in json.dumps(shown)
    letter = tmp_path / "letter.txt"
    run("erasure", "letter", request_id, "--as", "northfield.dpo", "--out", str(letter))
    text = letter.read_text()
    assert "WHP RTE REJ" in text
    assert "DPO-2026-0099" in text
    assert "28 February 2027" in text
    listed = json.loads(run("erasure", "status", "--org", "dwp", "--as", "dwp.dpo", "--json"))
    assert [(v["id"], v["state"], v["deadline"]) for v in listed] == [(request_id, "closed", "met")]
    run("erasure", "status", request_id, "--as", "eastgate.caseworker", code=4)
    run(
        "erasure",
        "decide",
        request_id,
        "--programme",
        "WHP",
        "--referral",
        "voluntary",
        "--not-started",
        "--decision-notified-on",
        "2026-13-01",
        "--as",
        "northfield.dpo",
        code=1,
    )
    assert "1 reminder" not in run("erasure", "remind")
