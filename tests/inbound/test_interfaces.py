"""The inbound channel over HTTP and from the command line, on seed 003's world."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from accord.api.app import create_app
from accord.cli.main import app as cli
from accord.demo.provider_world import ProviderWorld, build_provider_world
from accord.services.app import Accord
from accord.settings import load_settings
from tests.inbound.participants import EASTGATE, NORTHFIELD_VOLUNTARY_WHP, participant


def whp07(person: dict[str, Any]) -> dict[str, Any]:
    return {"referral_id": person["referral_id"], "nino": person["nino"],
            "reason": "re_engaged", "date_of_change": "2021-07-01"}  # fmt: skip


def test_send_and_read_over_http(provider_world: ProviderWorld) -> None:
    accord = provider_world.app
    op = accord.operator("test")
    token = {pid: accord.identity.issue_token(op, pid, ttl_days=1)[1]
             for pid in ("northfield.caseworker", "dwp.data", "eastgate.caseworker")}  # fmt: skip

    def auth(pid: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token[pid]}"}

    person = participant(provider_world, NORTHFIELD_VOLUNTARY_WHP)
    url = f"/agreements/{provider_world.agreement.id}/messages"
    with TestClient(create_app(accord)) as client:
        sent = client.post(url, params={"form": "whp07"}, json=whp07(person),
                           headers=auth("northfield.caseworker"))  # fmt: skip
        assert sent.status_code == 201, sent.text
        message = sent.json()
        assert "record" not in message
        too_big = client.post(url, params={"form": "whp07"}, content=b" " * 20_000,
                              headers=auth("northfield.caseworker"))  # fmt: skip
        assert too_big.status_code == 422
        assert "at most 16384 bytes" in too_big.text
        bad = client.post(url, params={"form": "whp07"}, json={**whp07(person), "nino": "ZZ1"},
                          headers=auth("northfield.caseworker"))  # fmt: skip
        assert bad.status_code == 422
        assert "nino" in bad.text
        theirs = participant(provider_world, EASTGATE)
        other = client.post(url, params={"form": "whp07"}, json=whp07(theirs),
                            headers=auth("northfield.caseworker"))  # fmt: skip
        assert other.status_code == 404
        listed = client.get("/inbox", params={"org": "dwp"}, headers=auth("dwp.data")).json()
        assert [m["id"] for m in listed["messages"]] == [message["id"]]
        assert person["nino"] not in json.dumps(listed)
        shown = client.get(f"/inbox/{message['id']}", headers=auth("dwp.data")).json()
        assert shown["record"]["nino"] == person["nino"]
        hidden = client.get(f"/inbox/{message['id']}", headers=auth("eastgate.caseworker"))
        assert hidden.status_code == 404
        assert client.get("/inbox", params={"org": "dwp"},
                          headers=auth("eastgate.caseworker")).status_code == 404  # fmt: skip
        early = client.delete(f"/inbox/{message['id']}", headers=auth("dwp.data"))
        assert early.status_code == 403
        done = client.post(f"/inbox/{message['id']}/action", headers=auth("dwp.data"))
        assert done.json()["state"] == "actioned"
        assert client.delete(f"/inbox/{message['id']}", headers=auth("dwp.data")).status_code == 204


@pytest.fixture
def cli_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ProviderWorld:
    monkeypatch.setenv("ACCORD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ACCORD_DATABASE_URL", raising=False)
    monkeypatch.delenv("ACCORD_MASTER_KEY", raising=False)
    accord = Accord.init(load_settings(), operator="test")
    try:
        return build_provider_world(accord, tmp_path / "synthetic")
    finally:
        accord.close()


def test_send_and_read_from_the_command_line(cli_world: ProviderWorld, tmp_path: Path) -> None:
    runner = CliRunner()
    person = participant(cli_world, NORTHFIELD_VOLUNTARY_WHP)
    message = tmp_path / "message.json"
    message.write_text(json.dumps(whp07(person)))
    agreement = cli_world.agreement.id
    send = ["inbound", "send", agreement, "--form", "whp07", "--file", str(message)]
    sent = runner.invoke(cli, [*send, "--as", "northfield.caseworker", "--json"])
    assert sent.exit_code == 0, sent.output
    message_id = json.loads(sent.output)["id"]
    refused = runner.invoke(cli, [*send, "--as", "northfield.adviser"])
    assert refused.exit_code != 0
    assert "not a designated sender" in refused.output
    listed = runner.invoke(cli, ["inbound", "list", "--org", "dwp", "--as", "dwp.dpo", "--json"])
    assert [m["id"] for m in json.loads(listed.output)["messages"]] == [message_id]
    shown = runner.invoke(cli, ["inbound", "show", message_id, "--as", "dwp.dpo"])
    assert f"nino: {person['nino']}" in shown.output
    assert runner.invoke(cli, ["inbound", "action", message_id, "--as", "dwp.dpo"]).exit_code == 0
    deleted = runner.invoke(cli, ["inbound", "delete", message_id, "--as", "dwp.dpo"])
    assert deleted.exit_code == 0, deleted.output
