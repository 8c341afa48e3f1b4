"""An active agreement that allows bulk packages from DWP to NHS England, with keys."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from accord.core.governance.records import AgreementRecord
from accord.core.permissions import Caller
from accord.services.app import Accord
from accord.services.transfer import ReceiveResult, SendResult
from tests.governance.conftest import build_world
from tests.plane.conftest import agreement_request, approve

DATASET = "dwp/carers_allowance"


@dataclass
class Exchange:
    accord: Accord
    agreement: AgreementRecord
    outbox: Path
    inbox: Path

    @property
    def sender(self) -> Caller:
        return self.accord.acting_as("dwp.data", "test")

    @property
    def receiver(self) -> Caller:
        return self.accord.acting_as("nhse.analyst", "test")

    def send(self, *, test: bool = False, **options: Any) -> SendResult:
        return self.accord.transfer.send(
            self.sender, self.agreement.id, "nhse", self.outbox, test=test, **options
        )

    def receive(self, path: Path) -> ReceiveResult:
        return self.accord.transfer.receive(self.receiver, path, self.inbox)

    def loaded(self) -> list[str]:
        """What is visible in the inbox: every name, hidden ones included."""
        return sorted(p.name for p in self.inbox.iterdir()) if self.inbox.exists() else []


def issue_keys(accord: Accord) -> None:
    operator = accord.operator("test")
    for org in ("dwp", "nhse"):
        accord.org_keys.rotate(operator, org)


@pytest.fixture
def exchange(sqlite_accord: Accord, tmp_path: Path) -> Exchange:
    world = build_world(sqlite_accord, tmp_path)
    agreement = approve(world, agreement_request(test_exchange=True))
    issue_keys(world)
    return Exchange(world, agreement, tmp_path / "outbox", tmp_path / "inbox")
