"""The extract channel: exactly what the agreement allows, audited before release."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import delete

from accord.core.governance.records import AgreementRecord
from accord.errors import AuditError, NotFoundError, PermissionDenied
from accord.services.app import Accord
from accord.store import AuditFilter
from accord.store.models import AuditHeadRow

World = tuple[Accord, AgreementRecord]


def analyst(world: Accord):  # type: ignore[no-untyped-def]
    return world.acting_as("nhse.analyst", "test")


def test_the_extract_releases_exactly_the_agreed_fields(plane_world: World, tmp_path: Path) -> None:
    world, agreement = plane_world
    result = world.plane.extract(
        analyst(world), agreement.id, "dwp/carers_allowance", tmp_path / "out"
    )
    table = pq.read_table(result.path)
    assert table.column_names == ["nino", "date_of_birth", "postcode", "weekly_amount"]
    rows = {r["postcode"]: r for r in table.to_pylist()}
    assert rows["SW1A"]["date_of_birth"] == 1961
    assert rows["SW1A"]["weekly_amount"] is True
    key = world.plane.domains.key("carers-2021").material
    assert rows["SW1A"]["nino"] == hmac.new(key, b"AB123456C", "sha256").hexdigest()
    manifest = json.loads(result.manifest_path.read_text())
    assert manifest["rows"] == result.rows == 2
    assert hashlib.sha256(result.path.read_bytes()).hexdigest() == result.sha256
    assert manifest["sha256"] == result.sha256
    [event] = world.store.audit_events(AuditFilter(action="extract.release"))
    assert event.details_dict["output_sha256"] == result.sha256
    assert event.details_dict["rows_out"] == 2
    assert event.details_dict["agreement_version"] == 1


def test_opted_out_people_never_appear(plane_world: World, tmp_path: Path) -> None:
    world, agreement = plane_world
    world.plane.add_opt_outs(world.operator("test"), "dwp", "nino", ["ab 12 34 56 c"])
    result = world.plane.extract(analyst(world), agreement.id, "dwp/carers_allowance", tmp_path)
    assert [r["postcode"] for r in pq.read_table(result.path).to_pylist()] == ["M1"]


def test_the_cohort_filter_selects_rows(plane_world: World, tmp_path: Path) -> None:
    world, _ = plane_world
    from tests.plane.conftest import agreement_request, approve

    narrow = agreement_request(title="Only the higher rate")
    document = narrow.model_dump(mode="json")
    document["datasets"][0]["cohort"] = "weekly_amount > 90"
    narrower = approve(world, type(narrow).model_validate(document))
    result = world.plane.extract(analyst(world), narrower.id, "dwp/carers_allowance", tmp_path)
    assert result.rows == 0
    assert pq.read_table(result.path).num_rows == 0


@pytest.mark.parametrize("action", ["suspend", "revoke"])
def test_a_suspended_or_revoked_agreement_is_refused(
    plane_world: World, tmp_path: Path, action: str
) -> None:
    world, agreement = plane_world
    getattr(world.agreements, action)(world.acting_as("dwp.dpo", "test"), agreement.id, "test")
    with pytest.raises(PermissionDenied, match=r"suspended|revoked"):
        world.plane.extract(analyst(world), agreement.id, "dwp/carers_allowance", tmp_path)
    assert not list(tmp_path.glob("*.parquet"))


def test_an_expired_agreement_is_refused(plane_world: World, tmp_path: Path) -> None:
    world, agreement = plane_world
    from datetime import timedelta

    now = world.store.clock()
    world.store.clock = lambda: now + timedelta(days=120)
    with pytest.raises(PermissionDenied, match=r"expired|ended"):
        world.plane.extract(analyst(world), agreement.id, "dwp/carers_allowance", tmp_path)


def test_another_organisations_agreement_answers_as_not_found(
    plane_world: World, tmp_path: Path
) -> None:
    world, agreement = plane_world
    with pytest.raises(NotFoundError):
        world.plane.extract(
            world.acting_as("northshire.officer", "test"),
            agreement.id,
            "dwp/carers_allowance",
            tmp_path,
        )
    [event] = world.store.audit_events(AuditFilter(action="extract.run", decision="deny"))
    assert "not its recipient" in event.reason


def test_another_organisations_agreement_and_a_missing_one_answer_identically(
    plane_world: World, tmp_path: Path
) -> None:
    """Same exception, same message: nothing says which ids exist; both are audited."""
    world, agreement = plane_world
    outsider = world.acting_as("northshire.officer", "test")
    answers = []
    for agreement_id in (agreement.id, "agr-00000000"):
        with pytest.raises(NotFoundError) as caught:
            world.plane.extract(outsider, agreement_id, "dwp/carers_allowance", tmp_path)
        answers.append((type(caught.value), caught.value.message.replace(agreement_id, "ID")))
    assert answers[0] == answers[1]
    denied = world.store.audit_events(AuditFilter(action="extract.run", decision="deny"))
    assert len(denied) == 2


def test_no_audit_no_release(plane_world: World, tmp_path: Path) -> None:
    world, agreement = plane_world
    world.plane._plan(agreement, "dwp/carers_allowance")  # warm the plan cache
    out = tmp_path / "out"

    # The release event is written with the delivery it counts, in one transaction.
    original = world.store.record_delivery

    def record_delivery(*args, audit):  # type: ignore[no-untyped-def]
        if audit.action == "extract.release":
            with world.store.engine.begin() as conn:
                conn.execute(delete(AuditHeadRow))
        return original(*args, audit=audit)

    world.store.record_delivery = record_delivery  # type: ignore[method-assign]
    with pytest.raises(AuditError):
        world.plane.extract(analyst(world), agreement.id, "dwp/carers_allowance", out)
    assert list(out.iterdir()) == []


def test_pseudonyms_link_within_a_domain_and_not_across(plane_world: World, tmp_path: Path) -> None:
    """The same person pseudonymised from two datasets in one domain gets one pseudonym;
    in another domain, a different one."""
    from tests.plane.conftest import agreement_request, approve

    world, first = plane_world
    second_request = agreement_request(title="Claimants, same domain")
    document = second_request.model_dump(mode="json")
    document["datasets"] = [
        {
            "dataset": "dwp/benefit_claimants",
            "fields": [
                {
                    "name": "nino",
                    "justification": "link",
                    "transform": {"kind": "pseudonymise", "argument": "carers-2021"},
                },
            ],
        }
    ]
    same = approve(world, type(second_request).model_validate(document))
    document["datasets"][0]["fields"][0]["transform"]["argument"] = "another-domain"
    document["title"] = "Claimants, another domain"
    other = approve(world, type(second_request).model_validate(document))
    extract = world.plane.extract
    carers = set(
        pq.read_table(
            extract(analyst(world), first.id, "dwp/carers_allowance", tmp_path / "a").path
        )
        .column("nino")
        .to_pylist()
    )
    linked = set(
        pq.read_table(
            extract(analyst(world), same.id, "dwp/benefit_claimants", tmp_path / "b").path
        )
        .column("nino")
        .to_pylist()
    )
    unlinked = set(
        pq.read_table(
            extract(analyst(world), other.id, "dwp/benefit_claimants", tmp_path / "c").path
        )
        .column("nino")
        .to_pylist()
    )
    assert carers == linked
    assert not carers & unlinked
