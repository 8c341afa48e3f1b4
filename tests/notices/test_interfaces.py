"""The CLI and the API call the same outbox and deliverer: subscribe, list, deliver."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from accord.api.app import create_app
from accord.cli.main import app as cli
from accord.core.audit import AuditEvent
from accord.core.identity import Membership, PrincipalKind, Role
from accord.core.lifecycle.notices import NoticeKind
from accord.services.app import Accord
from accord.services.outbox import Outbox, new_notice
from tests.notices.conftest import Mailbox

runner = CliRunner()


def _smtp_env(monkeypatch: pytest.MonkeyPatch, mailbox: Mailbox) -> None:
    monkeypatch.setenv("ACCORD_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ACCORD_SMTP_PORT", str(mailbox.port))
    monkeypatch.setenv("ACCORD_SMTP_FROM", "accord@example.gov.uk")
    monkeypatch.setenv("ACCORD_SMTP_STARTTLS", "0")


def _queue(world: Accord, org: str) -> None:
    notice = new_notice(org, NoticeKind.RECALL, "Recall", "delete pkg-1")
    Outbox(world.store).queue([notice], audit=AuditEvent(actor="test", action="notices.remind"))


def test_the_api_subscribes_lists_hides_and_delivers(
    world: Accord, smtp_server: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    _smtp_env(monkeypatch, smtp_server)
    op = world.operator("test")
    world.identity.create_principal(
        op, "ops", "Ops", PrincipalKind.PERSON, (Membership(world.platform_org, Role.ADMIN),)
    )
    token = {
        p: world.identity.issue_token(op, p, ttl_days=1)[1]
        for p in ("dwp.admin", "eastgate.admin", "ops")
    }

    def auth(who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token[who]}"}

    with TestClient(create_app(world)) as client:
        base = "/organisations/dwp/notice-subscriptions"
        hook = client.post(
            base,
            json={"channel": "webhook", "address": "https://hooks.dwp.example.gov.uk/a"},
            headers=auth("dwp.admin"),
        )
        assert hook.status_code == 201, hook.text
        assert hook.json()["secret"].startswith("whsec_")
        email = client.post(
            base,
            json={"channel": "email", "address": "dpo@dwp.example.gov.uk", "kinds": ["recall"]},
            headers=auth("dwp.admin"),
        )
        assert email.status_code == 201, email.text
        listed = client.get(base, headers=auth("dwp.admin")).json()
        assert [s["channel"] for s in listed] == ["webhook", "email"]
        assert all("secret" not in s for s in listed)

        bad = client.post(
            base,
            json={"channel": "webhook", "address": "http://hooks.dwp.example.gov.uk/a"},
            headers=auth("dwp.admin"),
        )
        assert bad.status_code == 422
        assert bad.json()["error"]["message"].startswith("url: ")

        hidden = client.get(base, headers=auth("eastgate.admin"))
        assert hidden.status_code == 404
        assert hidden.json()["error"]["message"] == "no notifications for 'dwp'"
        gone = client.delete(f"{base}/{listed[0]['id']}", headers=auth("eastgate.admin"))
        missing = client.delete(f"{base}/sub-nothing", headers=auth("eastgate.admin"))
        assert gone.status_code == missing.status_code == 404

        # With the webhook removed by its own admin, the email subscription is left.
        client.delete(f"{base}/{listed[0]['id']}", headers=auth("dwp.admin"))
        _queue(world, "dwp")
        report = client.post("/notices/deliver", headers=auth("ops"))
        assert report.status_code == 200, report.text
        assert report.json()["delivered"] == 1
        assert len(smtp_server.to("dpo@dwp.example.gov.uk")) == 1
        recent = client.get("/organisations/dwp/notices", headers=auth("dwp.admin")).json()
        # The two subscriptions' own notices are not recalls: nobody (but the removed
        # webhook) wanted them.
        assert sorted((n["kind"], n["state"]) for n in recent) == [
            ("recall", "delivered"),
            ("subscription_added", "delivered_to_nobody"),
            ("subscription_added", "delivered_to_nobody"),
        ]
        refused = client.post("/notices/deliver", headers=auth("dwp.admin"))
        assert refused.status_code == 403


def test_the_cli_subscribes_and_delivers(
    world: Accord, smtp_server: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORD_HOME", str(world.settings.home))
    _smtp_env(monkeypatch, smtp_server)
    made = runner.invoke(
        cli,
        [
            "notices",
            "subscribe-email",
            "northfield",
            "ops@northfield.example",
            "--as",
            "northfield.admin",
            "--json",
        ],
    )
    assert made.exit_code == 0, made.output
    subscription = json.loads(made.output)["id"]
    refused = runner.invoke(
        cli, ["notices", "subscriptions", "northfield", "--as", "eastgate.admin"]
    )
    assert refused.exit_code == 4, refused.output
    assert "no notifications for 'northfield'" in refused.output
    invalid = runner.invoke(
        cli,
        [
            "notices",
            "subscribe-webhook",
            "northfield",
            "https://u:p@h.example/",
            "--as",
            "northfield.admin",
        ],
    )
    assert invalid.exit_code == 1
    assert "url: " in invalid.output

    _queue(world, "northfield")
    delivered = runner.invoke(cli, ["notices", "deliver", "--json"])
    assert delivered.exit_code == 0, delivered.output
    assert json.loads(delivered.output)["delivered"] == 2, "the subscription's own, and the recall"
    assert len(smtp_server.to("ops@northfield.example")) == 2
    listed = runner.invoke(
        cli, ["notices", "list", "northfield", "--as", "northfield.admin", "--json"]
    )
    assert [n["state"] for n in json.loads(listed.output)] == ["delivered", "delivered"]
    removed = runner.invoke(
        cli, ["notices", "unsubscribe", "northfield", subscription, "--as", "northfield.admin"]
    )
    assert removed.exit_code == 0, removed.output
    reminded = runner.invoke(cli, ["notices", "remind", "--json"])
    assert json.loads(reminded.output) == {"queued": 0, "references": []}


def test_missing_smtp_configuration_stops_the_cli_with_the_fix(
    world: Accord, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORD_HOME", str(world.settings.home))
    for name in ("ACCORD_SMTP_HOST", "ACCORD_SMTP_FROM"):
        monkeypatch.delenv(name, raising=False)
    Outbox(world.store).subscribe_email(world.acting_as("dwp.admin"), "dwp", "a@example.gov.uk")
    _queue(world, "dwp")
    result = runner.invoke(cli, ["notices", "deliver"])
    assert result.exit_code == 78
    assert "Set ACCORD_SMTP_HOST" in result.output
