"""Every term of an agreement, enforced on the one release path, each refusal audited.

The must-shows: a one-off agreement refuses a second live delivery; an agreement that
requires a test exchange refuses a live extract before a receipted test package of the
same schema and allows it after; every refusal leaves a ``deny`` event with its reason.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from accord.core.governance.agreement import policy_from_request
from accord.core.governance.interval import parse_interval
from accord.core.governance.subcontractors import ApprovalForm
from accord.core.identity import Assurance, AssuranceScheme, Organisation, OrgKind
from accord.core.lifecycle.reviews import standing
from accord.core.plan.authorise import PlaneChannel, can_use
from accord.core.plan.release import Declared
from accord.engine.executor import EngineError, scrub
from accord.errors import PermissionDenied, ValidationError
from accord.services.app import Accord
from accord.services.subcontractors import SubcontractorService
from accord.store import AuditFilter
from tests.plane.conftest import agreement_request, approve

DATASET = "dwp/carers_allowance"


def analyst(world: Accord):  # type: ignore[no-untyped-def]
    return world.acting_as("nhse.analyst", "test")


def denials(world: Accord, action: str) -> list[str]:
    return [
        e.reason
        for e in world.store.audit_events(AuditFilter(action=action, decision="deny", limit=100))
    ]


@pytest.fixture
def world(sqlite_accord: Accord, tmp_path: Path) -> Accord:
    from tests.governance.conftest import build_world

    return build_world(sqlite_accord, tmp_path)


def test_a_one_off_agreement_refuses_a_second_live_delivery(world: Accord, tmp_path: Path) -> None:
    agreement = approve(world, agreement_request(frequency="one_off"))
    world.plane.extract(analyst(world), agreement.id, DATASET, tmp_path / "first")
    with pytest.raises(PermissionDenied, match="one-off share and dwp/carers_allowance was"):
        world.plane.extract(analyst(world), agreement.id, DATASET, tmp_path / "second")
    assert not (tmp_path / "second").exists() or not list((tmp_path / "second").iterdir())
    [reason] = denials(world, "extract.run")
    assert "one-off" in reason
    # A live package is a delivery too: the owner cannot push what was already pulled.
    from tests.transfer.conftest import issue_keys

    issue_keys(world)
    with pytest.raises(PermissionDenied, match="one-off share"):
        world.transfer.send(
            world.acting_as("dwp.data", "test"), agreement.id, "nhse", tmp_path / "outbox"
        )
    assert any("one-off" in r for r in denials(world, "package.send"))


def test_a_recurring_agreement_allows_one_delivery_per_interval(
    world: Accord, tmp_path: Path
) -> None:
    agreement = approve(world, agreement_request(frequency="recurring", frequency_interval="P1M"))
    world.plane.extract(analyst(world), agreement.id, DATASET, tmp_path / "january")
    with pytest.raises(PermissionDenied, match="every P1M; the last was on"):
        world.plane.extract(analyst(world), agreement.id, DATASET, tmp_path / "early")
    now = world.store.clock()
    world.store.clock = lambda: now + timedelta(days=31)  # type: ignore[method-assign]
    world.plane.extract(analyst(world), agreement.id, DATASET, tmp_path / "february")
    assert len(denials(world, "extract.run")) == 1


def test_a_recurring_request_needs_an_iso_8601_interval() -> None:
    with pytest.raises(ValueError, match="frequency_interval is needed"):
        agreement_request(frequency="recurring")
    with pytest.raises(ValueError, match="frequency_interval 'monthly' is not an ISO 8601"):
        agreement_request(frequency="recurring", frequency_interval="monthly")
    with pytest.raises(ValueError, match="only for a recurring share"):
        agreement_request(frequency="one_off", frequency_interval="P1M")
    assert parse_interval("P3M").months == 3
    after = parse_interval("P1M").after(datetime(2027, 1, 31, 9, tzinfo=UTC))
    assert after == datetime(2027, 2, 28, 9, tzinfo=UTC)


def test_a_live_extract_waits_for_a_receipted_test_exchange(world: Accord, tmp_path: Path) -> None:
    from tests.transfer.conftest import issue_keys

    agreement = approve(
        world,
        agreement_request(
            test_exchange=True, channels=["bulk_package", "delta_sharing", "in_place_query"]
        ),
    )
    issue_keys(world)
    with pytest.raises(PermissionDenied, match="requires a test exchange before live data"):
        world.plane.extract(analyst(world), agreement.id, DATASET, tmp_path / "early")
    assert any("test exchange" in r for r in denials(world, "extract.run"))
    # In-place rows too: Delta Sharing and queries are live per-record releases.
    with pytest.raises(PermissionDenied, match="requires a test exchange"):
        world.plane.release(
            analyst(world), agreement.id, DATASET, PlaneChannel.DELTA_SHARING, action="x.y"
        )
    sql = "SELECT postcode FROM dwp_carers_allowance"
    with pytest.raises(PermissionDenied, match="requires a test exchange"):
        world.plane.query(analyst(world), agreement.id, sql)
    sent = world.transfer.send(
        world.acting_as("dwp.data", "test"), agreement.id, "nhse", tmp_path / "out", test=True
    )
    # Sent is not enough: the test package must have come back receipted.
    with pytest.raises(PermissionDenied, match="requires a test exchange"):
        world.plane.extract(analyst(world), agreement.id, DATASET, tmp_path / "early")
    world.transfer.receive(analyst(world), sent.path, tmp_path / "inbox")
    result = world.plane.extract(analyst(world), agreement.id, DATASET, tmp_path / "live")
    assert result.rows == 2
    assert world.plane.query(analyst(world), agreement.id, sql).table.num_rows == 2
    [event] = world.store.audit_events(AuditFilter(action="extract.release"))
    assert "in this schema was receipted" in event.reason


def test_in_place_channels_need_a_continuous_agreement(world: Accord, tmp_path: Path) -> None:
    agreement = approve(
        world, agreement_request(frequency="one_off", channels=["in_place_query", "delta_sharing"])
    )
    with pytest.raises(PermissionDenied, match="only a continuous agreement allows"):
        world.plane.query(analyst(world), agreement.id, "SELECT count(*) FROM dwp_carers_allowance")
    assert any("continuous" in r for r in denials(world, "query.run"))


def test_declared_territory_and_processor_are_checked_and_recorded(
    world: Accord, tmp_path: Path
) -> None:
    # A processor must be on the data owner's approved list (seed 003, paragraph 52).
    SubcontractorService(world.store).approve(
        world.acting_as("dwp.data", "test"),
        "dwp",
        ApprovalForm(
            "ifsr", "nhse", date.today(), date.today() + timedelta(days=365),
            "Security plan checked; UK hosting only; no offshore links.", no_offshore=True,
        ),
    )  # fmt: skip
    agreement = approve(world, agreement_request(processors=["ifsr"]))
    with pytest.raises(PermissionDenied, match="allows processing in 'uk' only, not 'other'"):
        world.plane.extract(
            analyst(world), agreement.id, DATASET, tmp_path / "a", declared=Declared("other")
        )
    with pytest.raises(PermissionDenied, match="'northshire' is not a processor named"):
        world.plane.extract(
            analyst(world),
            agreement.id,
            DATASET,
            tmp_path / "b",
            declared=Declared("uk", "northshire"),
        )
    world.plane.extract(
        analyst(world), agreement.id, DATASET, tmp_path / "c", declared=Declared("uk", "ifsr")
    )
    [event] = world.store.audit_events(AuditFilter(action="extract.release"))
    assert (event.details_dict["territory"], event.details_dict["processor"]) == ("uk", "ifsr")
    assert len(denials(world, "extract.run")) == 2


def test_the_recipient_must_hold_a_scheme_the_agreement_requires(world: Accord) -> None:
    agreement = approve(world, agreement_request())
    expires = date.today() + timedelta(days=30)

    def recipient(scheme: AssuranceScheme) -> Organisation:
        return Organisation(
            "nhse", "NHS England", OrgKind.HEALTH_BODY, (Assurance(scheme, "x", expires),)
        )

    today = date.today()
    essentials = recipient(AssuranceScheme.CYBER_ESSENTIALS_PLUS)
    review = standing(agreement, agreement.policy.recipient, None)
    refused = can_use(
        analyst(world), agreement, PlaneChannel.EXTRACT, essentials, today, review=review
    )
    assert not refused
    assert "requires the recipient to hold iso_27001" in refused.reason
    assert can_use(
        analyst(world),
        agreement,
        PlaneChannel.EXTRACT,
        recipient(AssuranceScheme.ISO_27001),
        today,
        review=review,
    )
    counts = policy_from_request(
        agreement_request(form="aggregate", channels=["aggregate_statistics"]),
        agreement_id="agr-1",
        version=1,
        request_id="req-1",
        tier=2,
        per_record_answers=False,
    )
    assert AssuranceScheme.CYBER_ESSENTIALS_PLUS in counts.assurance_schemes
    aggregate = replace(agreement, policy=counts)
    assert can_use(
        analyst(world), aggregate, PlaneChannel.AGGREGATE, essentials, today, review=review
    )


def test_an_extract_of_a_dataset_the_agreement_does_not_cover_is_refused_on_the_record(
    world: Accord, tmp_path: Path
) -> None:
    agreement = approve(world, agreement_request())
    with pytest.raises(PermissionDenied, match="does not cover dwp/benefit_claimants"):
        world.plane.extract(analyst(world), agreement.id, "dwp/benefit_claimants", tmp_path)
    [reason] = denials(world, "extract.run")
    assert "does not cover" in reason


def test_engine_failures_are_refused_on_the_record_without_the_data_values(
    world: Accord, tmp_path: Path
) -> None:
    agreement = approve(world, agreement_request(channels=["in_place_query", "bulk_package"]))
    with pytest.raises(ValidationError) as caught:
        world.plane.query(
            analyst(world),
            agreement.id,
            "SELECT CAST(postcode AS INTEGER) AS n FROM dwp_carers_allowance",
        )
    assert "Conversion Error" in caught.value.message
    assert "SW1A" not in caught.value.message
    assert "M1" not in caught.value.message
    [reason] = denials(world, "query.run")
    assert reason == caught.value.message
    # The source's rows gone from under the extract: refused, recorded, nothing written.
    version = world.store.get_version(DATASET)
    Path(version.location).rename(Path(version.location + ".moved"))
    with pytest.raises(EngineError, match="missing"):
        world.plane.extract(analyst(world), agreement.id, DATASET, tmp_path / "out")
    assert any("the engine failed" in r for r in denials(world, "extract.run"))
    assert not list((tmp_path / "out").glob("*.parquet"))


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "Conversion Error: Could not convert string 'E01500000' to INT32\n\nLINE 1: SELECT",
            "Conversion Error: Could not convert string '?' to INT32",
        ),
        (
            'invalid input syntax for type integer: "E01500000"',
            'invalid input syntax for type integer: "?"',
        ),
        (
            'Binder Error: Referenced column "postcod" not found; value 42 at row 7',
            'Binder Error: Referenced column "postcod" not found; value N at row N',
        ),
    ],
)
def test_engine_messages_are_scrubbed_of_values(message: str, expected: str) -> None:
    assert scrub(message, identifiers={"postcod"}) == expected


def test_a_revoked_agreement_is_refused_after_the_caller_is_checked(
    world: Accord, tmp_path: Path
) -> None:
    """Who may, before what the state allows: staff who may not use it learn nothing of
    its state."""
    agreement = approve(world, agreement_request())
    world.agreements.revoke(world.acting_as("dwp.dpo", "test"), agreement.id, "test")
    with pytest.raises(PermissionDenied, match="only a requester or analyst of 'nhse'"):
        world.plane.extract(world.acting_as("nhse.dpo", "test"), agreement.id, DATASET, tmp_path)
    with pytest.raises(PermissionDenied, match="revoked"):
        world.plane.extract(analyst(world), agreement.id, DATASET, tmp_path)
    assert len(denials(world, "extract.run")) == 2
