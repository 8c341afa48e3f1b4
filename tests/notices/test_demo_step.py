"""The provider demo's notification step on seed 003's world: both admins subscribed,
every queued notice delivered over a real SMTP server on loopback."""

from __future__ import annotations

import json
import sys

import pytest

from accord.core.lifecycle.notices import NoticeState
from accord.demo.provider_steps import outbox as outbox_step
from accord.demo.provider_world import ProviderWorld
from accord.demo.steps import Step
from accord.services.outbox import Outbox


def test_the_step_subscribes_both_admins_and_delivers_every_notice(
    provider_world: ProviderWorld,
) -> None:
    steps: list[Step] = []
    summary = outbox_step.run(provider_world, steps)

    assert [s.name for s in steps] == [
        "notifications: admins subscribe by email",
        "notifications: deliver the outbox",
    ]
    assert summary["transport"] == "smtp on loopback"
    assert summary["failed"] == 0
    assert summary["delivered"] >= 2, "at least each admin's own subscription notice"
    assert summary["emails"] == summary["delivered"]
    json.dumps(summary)
    outbox = Outbox(provider_world.app.store)
    assert outbox.notices(state=NoticeState.QUEUED) == []
    for org in ("dwp", "northfield"):
        assert outbox.notices(organisation=org, state=NoticeState.DELIVERED)


def test_without_aiosmtpd_the_step_writes_a_maildir_and_says_so(
    provider_world: ProviderWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "aiosmtpd.controller", None)
    steps: list[Step] = []
    summary = outbox_step.run(provider_world, steps)
    assert summary["transport"] == "maildir"
    assert summary["emails"] == summary["delivered"] >= 2
    maildir = provider_world.app.settings.home / "maildir" / "new"
    assert len(list(maildir.iterdir())) == summary["emails"]
