"""After an accepted erasure, no later release under the agreement carries the person.

The department keeps the person (the referral stays on DWP systems, paras 28-29), so the
provider's next read would rebuild its view from DWP's dataset with them in it. The
release path leaves them out by their keyed reference, on every channel: an in-place
query, a Delta Sharing read with the official client, a new live package, an extract
and the per-record eligibility check, under this version of the agreement or a later one.
Another recipient's agreement is not touched.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import delta_sharing
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from accord.api.local_server import running_server
from accord.core.identifiers import normalise_nino
from accord.core.lifecycle.erasure import ErasureState, ParticipationFacts, Programme, ReferralKind
from accord.demo.provider_steps.erasure import participants
from accord.demo.provider_world import (
    OTHER_PROVIDER,
    PROVIDER,
    SUBCONTRACTOR,
    ProviderWorld,
    approve_referrals,
    build_provider_world,
    referrals_request,
)
from accord.services.app import Accord
from accord.services.erasure import ErasureService
from accord.store.audit_store import AuditFilter
from tests.erasure.test_no_trace import _store_text

Person = dict[str, Any]


@pytest.fixture
def world(sqlite_accord: Accord, tmp_path: Path) -> ProviderWorld:
    """Seed 003's world whose agreement also allows per-record eligibility checks."""
    return build_provider_world(
        sqlite_accord,
        tmp_path / "synthetic",
        channels=["delta_sharing", "in_place_query", "bulk_package", "eligibility_check"],
    )


def _other_agreement(world: ProviderWorld) -> str:
    """Eastgate's own agreement over every referral, in place: another recipient."""
    app = world.app
    request = referrals_request(
        requesting_organisation=OTHER_PROVIDER,
        requester="eastgate.caseworker",
        processors=[],
        channels=["in_place_query"],
        test_exchange=False,
        datasets=[
            {
                "dataset": "dwp/referrals",
                "cohort": "",
                "fields": [
                    {"name": n, "justification": "Annex A"}
                    for n in ("referral_id", "nino", "forename", "surname", "postcode")
                ],
            }
        ],
        data_journey=[
            {"from_party": "dwp", "to_party": OTHER_PROVIDER, "description": "Referrals"}
        ],
    )
    caseworker = app.acting_as("eastgate.caseworker", "test")
    created = app.requests.create(caseworker, request)
    app.requests.submit(caseworker, created.id)
    app.requests.start_review(app.acting_as("dwp.data", "test"), created.id)
    for who in ("dwp.data", "dwp.dpo", "dwp.legal"):
        outcome = app.requests.approve(app.acting_as(who, "test"), created.id)
        if outcome.agreement is not None:
            return outcome.agreement.id
    raise AssertionError("Eastgate's agreement did not become active")


def _erase(world: ProviderWorld, person: Person) -> str:
    """The whole request, accepted, every holder certified: the NINO is forgotten."""
    world.app.org_keys.rotate(world.operator, SUBCONTRACTOR)
    service = ErasureService.of(world.app)
    dpo = world.caller("northfield.dpo")
    request, _ = service.receive(
        dpo,
        world.agreement.id,
        nino=person["nino"].lower(),
        name=f"{person['forename']} {person['surname']}",
        address=(person["postcode"],),
    )
    service.refer(dpo, request.id)
    service.assign_reference(world.caller("dwp.dpo"), request.id, "DPO-2026-0101")
    kind = Programme.JETS if person["programme"] == "WHP-JETS" else Programme.WHP
    service.decide(dpo, request.id, ParticipationFacts(kind, ReferralKind.VOLUNTARY, False))
    erasing, _ = service.issue_letter(dpo, request.id)
    assert erasing.state is ErasureState.ERASING
    for holder in erasing.holders:
        who = "northfield.dpo" if holder.holder == PROVIDER else f"{holder.holder}.admin"
        request = service.erase_holdings(world.caller(who), request.id, holder.holder)
    assert request.state is ErasureState.CLOSED
    assert request.nino == ""
    return request.person_ref


def _carries(rows: Iterable[dict[str, Any]], person: Person) -> int:
    """Rows naming the person: their NINO in any column and typed form, or their name
    with their postcode."""
    nino = normalise_nino(person["nino"])
    found = 0
    for row in rows:
        texts = [v for v in row.values() if isinstance(v, str)]
        if any(normalise_nino(v) == nino for v in texts) or (
            row.get("forename") == person["forename"]
            and row.get("surname") == person["surname"]
            and row.get("postcode") == person["postcode"]
        ):
            found += 1
    return found


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    return table.to_pylist()


def test_no_later_release_under_the_agreement_carries_an_erased_person(
    world: ProviderWorld, tmp_path: Path
) -> None:
    app = world.app
    person, other = participants(world)[:2]
    caseworker = world.caller("northfield.caseworker")
    eastgate = _other_agreement(world)
    everyone = "select * from dwp_referrals"

    # Before: the person is in the provider's view (which is now materialised).
    assert _carries(_rows(app.plane.query(caseworker, world.agreement.id, everyone).table), person)

    person_ref = _erase(world, person)

    # In place: the view is rebuilt from DWP's dataset without them; the others remain.
    answer = app.plane.query(caseworker, world.agreement.id, everyone).table
    assert _carries(_rows(answer), person) == 0
    assert _carries(_rows(answer), other) == 1
    [event] = app.store.audit_events(AuditFilter(action="query.release", limit=1))
    applied = event.details_dict["erasures"]["dwp_referrals"]
    assert applied["people"] == 1
    assert applied["rows_removed"] >= 1
    changes = app.plane.query(
        caseworker, world.agreement.id, "select * from dwp_circumstance_events"
    )
    assert _carries(_rows(changes.table), person) == 0

    # A new live package, sent and received.
    sent = app.transfer.send(
        world.caller("dwp.data"), world.agreement.id, PROVIDER, tmp_path / "out",
        dataset_id="dwp/referrals",
    )  # fmt: skip
    received = app.transfer.receive(caseworker, sent.path, tmp_path / "in")
    package = pq.read_table(received.path)
    assert _carries(_rows(package), person) == 0
    assert _carries(_rows(package), other) == 1

    # A governed extract, whose manifest counts (never lists) who was left out.
    extract = app.plane.extract(caseworker, world.agreement.id, "dwp/referrals", tmp_path / "x")
    assert _carries(_rows(pq.read_table(extract.path)), person) == 0
    assert json.loads(extract.manifest_path.read_text())["erasures"]["people"] == 1

    # The per-record eligibility check, the NINO typed any way.
    typed = person["nino"].lower()[:2] + " " + person["nino"][2:]
    answers = app.plane.check(
        caseworker, world.agreement.id, "dwp/referrals", [typed, person["nino"], other["nino"]]
    )
    assert answers == {typed: False, person["nino"]: False, other["nino"]: True}

    # Delta Sharing, read by the official client from a real server.
    with running_server(app) as base:
        token, document = app.sharing.profile(
            app.operator("test"), world.agreement.id, "northfield.caseworker",
            f"{base}/delta-sharing",
        )  # fmt: skip
        profile = tmp_path / f"{token.id}.share"
        profile.write_text(json.dumps(document))
        table = f"{world.agreement.id}.governed.dwp_referrals"
        frame = delta_sharing.load_as_pandas(f"{profile}#{table}")
    shared = frame.astype(object).where(frame.notna(), None).to_dict("records")
    assert _carries(shared, person) == 0
    assert _carries(shared, other) == 1

    # A later version of the agreement still leaves them out.
    amended = approve_referrals(app, referrals_request(amends=world.agreement.id))
    assert amended.version == world.agreement.version + 1
    answer = app.plane.query(caseworker, world.agreement.id, everyone).table
    [event] = app.store.audit_events(AuditFilter(action="query.release", limit=1))
    assert event.object == f"agreement:{amended.id}:v{amended.version}"
    assert _carries(_rows(answer), person) == 0
    assert _carries(_rows(answer), other) == 1

    # DWP keeps the person; another recipient's agreement still carries them.
    assert _carries(_rows(pq.read_table(world.dataset_location("referrals"))), person)
    theirs = app.plane.query(world.caller("eastgate.caseworker"), eastgate, everyone).table
    assert _carries(_rows(theirs), person) == 1

    # The audit log and the store name the person only by the keyed reference.
    stored = _store_text(world)
    assert person_ref in stored
    assert normalise_nino(person["nino"]) not in stored
    assert typed not in stored
