"""`accord retention` as a user runs it: the job, the items, a certificate issued to a
file, verified, tampered with, and refused to those who may not see or sign it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli.main import app
from accord.services.app import Accord
from accord.settings import load_settings
from tests.lifecycle.conftest import World, make_world

runner = CliRunner()


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def cli_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    home = tmp_path / "home"
    monkeypatch.setenv("ACCORD_HOME", str(home))
    monkeypatch.delenv("ACCORD_DATABASE_URL", raising=False)
    monkeypatch.delenv("ACCORD_MASTER_KEY", raising=False)
    accord = Accord.init(load_settings(), operator="test")
    world = make_world(accord, tmp_path)
    world.query()
    world.deliver()
    world.revoke()
    return world


def test_the_job_and_a_certificate_from_the_command_line(cli_world: World, tmp_path: Path) -> None:
    report = json.loads(run("retention", "run", "--json"))
    assert len(report["deleted"]) == 1
    [marked] = report["marked"]
    assert not cli_world.materialised().exists()
    assert "planned 0 new item(s); resumed 0" in run("retention", "run")

    listed = json.loads(run("retention", "items", "--org", "nhse", "--as", "nhse.dpo", "--json"))
    assert [i["id"] for i in listed] == [marked["id"]]  # the holder sees its own copy
    assert len(json.loads(run("retention", "items", "--json"))) == 2  # the operator sees all

    out = tmp_path / "certificate.json"
    said = run(
        "retention", "certify", marked["id"], "--as", "nhse.dpo",
        "--method", "crypto_shred", "--out", str(out),
    )  # fmt: skip
    assert "nhse destroyed received_package" in said
    assert "valid" in run("retention", "certificate", "verify", str(out))

    document = json.loads(out.read_text())
    certificate_id = document["certificate"]["id"]
    shown = json.loads(
        run("retention", "certificate", "show", certificate_id, "--as", "dwp.data", "--json")
    )
    assert shown["verified"] is True
    assert shown["method"] == "crypto_shred"
    listed = json.loads(run("retention", "certificate", "list", "--org", "dwp", "--json"))
    assert [c["id"] for c in listed] == [certificate_id]

    document["certificate"]["destroyed_at"] = "2020-01-01T00:00:00.000000Z"
    out.write_text(json.dumps(document))
    assert "INVALID" in run("retention", "certificate", "verify", str(out), code=2)
    assert "No such file" in run(
        "retention", "certificate", "verify", str(tmp_path / "nope.json"), code=1
    )
    (tmp_path / "junk.json").write_text('{"certificate": {}}')
    assert "not a destruction certificate" in run(
        "retention", "certificate", "verify", str(tmp_path / "junk.json"), code=1
    )
    assert "destruction_overdue" in run("governance", "metrics", "--json")


def test_refusals_from_the_command_line(cli_world: World) -> None:
    [marked] = json.loads(run("retention", "run", "--json"))["marked"]
    assert "only a data owner, DPO or admin of 'nhse'" in run(
        "retention", "certify", marked["id"], "--as", "dwp.data", code=3
    )
    hidden = run("retention", "certify", marked["id"], "--as", "northshire.officer", code=4)
    missing = run("retention", "certify", "ri-missing", "--as", "northshire.officer", code=4)
    assert hidden.replace(marked["id"], "ID") == missing.replace("ri-missing", "ID")
    assert "--destroyed-at" in run(
        "retention", "certify", marked["id"], "--as", "nhse.dpo", "--destroyed-at", "soon", code=1
    )
    assert "name your organisation" in run(
        "retention", "items", "--as", "northshire.officer", code=3
    )
