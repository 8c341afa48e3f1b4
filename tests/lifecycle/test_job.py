"""The deletion job over a real store (SQLite and PostgreSQL), real files and real keys:
after revocation the materialised copies are gone and received packages await their
holder's certificate; a certificate round-trips and tampering fails; a second run does
nothing twice; every refusal is in the audit log."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from accord.core.lifecycle.certificate import DestructionMethod, SignedCertificate
from accord.core.lifecycle.deletion import ItemKind, ItemState
from accord.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from accord.services.app import Accord
from tests.lifecycle.conftest import World, details


def test_after_revocation_the_materialised_copy_is_deleted_and_the_package_marked(
    world: World,
) -> None:
    assert world.query() == 2
    copy = world.materialised()
    files = sorted(p.name for p in copy.iterdir())
    assert files
    assert all(name.endswith(".parquet") for name in files)
    received = world.deliver()
    assert world.service().run(world.accord.operator()).planned == 0  # nothing due yet
    assert copy.exists()

    world.revoke()
    report = world.service().run(world.accord.operator())

    assert not copy.exists()
    assert report.planned == 2
    [deleted] = report.deleted
    assert deleted.state is ItemState.DELETED
    assert "revoked" in deleted.reason
    assert [f["file"] for f in json.loads(deleted.detail)["files"]] == files
    [marked] = report.marked
    assert marked.kind is ItemKind.RECEIVED_PACKAGE
    assert marked.subject == f"package:{received.manifest.transfer_id}"
    assert marked.holder == "nhse"
    assert marked.state is ItemState.AWAITING_CERTIFICATE
    assert marked.confirm_by is not None
    # The received copy is the holder's to destroy: the job marks it, and leaves it.
    assert received.path.exists()
    [delete_event] = world.events("retention.delete")
    assert delete_event.object == f"materialised:{copy.name}"
    assert details(delete_event)["data_owners"] == ["dwp"]
    assert delete_event.reason == deleted.reason
    [mark_event] = world.events("retention.mark")
    assert mark_event.organisation == "nhse"
    assert world.accord.audit.verify().ok


def test_a_second_run_plans_and_deletes_nothing_again(world: World) -> None:
    world.query()
    world.revoke()
    first = world.service().run(world.accord.operator())
    assert len(first.deleted) == 1
    second = world.service().run(world.accord.operator())
    assert (second.planned, second.resumed, second.deleted, second.marked) == (0, 0, (), ())
    assert len(world.events("retention.delete")) == 1
    assert len(world.events("retention.plan")) == 1


def test_a_failure_half_way_leaves_the_rest_planned_and_the_next_run_finishes(
    sqlite_world: World,
) -> None:
    world = sqlite_world
    world.query()
    copy = world.materialised()
    for i in range(4):  # more files in the same copy, as later dataset versions leave
        (copy / f"extra-{i}.parquet").write_bytes(b"PAR1" + bytes(64))
    world.revoke()
    removed: list[str] = []

    def flaky(path: Path) -> None:
        if len(removed) == 2:
            raise PermissionError(13, "Permission denied", str(path))
        path.unlink()
        removed.append(path.name)

    first = world.service(remove=flaky).run(world.accord.operator())
    assert first.deleted == ()
    [(item_id, reason)] = first.failed
    assert "Permission denied" in reason
    assert world.service().lifecycle.get_item(item_id).state is ItemState.PLANNED
    assert world.events("retention.delete") == []
    left = sorted(p.name for p in copy.iterdir())
    assert len(left) == 3  # two removed, the rest where they were

    second = world.service().run(world.accord.operator())
    assert second.planned == 0
    assert second.resumed == 1
    [done] = second.deleted
    assert done.id == item_id
    assert not copy.exists()
    assert sorted(f["file"] for f in json.loads(done.detail)["files"]) == left
    assert len(world.events("retention.delete")) == 1


def test_retention_runs_out_after_the_period_from_delivery(sqlite_world: World) -> None:
    world = sqlite_world
    received = world.deliver()
    store = world.accord.store
    now = store.clock()
    store.clock = lambda: now + timedelta(days=80)
    assert world.service().run(world.accord.operator()).marked == ()
    store.clock = lambda: now + timedelta(days=95)
    report = world.service().run(world.accord.operator())
    [marked] = report.marked
    assert marked.subject == f"package:{received.manifest.transfer_id}"
    assert "retention 3 months after the delivery ran out" in marked.reason


def test_a_destruction_certificate_round_trips_and_tampering_fails(world: World) -> None:
    world.deliver()
    world.revoke()
    [marked] = world.service().run(world.accord.operator()).marked
    service = world.service()

    signed = service.certify_item(
        world.holder_dpo, marked.id, method=DestructionMethod.CRYPTO_SHRED, note="key destroyed"
    )
    c = signed.certificate
    assert (c.holder, c.subject_kind, c.certified_by) == ("nhse", "received_package", "nhse.dpo")
    assert c.subject_id == marked.subject.removeprefix("package:")
    assert (c.agreement_id, c.agreement_version) == (world.agreement.id, world.agreement.version)
    assert service.verify(signed)

    stored = service.certificate(world.holder_dpo, c.id)
    assert stored == signed
    assert SignedCertificate.from_json(stored.to_json()) == signed
    assert [s.certificate.id for s in service.certificates(world.owner, organisation="dwp")] == [
        c.id
    ]
    assert service.lifecycle.get_item(marked.id).state is ItemState.CERTIFIED
    assert service.lifecycle.get_item(marked.id).certificate_id == c.id

    forged = SignedCertificate(replace(c, method="secure_delete"), *_sig(signed))
    verdict = service.verify(forged)
    assert not verdict
    assert "altered" in verdict.reason
    wrong_holder = SignedCertificate(replace(c, holder="dwp"), *_sig(signed))
    assert "belongs to 'nhse'" in service.verify(wrong_holder).reason

    with pytest.raises(ConflictError, match="certified"):
        service.certify_item(world.holder_dpo, marked.id, method=DestructionMethod.SECURE_DELETE)
    [event] = world.events("retention.certify", "allow")
    assert details(event)["certificate"] == c.id
    assert details(event)["data_owners"] == ["dwp"]


def _sig(signed: SignedCertificate) -> tuple[str, str]:
    return signed.key_fingerprint, signed.signature


def test_only_the_holder_certifies_and_every_refusal_is_audited(sqlite_world: World) -> None:
    world = sqlite_world
    world.deliver()
    world.revoke()
    [marked] = world.service().run(world.accord.operator()).marked
    service = world.service()
    accord = world.accord

    # The data owner sees the item (its data) but does not hold the copy: refused.
    with pytest.raises(PermissionDenied, match="only a data owner, DPO or admin of 'nhse'"):
        service.certify_item(world.owner, marked.id, method=DestructionMethod.SECURE_DELETE)
    # Someone with no part in it gets exactly the answer a missing item gets.
    outsider = accord.acting_as("northshire.officer", "test")
    with pytest.raises(NotFoundError) as hidden:
        service.certify_item(outsider, marked.id, method=DestructionMethod.SECURE_DELETE)
    with pytest.raises(NotFoundError) as missing:
        service.certify_item(
            outsider, "ri-0000000000000000", method=DestructionMethod.SECURE_DELETE
        )
    assert hidden.value.message == missing.value.message.replace("ri-0000000000000000", marked.id)
    # Through the API's path the organisation is authorised first.
    with pytest.raises(PermissionDenied):
        service.certify_item(
            outsider, marked.id, holder="nhse", method=DestructionMethod.SECURE_DELETE
        )
    with pytest.raises(NotFoundError):
        service.certify_item(
            world.owner, marked.id, holder="dwp", method=DestructionMethod.SECURE_DELETE
        )
    # The operator runs the job but does not speak for a holder.
    with pytest.raises(PermissionDenied):
        service.certify_item(accord.operator(), marked.id, method=DestructionMethod.SECURE_DELETE)
    # Only the operator or a platform admin runs the job.
    with pytest.raises(PermissionDenied, match="deletion job"):
        service.run(world.holder_dpo)
    with pytest.raises(ValidationError, match="destroyed_at"):
        service.certify_item(
            world.holder_dpo,
            marked.id,
            method=DestructionMethod.SECURE_DELETE,
            destroyed_at=accord.store.clock() + timedelta(days=1),
        )
    denials = world.events("retention.certify", "deny")
    assert len(denials) == 6
    assert all(e.reason for e in denials)
    assert len(world.events("retention.run", "deny")) == 1
    assert service.lifecycle.get_item(marked.id).state is ItemState.AWAITING_CERTIFICATE


def test_overdue_confirmations_show_in_governance_metrics(sqlite_world: World) -> None:
    world = sqlite_world
    world.deliver()
    world.revoke()
    world.service().run(world.accord.operator())
    store = world.accord.store
    assert world.accord.agreements.metrics()["destruction_overdue"] == 0
    now = store.clock()
    store.clock = lambda: now + timedelta(days=31)  # the default grace is 30 days
    assert world.accord.agreements.metrics()["destruction_overdue"] == 1
    [item] = world.service().overdue()
    world.service().certify_item(world.holder_dpo, item.id, method=DestructionMethod.OVERWRITE)
    assert world.accord.agreements.metrics()["destruction_overdue"] == 0


def test_a_superseded_version_loses_its_copy_and_the_new_one_keeps_its_own(
    sqlite_world: World,
) -> None:
    world = sqlite_world
    world.query()
    old = world.materialised()
    amended = _amend(world.accord, world)
    world.query(amended)
    new = world.materialised(amended)
    report = world.service().run(world.accord.operator())
    [deleted] = report.deleted
    assert "superseded" in deleted.reason
    assert not old.exists()
    assert new.exists()


def _amend(accord: Accord, world: World) -> object:
    from tests.lifecycle.conftest import retention_request
    from tests.plane.conftest import approve

    return approve(accord, retention_request(amends=world.agreement.id))
