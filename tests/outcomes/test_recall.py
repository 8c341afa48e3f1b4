"""Wrong recipient: a package recalled, the recipient alerted, its copy deleted and
certified, and the record kept three months (seed 003, paragraphs 55-56)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from accord.core.lifecycle.certificate import DestructionMethod
from accord.core.lifecycle.notices import NoticeKind
from accord.core.lifecycle.recall import RecallState, add_months
from accord.demo.provider_world import ProviderWorld
from accord.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from accord.services.outbox import Outbox
from accord.services.recall import RecallService
from accord.services.retention import RetentionService
from accord.store import AuditFilter


def recalls(world: ProviderWorld) -> RecallService:
    return RecallService(world.app.store, RetentionService.of(world.app))


def received_package(world: ProviderWorld, tmp_path: Path) -> tuple[str, Path]:
    """A live package of DWP's changes of circumstances, sent and loaded by Northfield."""
    app = world.app
    sent = app.transfer.send(world.caller("dwp.data"), world.agreement.id, "northfield",
                             tmp_path / "outbox", dataset_id="dwp/circumstance_events")  # fmt: skip
    loaded = app.transfer.receive(world.caller("northfield.caseworker"), sent.path,
                                  tmp_path / "inbox")  # fmt: skip
    assert loaded.path.exists()
    return sent.manifest.transfer_id, loaded.path


def test_open_alert_confirm_certify_then_purge_after_three_months(
    provider_world: ProviderWorld, tmp_path: Path
) -> None:
    world = provider_world
    store = world.app.store
    transfer_id, copy = received_package(world, tmp_path)
    service = recalls(world)

    recall = service.open(world.caller("dwp.data"), transfer_id, "sent to the wrong provider")
    assert recall.state is RecallState.OPEN
    assert recall.recipient == "northfield"
    [notice] = Outbox(store).notices(organisation="northfield", kind=NoticeKind.RECALL)
    assert notice.id == recall.notice_id
    assert notice.reference == f"recall:{recall.id}"
    assert transfer_id in notice.body

    confirmed, signed = service.confirm(world.caller("northfield.dpo"), recall.id)
    assert not copy.exists()
    assert confirmed.state is RecallState.CONFIRMED
    assert confirmed.copy_deleted
    assert confirmed.certificate_id == signed.certificate.id
    assert signed.certificate.holder == "northfield"
    assert RetentionService.of(world.app).verify(signed)
    [told] = Outbox(store).notices(organisation="dwp", kind=NoticeKind.RECALL)
    assert signed.certificate.id in told.body
    assert told.reference == f"recall:{recall.id}"
    with pytest.raises(ConflictError):
        service.confirm(world.caller("northfield.dpo"), recall.id)

    # Kept three months after the confirmation, then purged; the purge is idempotent.
    operator = world.operator
    keep = add_months(confirmed.confirmed_at, 3)  # type: ignore[arg-type]
    now = store.clock()
    store.clock = lambda: keep - timedelta(seconds=1)
    assert service.purge(operator) == 0
    assert service.get(world.caller("dwp.data"), recall.id).id == recall.id
    store.clock = lambda: keep
    assert service.purge(operator) == 1
    assert service.purge(operator) == 0
    store.clock = lambda: now
    with pytest.raises(NotFoundError):
        service.get(world.caller("dwp.data"), recall.id)
    # The audit events of each step stay in the chain.
    actions = [e.action for e in store.audit_events(AuditFilter(object=f"recall:{recall.id}"))]
    assert {"recall.open", "recall.confirm"} <= set(actions)
    [purged] = [
        e for e in store.audit_events(AuditFilter(action="recall.purge")) if e.decision == "allow"
        and json.loads(e.details).get("purged")
    ]  # fmt: skip
    assert json.loads(purged.details)["purged"] == 1
    assert world.app.audit.verify(workers=1).ok


def test_only_the_sender_opens_and_only_the_recipient_confirms(
    provider_world: ProviderWorld, tmp_path: Path
) -> None:
    world = provider_world
    transfer_id, copy = received_package(world, tmp_path)
    service = recalls(world)
    with pytest.raises(NotFoundError, match="no package"):
        service.open(world.caller("eastgate.caseworker"), transfer_id, "wrong provider")
    # The recipient and the agreement's processor know of the package, so they are told
    # why they may not recall it.
    for party in ("northfield.dpo", "ridgeway.admin"):
        with pytest.raises(PermissionDenied, match="the sender"):
            service.open(world.caller(party), transfer_id, "wrong provider")
    with pytest.raises(PermissionDenied, match="data owner, DPO or admin"):
        service.open(world.caller("dwp.payments"), transfer_id, "wrong provider")
    with pytest.raises(NotFoundError):
        service.open(world.caller("dwp.data"), "tr-0000000000000000", "wrong provider")
    with pytest.raises(ValidationError, match="reason"):
        service.open(world.caller("dwp.data"), transfer_id, "  ")
    with pytest.raises(ValidationError, match="at most"):
        service.open(world.caller("dwp.data"), transfer_id, "x" * 1001)

    recall = service.open(world.caller("dwp.data"), transfer_id, "wrong provider")
    with pytest.raises(ConflictError, match="already has an open recall"):
        service.open(world.caller("dwp.dpo"), transfer_id, "again")
    for outsider in ("eastgate.caseworker", "ridgeway.admin"):
        with pytest.raises(NotFoundError, match="no recall"):
            service.confirm(world.caller(outsider), recall.id)
    with pytest.raises(PermissionDenied):
        service.confirm(world.caller("northfield.caseworker"), recall.id)
    with pytest.raises(PermissionDenied):
        service.confirm(world.caller("dwp.data"), recall.id)
    assert copy.exists()
    denied = world.app.store.audit_events(AuditFilter(decision="deny", limit=1000))
    assert {"recall.open", "recall.confirm"} <= {e.action for e in denied}

    with pytest.raises(PermissionDenied):
        service.list(world.caller("eastgate.caseworker"), "dwp")
    assert [r.id for r in service.list(world.caller("northfield.admin"), "northfield")] == [
        recall.id
    ]
    with pytest.raises(PermissionDenied):
        service.purge(world.caller("dwp.admin"))


def test_add_months_keeps_the_day_or_the_months_last() -> None:
    from datetime import UTC, datetime

    assert add_months(datetime(2026, 5, 31, tzinfo=UTC), 3) == datetime(2026, 8, 31, tzinfo=UTC)
    assert add_months(datetime(2026, 11, 30, tzinfo=UTC), 3) == datetime(2027, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2027, 11, 30, tzinfo=UTC), 3) == datetime(2028, 2, 29, tzinfo=UTC)


def test_the_api_recalls_and_confirms(provider_world: ProviderWorld, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from accord.api.app import create_app

    world = provider_world
    app = world.app
    transfer_id, copy = received_package(world, tmp_path)
    tokens = {
        pid: app.identity.issue_token(app.operator("test"), pid, ttl_days=1)[1]
        for pid in ("dwp.data", "northfield.admin", "eastgate.caseworker")
    }

    def auth(pid: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[pid]}"}

    with TestClient(create_app(app)) as client:
        path = f"/packages/{transfer_id}/recall"
        hidden = client.post(path, json={"reason": "wrong"}, headers=auth("eastgate.caseworker"))
        assert hidden.status_code == 404
        empty = client.post(path, json={"reason": ""}, headers=auth("dwp.data"))
        assert empty.status_code == 422
        assert "reason" in empty.text
        opened = client.post(path, json={"reason": "wrong provider"}, headers=auth("dwp.data"))
        assert opened.status_code == 201, opened.text
        recall_id = opened.json()["id"]
        confirm = f"/recalls/{recall_id}/confirm"
        assert client.post(confirm, json={}, headers=auth("eastgate.caseworker")).status_code == 404
        done = client.post(confirm, json={}, headers=auth("northfield.admin"))
        assert done.status_code == 200, done.text
        assert done.json()["recall"]["state"] == "confirmed"
        assert done.json()["certificate"]["holder"] == "northfield"
        assert not copy.exists()
        listed = client.get("/organisations/dwp/recalls", headers=auth("dwp.data"))
        assert [r["id"] for r in listed.json()] == [recall_id]


def test_a_confirmation_that_died_after_certifying_is_finished_by_a_retry(
    provider_world: ProviderWorld, tmp_path: Path
) -> None:
    """The copy deleted and the certificate signed, then the process died before the
    recall moved on: confirming again finishes it with the same certificate."""
    world = provider_world
    transfer_id, copy = received_package(world, tmp_path)
    service = recalls(world)
    recall = service.open(world.caller("dwp.data"), transfer_id, "wrong provider")
    copy.unlink()
    first = service.retention.issue_certificate(
        world.caller("northfield.dpo"), holder="northfield", subject_kind="recall",
        subject_id=recall.id, agreement_id=recall.agreement_id,
        agreement_version=recall.agreement_version, description="interrupted",
        method=DestructionMethod.SECURE_DELETE,
    )  # fmt: skip
    done, signed = service.confirm(world.caller("northfield.dpo"), recall.id)
    assert signed.certificate.id == first.certificate.id == done.certificate_id
    assert done.state is RecallState.CONFIRMED
    assert done.copy_deleted
    subjects = [
        c.certificate.subject_id
        for c in service.retention.lifecycle.list_certificates(holder="northfield")
    ]
    assert subjects.count(recall.id) == 1
