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


def test_two_owners_decide_and_every_outcome_has_a_decision_record(
    home: Path, tmp_path: Path
) -> None:
    """HMRC joins as a second data owner: the request stays in review until both
    owners' roles approve; show, decisions and agreement show tell the whole story."""
    from tests.governance.conftest import add_hmrc, two_owner_request

    accord = Accord.open(load_settings({"ACCORD_HOME": str(home)}))
    try:
        add_hmrc(accord, tmp_path)
    finally:
        accord.close()
    body = two_owner_request().model_dump(mode="json")
    path = tmp_path / "two.json"
    path.write_text(json.dumps(body))
    request_id = run("request", "new", str(path), "--as", "nhse.analyst", "--submit").split()[2]
    run("review", "start", request_id, "--as", "dwp.data")
    shown = run("request", "show", request_id)
    assert "hmrc/paye_income.annual_pay as flag(annual_pay > 10000)" in shown
    assert "Findings of revision 1 as submitted" in shown
    assert "legal of hmrc" in shown
    output = run(
        "review",
        "approve",
        request_id,
        "--as",
        "dwp.data",
        "--condition",
        "Match within 30 days",
        "--charge-pence",
        "12000",
        "--charge-basis",
        "cost recovery",
    )
    assert "still needed: dpo of dwp, legal of dwp, data_owner of hmrc" in output
    for who in ("dwp.dpo", "dwp.legal", "hmrc.data", "hmrc.dpo"):
        assert "is active" not in run("review", "approve", request_id, "--as", who)
    output = run("review", "approve", request_id, "--as", "hmrc.legal")
    assert "signed by dwp, hmrc" in output
    agreement_id = next(word for word in output.split() if word.startswith("agr-"))
    shown = json.loads(run("agreement", "show", agreement_id, "--json"))
    assert shown["signature_valid"] is True
    assert [s["organisation"] for s in shown["signatures"]] == ["dwp", "hmrc"]
    assert "Match within 30 days" in shown["policy"]["conditions"]
    [decision] = json.loads(run("request", "decisions", "--json"))
    assert decision["outcome"] == "share_with_conditions"
    text = run("request", "decision", decision["id"])
    assert "Charges:" in text
    assert "Signatures: valid" in text
    assert "not stated" in text  # the seed 001 considerations were not answered
    assert "no request" in run("request", "show", "req-nothere", code=4)


def test_register_and_agreement_show_name_the_agreements_sharing_a_domain(home: Path) -> None:
    from tests.governance.test_linkage_domains import (
        DOMAIN,
        REF,
        approved,
        as_,
        pseudonymised,
        second_request,
    )

    accord = Accord.open(load_settings({"ACCORD_HOME": str(home)}))
    try:
        first = approved(accord, pseudonymised("nhse", "nhse.analyst"))
        request_id = second_request(accord)
        for who in ("dwp.dpo", "dwp.legal"):
            accord.requests.override(as_(accord, who), request_id, REF, "a linked study")
        accord.requests.override(
            as_(accord, "dwp.legal"), request_id, "LEGAL_GATEWAY_RECIPIENT", "research gateway"
        )
        for who in ("dwp.data", "dwp.dpo", "dwp.legal"):
            outcome = accord.requests.approve(as_(accord, who), request_id)
        assert outcome.agreement is not None
        second = outcome.agreement.id
    finally:
        accord.close()
    register = {e["agreement"]: e for e in json.loads(run("register", "--json"))}
    for agreement in (first.id, second):
        assert register[agreement]["linkage_domains"] == [
            {
                "domain": DOMAIN,
                "owner_agreement": first.id,
                "agreements": [first.id, second],
                "recipients": ["nhse", "ifsr"],
            }
        ]
    wide = runner.invoke(app, ["register"], env={"COLUMNS": "400"})
    assert f"{DOMAIN} (owner {first.id}; shared with {second})" in wide.output
    shown = json.loads(run("agreement", "show", second, "--json"))
    assert shown["linkage_domains"][0]["owner_agreement"] == first.id
    text = runner.invoke(app, ["agreement", "show", first.id], env={"COLUMNS": "400"}).output
    assert f"{DOMAIN} (owner {first.id}; shared with {second})" in text
