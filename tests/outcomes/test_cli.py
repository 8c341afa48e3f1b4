"""``accord outcomes`` and ``accord recall`` on the command line, over a provider world,
and the recall repository's audit contract."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli.main import app
from accord.demo.provider_world import build_provider_world
from accord.services.app import Accord
from accord.settings import load_settings
from accord.store.outcomes_store import RECALL_READ_METHODS, RecallStore

runner = CliRunner()


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_every_mutating_recall_store_method_takes_a_required_audit_event() -> None:
    public = [
        n for n, m in vars(RecallStore).items() if inspect.isfunction(m) and not n.startswith("_")
    ]
    mutating = [n for n in public if n not in RECALL_READ_METHODS]
    assert sorted(mutating) == ["confirm_recall", "open_recall", "purge_recalls"]
    for name in mutating:
        parameters = inspect.signature(getattr(RecallStore, name)).parameters
        assert parameters["audit"].default is inspect.Parameter.empty, name
    assert set(public) >= RECALL_READ_METHODS


def test_outcomes_and_recall_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("ACCORD_HOME", str(home))
    monkeypatch.delenv("ACCORD_DATABASE_URL", raising=False)
    monkeypatch.delenv("ACCORD_MASTER_KEY", raising=False)
    accord = Accord.init(load_settings(), operator="test")
    try:
        world = build_provider_world(accord, tmp_path / "synthetic")
        referral = accord.plane.query(
            world.caller("northfield.adviser"), world.agreement.id,
            "select referral_id from dwp_referrals order by 1 limit 1",
        ).table.column("referral_id").to_pylist()[0]  # fmt: skip
        sent = accord.transfer.send(world.caller("dwp.data"), world.agreement.id, "northfield",
                                    tmp_path / "out", dataset_id="dwp/referrals")  # fmt: skip
        accord.transfer.receive(world.caller("northfield.caseworker"), sent.path, tmp_path / "in")
    finally:
        accord.close()
    agreement = world.agreement.id

    answers = json.loads(run("outcomes", "check", agreement, "--as", "northfield.caseworker",
                             "--referral", referral, "--nino", "ab 12 34 56 c"))  # fmt: skip
    assert [a["found"] for a in answers] == [True, False]
    assert "--referral or --nino" in run(
        "outcomes", "check", agreement, "--as", "northfield.caseworker", code=1
    )
    assert "no agreement" in run("outcomes", "check", agreement, "--as", "eastgate.caseworker",
                                 "--referral", referral, code=4)  # fmt: skip

    transfer = sent.manifest.transfer_id
    run("recall", "open", transfer, "--as", "eastgate.caseworker", "--reason", "x", code=4)
    opened = json.loads(run("recall", "open", transfer, "--as", "dwp.dpo",
                            "--reason", "sent to the wrong provider"))  # fmt: skip
    confirmed = json.loads(run("recall", "confirm", opened["id"], "--as", "northfield.dpo"))
    assert confirmed["recall"]["state"] == "confirmed"
    assert confirmed["certificate"]["holder"] == "northfield"
    listed = json.loads(run("recall", "list", "northfield", "--as", "northfield.admin"))
    assert [r["id"] for r in listed] == [opened["id"]]
    assert json.loads(run("recall", "purge")) == {"purged": 0}
