"""On the command line too, another organisation's object answers as a missing one.

Same message, same exit code (4, not found), and each refusal leaves a ``deny`` event:
written by the service that refused, or by the CLI's error handler when none did.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli.main import app
from accord.services.app import Accord
from accord.settings import load_settings
from accord.store import AuditFilter
from tests.governance.conftest import build_world
from tests.plane.conftest import agreement_request, approve

runner = CliRunner()
MISSING = "zz-missing"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    home = tmp_path / "home"
    monkeypatch.setenv("ACCORD_HOME", str(home))
    monkeypatch.delenv("ACCORD_DATABASE_URL", raising=False)
    accord = build_world(
        Accord.init(load_settings({"ACCORD_HOME": str(home)}), operator="test"), tmp_path
    )
    agreement = approve(accord, agreement_request())
    draft = accord.requests.create(accord.acting_as("nhse.analyst", "test"), agreement_request()).id
    accord.close()
    return {"home": str(home), "agreement": agreement.id, "request": draft}


def _denials(home: str) -> int:
    accord = Accord.open(load_settings({"ACCORD_HOME": home}))
    try:
        return len(accord.store.audit_events(AuditFilter(decision="deny", limit=100_000)))
    finally:
        accord.close()


@pytest.mark.parametrize(
    ("command", "name"),
    [
        (["request", "withdraw", "{}", "--as", "ifsr.researcher"], "request"),
        (["request", "submit", "{}", "--as", "ifsr.researcher"], "request"),
        (["review", "start", "{}", "--as", "ifsr.researcher"], "request"),
        (["agreement", "suspend", "{}", "--reason", "x", "--as", "ifsr.researcher"], "agreement"),
        (["extract", "{}", "dwp/carers_allowance", "--as", "ifsr.researcher"], "agreement"),
        (["query", "{}", "select 1", "--as", "ifsr.researcher"], "agreement"),
    ],
)
def test_another_organisations_object_prints_as_a_missing_one(
    world: dict[str, str], tmp_path: Path, command: list[str], name: str
) -> None:
    ident = world[name]
    outputs = []
    for target in (ident, MISSING):
        before = _denials(world["home"])
        args = [part.replace("{}", target) for part in command]
        if args[0] == "extract":
            args += ["--out", str(tmp_path / "out")]
        result = runner.invoke(app, args)
        assert _denials(world["home"]) == before + 1, "the refusal is on the record"
        outputs.append((result.exit_code, result.output.replace(target, "<id>")))
    assert outputs[0] == outputs[1]
    assert outputs[0][0] == 4
