"""Aggregate statistics and batch validation are releases too: only under an active
agreement naming the channel, each refusal on the record."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from accord.core.governance.records import AgreementRecord
from accord.core.governance.request import SharingRequest
from accord.disclosure.batch import BatchOutcome, BatchPolicy
from accord.errors import NotFoundError, PermissionDenied
from accord.services.app import Accord
from accord.services.disclosure import BatchValidationService
from accord.store import AuditFilter
from tests.plane.conftest import agreement_request, approve

DATASET = "dwp/carers_allowance"


def counts_request(
    channel: str, requester: str = "nhse.analyst", org: str = "nhse"
) -> SharingRequest:
    document = agreement_request(
        title=f"Counts by {channel}",
        form="aggregate",
        channels=[channel],
        frequency="continuous",
    ).model_dump(mode="json")
    document.update(requesting_organisation=org, requester=requester)
    document["datasets"][0]["fields"] = [
        {"name": "nino", "justification": "the key", "transform": {"kind": "keep"}},
        {
            "name": "date_of_birth",
            "justification": "age",
            "transform": {"kind": "generalise", "argument": "year"},
        },
        {
            "name": "postcode",
            "justification": "area",
            "transform": {"kind": "generalise", "argument": "district"},
        },
    ]
    return SharingRequest.parse(document)


@pytest.fixture
def world(sqlite_accord: Accord, tmp_path: Path) -> Accord:
    from tests.governance.conftest import build_world

    return build_world(sqlite_accord, tmp_path)


def denied(world: Accord, action: str) -> list[str]:
    return [
        e.reason
        for e in world.store.audit_events(AuditFilter(action=action, decision="deny", limit=100))
    ]


def test_aggregates_need_an_agreement_naming_the_channel(world: Accord) -> None:
    analyst = world.acting_as("nhse.analyst", "test")
    extract_only = approve(world, agreement_request())
    with pytest.raises(PermissionDenied, match="does not allow the aggregate_statistics channel"):
        world.tables.aggregate(analyst, extract_only.id, DATASET, ["postcode"], ["date_of_birth"])
    counts = approve(world, counts_request("aggregate_statistics"))
    table = world.tables.aggregate(analyst, counts.id, DATASET, ["postcode"], ["date_of_birth"])
    # Two people, one per district: every count is under the agreement's threshold of 10.
    assert all(v is None for row in table.values for v in row)
    assert table.rules["threshold"] == counts.policy.output_controls.min_cell_count
    with pytest.raises(PermissionDenied, match="'surname' is not a field agreement"):
        world.tables.aggregate(analyst, counts.id, DATASET, ["surname"], ["date_of_birth"])
    with pytest.raises(NotFoundError):
        world.tables.aggregate(
            world.acting_as("northshire.officer", "test"),
            counts.id,
            DATASET,
            ["postcode"],
            ["date_of_birth"],
        )
    assert len(denied(world, "disclosure.aggregate")) == 3
    [allowed] = world.store.audit_events(
        AuditFilter(action="disclosure.aggregate", decision="allow")
    )
    assert allowed.details_dict["suppressed"] >= 1


def _batch_world(world: Accord) -> BatchValidationService:
    service = world.batches
    service.define(
        world.acting_as("dwp.data", "test"), "dwp", "carers", DATASET, "nino",
        {"postcode": ["SW1A 1AA"]}, ["nhse"], policy=BatchPolicy(min_batch=2, threshold=1),
    )  # fmt: skip
    return service


def test_batch_validation_needs_an_active_agreement_naming_the_channel(world: Accord) -> None:
    service = _batch_world(world)
    analyst = world.acting_as("nhse.analyst", "test")
    batch = ["AB123456C", "CE654321A"]
    with pytest.raises(PermissionDenied, match="no active agreement naming the batch_validation"):
        service.validate(analyst, "dwp/carers", "nhse", batch)
    assert any("batch_validation" in r for r in denied(world, "disclosure.batch.validate"))
    agreement: AgreementRecord = approve(world, counts_request("batch_validation"))
    answer = service.validate(analyst, "dwp/carers", "nhse", batch)
    assert answer.outcome in (BatchOutcome.ANSWERED, BatchOutcome.REFUSED)
    [event] = world.store.audit_events(
        AuditFilter(
            action="disclosure.batch.validate",
            decision=(answer.outcome is BatchOutcome.ANSWERED and "allow") or "deny",
            limit=1,
        )
    )
    assert event.details_dict["agreement"] == agreement.id
    world.agreements.suspend(world.acting_as("dwp.dpo", "test"), agreement.id, "test")
    with pytest.raises(PermissionDenied, match="suspended"):
        service.validate(analyst, "dwp/carers", "nhse", batch, agreement_id=agreement.id)


def test_the_overlap_key_is_still_required(world: Accord) -> None:
    with pytest.raises(ValueError, match="32 random bytes"):
        BatchValidationService(world.store, world.plane, overlap_key=secrets.token_bytes(8))
