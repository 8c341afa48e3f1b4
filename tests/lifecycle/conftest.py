"""A DWP -> NHS England agreement whose governed view is materialised here (by a real
in-place query) and whose live package NHS England has received, with both
organisations' signing keys issued."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from accord.core.governance.records import AgreementRecord
from accord.core.governance.request import SharingRequest
from accord.core.permissions import Caller
from accord.services.app import Accord
from accord.services.retention import RetentionService
from accord.services.transfer import ReceiveResult
from accord.store import AuditFilter
from tests.governance.conftest import build_world
from tests.plane.conftest import agreement_request, approve
from tests.transfer.conftest import issue_keys

DATASET = "dwp/carers_allowance"
VIEW = "dwp_carers_allowance"


def retention_request(**changes: Any) -> SharingRequest:
    """In place and by package, continuously, kept three months after each delivery."""
    document: dict[str, Any] = {
        "channels": ["in_place_query", "bulk_package"],
        "frequency": "continuous",
        "retention": {"period": "P3M", "after": "delivery"},
        **changes,
    }
    return agreement_request(**document)


@dataclass
class World:
    accord: Accord
    agreement: AgreementRecord
    tmp: Path

    @property
    def analyst(self) -> Caller:
        return self.accord.acting_as("nhse.analyst", "test")

    @property
    def owner(self) -> Caller:
        return self.accord.acting_as("dwp.data", "test")

    @property
    def holder_dpo(self) -> Caller:
        return self.accord.acting_as("nhse.dpo", "test")

    def service(self, **options: Any) -> RetentionService:
        return RetentionService.of(self.accord, **options)

    def materialised(self, agreement: AgreementRecord | None = None) -> Path:
        a = agreement or self.agreement
        return self.accord.home / "materialised" / f"{a.id}-v{a.version}"

    def query(self, agreement: AgreementRecord | None = None) -> int:
        """An in-place query: the release path materialises the governed view."""
        a = agreement or self.agreement
        result = self.accord.plane.query(self.analyst, a.id, f"select count(*) as n from {VIEW}")
        return int(result.table.column("n")[0].as_py())

    def deliver(self) -> ReceiveResult:
        """A receipted test exchange, then a live package loaded at NHS England."""
        transfer = self.accord.transfer
        outbox, inbox = self.tmp / "outbox", self.tmp / "inbox"
        test = transfer.send(self.owner, self.agreement.id, "nhse", outbox, test=True)
        transfer.receive(self.analyst, test.path, inbox)
        live = transfer.send(self.owner, self.agreement.id, "nhse", outbox)
        return transfer.receive(self.analyst, live.path, inbox)

    def revoke(self, reason: str = "the purpose is met") -> AgreementRecord:
        return self.accord.agreements.revoke(self.owner, self.agreement.id, reason)

    def events(self, action: str, decision: str | None = None) -> list[Any]:
        found = self.accord.store.audit_events(
            AuditFilter(action=action, decision=decision, limit=10_000)
        )
        return list(found)


def details(event: Any) -> dict[str, Any]:
    """An audit record's details, which the log keeps as canonical JSON."""
    found: dict[str, Any] = json.loads(event.details)
    return found


def make_world(accord: Accord, tmp_path: Path, **changes: Any) -> World:
    world = build_world(accord, tmp_path)
    agreement = approve(world, retention_request(**changes))
    issue_keys(world)
    return World(world, agreement, tmp_path)


@pytest.fixture
def world(accord: Accord, tmp_path: Path) -> World:
    return make_world(accord, tmp_path)


@pytest.fixture
def sqlite_world(sqlite_accord: Accord, tmp_path: Path) -> World:
    return make_world(sqlite_accord, tmp_path)
