"""Owners see use of their data: every event names the data owners it concerns.

A council extracts DWP data under an agreement; DWP's auditor and DPO then list those
extracts (and DWP's own staff's approvals) by asking for events *about* DWP, over a
real store, while nobody else can read them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.core.governance.records import AgreementRecord
from accord.core.identity import Membership, PrincipalKind, Role
from accord.errors import NotFoundError, PermissionDenied
from accord.services.app import Accord
from accord.store import AuditFilter
from tests.governance.conftest import build_world
from tests.plane.conftest import agreement_request


def _council_agreement(world: Accord) -> AgreementRecord:
    op = world.operator("test")
    for pid, roles in {
        "northshire.analyst": [("northshire", Role.REQUESTER), ("northshire", Role.ANALYST)],
        "dwp.auditor": [("dwp", Role.AUDITOR)],
        "nhse.auditor": [("nhse", Role.AUDITOR)],
        "northshire.auditor": [("northshire", Role.AUDITOR)],
    }.items():
        world.identity.create_principal(
            op, pid, pid, PrincipalKind.PERSON, tuple(Membership(o, r) for o, r in roles)
        )
    council = world.acting_as("northshire.analyst", "test")
    created = world.requests.create(
        council,
        agreement_request(requesting_organisation="northshire", requester="northshire.analyst"),
    )
    world.requests.submit(council, created.id)
    world.requests.start_review(world.acting_as("dwp.data", "test"), created.id)
    outcome = None
    for who in ("dwp.data", "dwp.dpo", "dwp.legal"):
        outcome = world.requests.approve(world.acting_as(who, "test"), created.id)
    assert outcome is not None
    assert outcome.agreement is not None
    return outcome.agreement


@pytest.fixture
def council_world(sqlite_accord: Accord, tmp_path: Path) -> tuple[Accord, AgreementRecord]:
    world = build_world(sqlite_accord, tmp_path)
    return world, _council_agreement(world)


def test_dwp_auditor_lists_the_councils_extracts_of_dwp_data(
    council_world: tuple[Accord, AgreementRecord], tmp_path: Path
) -> None:
    world, agreement = council_world
    council = world.acting_as("northshire.analyst", "test")
    for run in range(2):
        world.plane.extract(council, agreement.id, "dwp/carers_allowance", tmp_path / f"x{run}")

    auditor = world.acting_as("dwp.auditor", "test")
    about_dwp = world.audit.show(auditor, AuditFilter(about="dwp", action="extract.release"))
    assert len(about_dwp) == 2
    for record in about_dwp:
        assert record.organisation == "northshire"
        assert record.owner_ids == ("dwp",)
        assert record.actor == "principal:northshire.analyst"
        assert record.decision == "allow"
        assert record.reason, "the allow verdict's reason is kept"

    # DWP's own staff's approvals are there too, under the request they approved.
    approvals = world.audit.show(auditor, AuditFilter(about="dwp", action="request.approve"))
    assert {r.actor for r in approvals} == {
        "principal:dwp.data",
        "principal:dwp.dpo",
        "principal:dwp.legal",
    }
    # And the DPO sees the same as the auditor.
    dpo = world.acting_as("dwp.dpo", "test")
    assert [r.seq for r in world.audit.show(dpo, AuditFilter(about="dwp", limit=1000))] == [
        r.seq for r in world.audit.show(auditor, AuditFilter(about="dwp", limit=1000))
    ]


def test_events_about_an_owner_include_the_agreement_and_request_lifecycle(
    council_world: tuple[Accord, AgreementRecord],
) -> None:
    world, agreement = council_world
    records = world.store.audit_events(AuditFilter(about="dwp", limit=10_000))
    objects = {r.object.split(":", 1)[0] for r in records}
    assert {"dataset", "request", "agreement"} <= objects
    assert all("dwp" in r.owner_ids or r.organisation == "dwp" for r in records), (
        "about=dwp returns only events that concern dwp"
    )
    created = world.store.audit_events(
        AuditFilter(object=f"agreement:{agreement.id}:v1", action="agreement", limit=10)
    )
    assert created
    assert all(r.owner_ids == ("dwp",) for r in created)


def test_nobody_else_reads_events_about_another_organisation(
    council_world: tuple[Accord, AgreementRecord],
) -> None:
    world, _ = council_world
    for who, about in (
        ("nhse.auditor", "dwp"),
        ("northshire.auditor", "dwp"),
        ("dwp.data", "dwp"),
        ("dwp.auditor", "northshire"),
    ):
        caller = world.acting_as(who, "test")
        with pytest.raises(PermissionDenied, match="auditor or dpo"):
            world.audit.show(caller, AuditFilter(about=about))
        denied = world.store.audit_events(
            AuditFilter(actor=f"principal:{who}", action="audit.show", decision="deny", limit=1)
        )
        assert denied
        assert denied[0].organisation == about


def test_a_refused_extract_is_visible_to_the_data_owner(
    council_world: tuple[Accord, AgreementRecord], tmp_path: Path
) -> None:
    world, agreement = council_world
    outsider = world.acting_as("ifsr.researcher", "test")
    with pytest.raises((PermissionDenied, NotFoundError)):
        world.plane.extract(outsider, agreement.id, "dwp/carers_allowance", tmp_path / "no")
    auditor = world.acting_as("dwp.auditor", "test")
    refused = world.audit.show(auditor, AuditFilter(about="dwp", decision="deny", limit=10))
    assert any(r.actor == "principal:ifsr.researcher" for r in refused)
