"""``accord audit show --about ORG --as PRINCIPAL``: the owner's auditor, on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli.main import app
from accord.core.identity import Membership, PrincipalKind, Role
from accord.services.app import Accord
from accord.settings import load_settings
from tests.governance.conftest import build_world
from tests.plane.conftest import agreement_request

runner = CliRunner()


@pytest.fixture
def agreement(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Northshire's agreement over DWP's carers, and DWP's auditor."""
    home = tmp_path / "home"
    monkeypatch.setenv("ACCORD_HOME", str(home))
    monkeypatch.delenv("ACCORD_DATABASE_URL", raising=False)
    accord = build_world(
        Accord.init(load_settings({"ACCORD_HOME": str(home)}), operator="test"), tmp_path
    )
    op = accord.operator("test")
    for pid, roles in (
        ("northshire.analyst", (Membership("northshire", Role.REQUESTER),
                                Membership("northshire", Role.ANALYST))),
        ("dwp.auditor", (Membership("dwp", Role.AUDITOR),)),
    ):  # fmt: skip
        accord.identity.create_principal(op, pid, pid, PrincipalKind.PERSON, roles)
    council = accord.acting_as("northshire.analyst", "test")
    request = agreement_request(
        requesting_organisation="northshire", requester="northshire.analyst"
    )
    created = accord.requests.create(council, request)
    accord.requests.submit(council, created.id)
    accord.requests.start_review(accord.acting_as("dwp.data", "test"), created.id)
    outcome = None
    for who in ("dwp.data", "dwp.dpo", "dwp.legal"):
        outcome = accord.requests.approve(accord.acting_as(who, "test"), created.id)
    assert outcome is not None
    assert outcome.agreement is not None
    accord.close()
    return outcome.agreement.id


def test_dwp_auditor_lists_the_councils_extracts_of_dwp_data(
    agreement: str, tmp_path: Path
) -> None:
    extract = runner.invoke(
        app,
        ["extract", agreement, "dwp/carers_allowance", "--as", "northshire.analyst",
         "--out", str(tmp_path / "out")],
    )  # fmt: skip
    assert extract.exit_code == 0, extract.output
    shown = runner.invoke(
        app,
        ["audit", "list", "--about", "dwp", "--action", "extract.release", "--as",
         "dwp.auditor", "--json"],
    )  # fmt: skip
    assert shown.exit_code == 0, shown.output
    [event] = json.loads(shown.output)
    assert event["organisation"] == "northshire"
    assert event["owners"] == ["dwp"]
    assert event["actor"] == "principal:northshire.analyst"


def test_another_organisations_auditor_is_refused(agreement: str) -> None:
    refused = runner.invoke(app, ["audit", "show", "--about", "northshire", "--as", "dwp.auditor"])
    assert refused.exit_code == 3
    assert "only an auditor or dpo of 'northshire'" in refused.output
