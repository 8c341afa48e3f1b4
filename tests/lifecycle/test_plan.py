"""Which copies are due, decided from facts alone (no store, no files)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from accord.core.governance.agreement import policy_from_request
from accord.core.governance.records import AgreementRecord
from accord.core.governance.workflow import AgreementState
from accord.core.lifecycle.deletion import (
    ItemKind,
    ItemState,
    ReceivedCopy,
    agreement_end,
    can_hold_in_place,
    due_items,
)
from accord.core.lifecycle.retention import add_duration
from tests.lifecycle.conftest import retention_request

TODAY = date(2026, 12, 7)
START = TODAY - timedelta(days=200)


def agreement(
    version: int = 1,
    state: AgreementState = AgreementState.ACTIVE,
    changed: date = TODAY,
    **changes: Any,
) -> AgreementRecord:
    document: dict[str, Any] = {
        "start_date": str(START),
        "end_date": str(START + timedelta(days=365)),
        **changes,
    }
    policy = policy_from_request(
        retention_request(**document),
        agreement_id="agr-1",
        version=version,
        request_id="req-1",
        tier=4,
        per_record_answers=False,
    )
    created = datetime.combine(START, datetime.min.time(), UTC)
    return AgreementRecord(
        id="agr-1",
        version=version,
        state=state,
        policy=policy,
        request_id="req-1",
        decision_record="{}",
        signatures=(),
        created_at=created,
        updated_at=datetime.combine(changed, datetime.min.time(), UTC),
    )


def package(received: date, version: int = 1, agreement_id: str = "agr-1") -> ReceivedCopy:
    return ReceivedCopy(
        transfer_id=f"tr-{received:%Y%m%d}{version:08d}",
        agreement_id=agreement_id,
        agreement_version=version,
        dataset_id="dwp/carers_allowance",
        holder="nhse",
        location="/inbox/x.parquet",
        received_at=datetime.combine(received, datetime.min.time(), UTC),
    )


def plan(agreements: list[AgreementRecord], **kwargs: Any) -> list[Any]:
    kwargs.setdefault("received", [])
    kwargs.setdefault("materialised", {"agr-1-v1", "agr-1-v2"})
    return due_items(agreements, today=TODAY, node="platform", **kwargs)


def test_nothing_is_due_under_a_live_agreement_within_its_retention() -> None:
    assert plan([agreement()], received=[package(TODAY - timedelta(days=30))]) == []


def test_revocation_makes_the_copy_and_every_received_package_due_at_once() -> None:
    revoked = agreement(state=AgreementState.REVOKED, changed=TODAY - timedelta(days=1))
    items = plan([revoked], received=[package(TODAY - timedelta(days=5))])
    assert [(i.kind, i.subject) for i in items] == [
        (ItemKind.MATERIALISED_COPY, "materialised:agr-1-v1"),
        (ItemKind.RECEIVED_PACKAGE, f"package:tr-{TODAY - timedelta(days=5):%Y%m%d}00000001"),
    ]
    assert all("revoked" in i.reason for i in items)
    assert items[0].holder == "platform"
    assert items[1].holder == "nhse"


def test_a_copy_not_materialised_here_is_not_planned() -> None:
    revoked = agreement(state=AgreementState.REVOKED)
    assert plan([revoked], materialised=set()) == []


def test_a_received_package_is_due_the_day_after_its_retention_runs_out() -> None:
    delivered = TODAY - timedelta(days=60)
    keep = add_duration(delivered, "P3M")  # P3M after delivery: the last day it may be kept
    copy = package(delivered)
    on_the_day = due_items([agreement()], [copy], set(), keep, node="platform")
    assert on_the_day == []
    after = due_items([agreement()], [copy], set(), keep + timedelta(days=1), node="platform")
    [item] = after
    assert item.due_on == keep
    assert "3 months after the delivery" in item.reason


def test_without_a_retention_term_a_package_is_kept_until_the_agreement_ends() -> None:
    ended = agreement(end_date=str(TODAY - timedelta(days=1)), retention=None)
    [item] = plan([ended], received=[package(TODAY - timedelta(days=10))], materialised=set())
    assert "no retention term" in item.reason
    assert agreement_end([ended]) == TODAY - timedelta(days=1)


def test_supersession_retires_the_old_versions_copy_but_not_its_packages() -> None:
    old = agreement(1, AgreementState.SUPERSEDED, changed=TODAY - timedelta(days=3))
    new = agreement(2)
    items = plan([old, new], received=[package(TODAY - timedelta(days=10))])
    assert [i.subject for i in items] == ["materialised:agr-1-v1"]
    assert "superseded" in items[0].reason


def test_retention_from_the_decision_retires_a_copy_held_in_place() -> None:
    kept = agreement(retention={"period": "P3M", "after": "decision"})
    [item] = plan([kept], materialised={"agr-1-v1"})
    assert item.kind is ItemKind.MATERIALISED_COPY
    assert "3 months after the decision" in item.reason


def test_planned_subjects_and_unknown_agreements_are_skipped() -> None:
    revoked = agreement(state=AgreementState.REVOKED)
    stranger = package(TODAY, agreement_id="agr-elsewhere")
    planned = {"materialised:agr-1-v1": ItemState.PLANNED}
    assert plan([revoked], received=[stranger], planned=planned) == []


def test_a_copy_made_again_after_its_deletion_is_a_new_subject() -> None:
    revoked = agreement(state=AgreementState.REVOKED)
    done = {"materialised:agr-1-v1": ItemState.DELETED}
    [again] = plan([revoked], materialised={"agr-1-v1"}, planned=done)
    assert again.subject == "materialised:agr-1-v1#2"
    both = {**done, "materialised:agr-1-v1#2": ItemState.DELETED}
    [third] = plan([revoked], materialised={"agr-1-v1"}, planned=both)
    assert third.subject == "materialised:agr-1-v1#3"


def test_the_release_path_can_ask_whether_a_copy_may_be_held_in_place() -> None:
    live = agreement()
    verdict, _ = can_hold_in_place(live, [live], TODAY)
    assert verdict
    kept = agreement(retention={"period": "P3M", "after": "decision"})
    verdict, due_on = can_hold_in_place(kept, [kept], TODAY)
    assert not verdict
    assert due_on == add_duration(START, "P3M")
    revoked = agreement(state=AgreementState.REVOKED, changed=TODAY - timedelta(days=2))
    verdict, due_on = can_hold_in_place(revoked, [revoked], TODAY)
    assert "revoked" in verdict.reason
    assert due_on == TODAY - timedelta(days=2)
