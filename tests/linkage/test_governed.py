"""Linkage as a governed data-plane channel: a recipient links its records to an
agreement's view, and only the audited match table leaves."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import delete

from accord.core.governance.records import AgreementRecord
from accord.errors import AuditError, NotFoundError, PermissionDenied, ValidationError
from accord.linkage.service import MATCH_COLUMNS
from accord.services.app import Accord
from accord.services.linkage import GovernedView, OwnDataset, SuppliedData
from accord.settings import load_settings
from accord.store import AuditFilter
from accord.store.models import AuditHeadRow
from tests.governance.conftest import build_world
from tests.linkage.conftest import Carers, pairs, precision_recall
from tests.plane.conftest import agreement_request, approve

DOMAIN = "carers-2021"
DATASET = "dwp/ca_synth"
KEEP = ("forename", "surname", "date_of_birth", "postcode", "address_line_1", "sex")


def _fields(extra: tuple[str, ...] = ()) -> list[dict[str, object]]:
    fields: list[dict[str, object]] = [
        {
            "name": "nino",
            "justification": "link",
            "transform": {"kind": "pseudonymise", "argument": DOMAIN},
        }
    ]
    for name in (*KEEP, *extra):
        fields.append({"name": name, "justification": "link", "transform": {"kind": "keep"}})
    return fields


def _agreement(world: Accord, title: str, channels: list[str], **dataset: object):
    datasets = [{"dataset": DATASET, "fields": _fields(), **dataset}]
    return approve(world, agreement_request(title=title, channels=channels, datasets=datasets))


@dataclass
class Governed:
    world: Accord
    agreement: AgreementRecord
    register: Path
    truth: frozenset[tuple[str, str]]
    """(NHS number, pseudonymised NINO) of every carer on the register."""
    opted_out: frozenset[str]
    """Pseudonyms of the carers on the owner's opt-out register."""


@pytest.fixture(scope="module")
def governed(carers: Carers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Governed]:
    base = tmp_path_factory.mktemp("governed")
    world = build_world(
        Accord.init(load_settings({"ACCORD_HOME": str(base / "home")}), operator="test"), base
    )
    world.catalogue.register(world.operator("test"), "dwp", "ca_synth", str(carers.carers))
    # The health body's register: every carer on it, and 3,000 other patients.
    register = base / "register.parquet"
    wanted = ", ".join(f"'{nhs}'" for _, nhs in carers.truth)
    with duckdb.connect() as connection:
        connection.execute(
            f"COPY (SELECT * FROM '{carers.register}' WHERE nhs_number IN ({wanted}) UNION ALL "
            f"(SELECT * FROM '{carers.register}' WHERE nhs_number NOT IN ({wanted}) "
            f"ORDER BY hash(nhs_number) LIMIT 3000)) TO '{register}'"
        )
    ninos = sorted(nino for nino, _ in carers.truth)[:25]
    world.plane.add_opt_outs(world.acting_as("dwp.data", "test"), "dwp", "nino", ninos)
    agreement = _agreement(world, "Link carers", ["bulk_package"])
    world.plane.domains.ensure(DOMAIN)
    key = world.plane.domains.key(DOMAIN).material

    def pseudonym(nino: str) -> str:
        return hmac.new(key, nino.encode(), hashlib.sha256).hexdigest()

    truth = frozenset((nhs, pseudonym(nino)) for nino, nhs in carers.truth if nino not in ninos)
    try:
        yield Governed(world, agreement, register, truth, frozenset(pseudonym(n) for n in ninos))
    finally:
        world.close()


def analyst(world: Accord):  # type: ignore[no-untyped-def]
    return world.acting_as("nhse.analyst", "test")


@pytest.fixture(scope="module")
def released(governed: Governed, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("released")
    return governed.world.linkage.link(
        analyst(governed.world),
        governed.agreement.id,
        DATASET,
        SuppliedData(governed.register, "nhs_number"),
        out,
    )


def test_a_recipient_links_its_records_to_the_governed_view(governed: Governed, released) -> None:  # type: ignore[no-untyped-def]
    table = pq.read_table(released.path)
    assert tuple(table.column_names) == MATCH_COLUMNS
    assert released.view_id == "nino"
    precision, recall = precision_recall(pairs(table), governed.truth)
    assert precision >= 0.99
    assert recall >= 0.95
    assert released.sha256 == hashlib.sha256(released.path.read_bytes()).hexdigest()
    # Only the match table and its manifest were written.
    assert sorted(p.name for p in released.path.parent.iterdir()) == sorted(
        [released.path.name, released.manifest_path.name]
    )
    manifest = json.loads(released.manifest_path.read_text())
    assert manifest["rows"] == table.num_rows
    assert manifest["sha256"] == released.sha256
    assert manifest["opt_outs_applied"] is True


def test_the_release_is_audited_with_agreement_rows_digest_and_parameters(
    governed: Governed, released
) -> None:  # type: ignore[no-untyped-def]
    [event] = governed.world.store.audit_events(AuditFilter(action="link.release", limit=1))
    details = event.details_dict
    assert event.object == f"agreement:{governed.agreement.id}:v{governed.agreement.version}"
    assert details["agreement_version"] == governed.agreement.version
    assert details["rows_out"] == released.rows
    assert details["output_sha256"] == released.sha256
    assert details["parameters"]["threshold"] == 0.9
    assert details["parameters"]["engine"] == "duckdb"
    assert details["summary"]["matched"] == released.rows
    assert details["recipient"] == {"kind": "supplied", "id_column": "nhs_number"}


def test_opted_out_people_are_never_linked(governed: Governed, released) -> None:  # type: ignore[no-untyped-def]
    right = set(pq.read_table(released.path).column("right_id").to_pylist())
    assert right
    assert not right & governed.opted_out


def test_fields_the_agreement_changes_are_not_compared(governed: Governed, tmp_path: Path) -> None:
    generalised = approve(
        governed.world,
        agreement_request(
            title="Generalised date of birth",
            channels=["in_place_query"],
            datasets=[
                {
                    "dataset": DATASET,
                    "fields": [
                        *[f for f in _fields() if f["name"] != "date_of_birth"],
                        {
                            "name": "date_of_birth",
                            "justification": "age",
                            "transform": {"kind": "generalise", "argument": "year"},
                        },
                    ],
                }
            ],
        ),
    )
    release = governed.world.linkage.link(
        analyst(governed.world),
        generalised.id,
        DATASET,
        SuppliedData(governed.register, "nhs_number"),
        tmp_path,
    )
    assert "dob" not in release.result.features
    assert "given_name" in release.result.features


def test_the_recipient_may_link_a_catalogue_dataset_of_its_own(
    governed: Governed, tmp_path: Path
) -> None:
    world = governed.world
    world.catalogue.register(world.operator("test"), "nhse", "register", str(governed.register))
    release = world.linkage.link(
        analyst(world),
        governed.agreement.id,
        DATASET,
        OwnDataset("nhse/register", "nhs_number"),
        tmp_path,
    )
    precision, recall = precision_recall(pairs(pq.read_table(release.path)), governed.truth)
    assert precision >= 0.99
    assert recall >= 0.95


def test_another_organisations_dataset_is_refused_on_the_record(
    governed: Governed, tmp_path: Path
) -> None:
    world = governed.world
    with pytest.raises(PermissionDenied, match="belongs to dwp"):
        world.linkage.link(
            analyst(world),
            governed.agreement.id,
            DATASET,
            OwnDataset("dwp/benefit_claimants", "nino"),
            tmp_path,
        )
    [event] = world.store.audit_events(AuditFilter(action="link.run", decision="deny", limit=1))
    assert "not to the recipient nhse" in event.reason
    assert list(tmp_path.iterdir()) == []


def test_an_agreement_without_per_record_release_refuses_linkage(
    governed: Governed, tmp_path: Path
) -> None:
    world = governed.world
    statistical = _agreement(world, "Counts only", ["aggregate_statistics"])
    with pytest.raises(PermissionDenied, match="does not allow the link channel"):
        world.linkage.link(
            analyst(world),
            statistical.id,
            DATASET,
            SuppliedData(governed.register, "nhs_number"),
            tmp_path,
        )
    [event] = world.store.audit_events(AuditFilter(action="link.run", decision="deny", limit=1))
    assert "does not allow the link channel" in event.reason
    assert list(tmp_path.iterdir()) == []


def test_another_organisations_agreement_is_not_found(governed: Governed, tmp_path: Path) -> None:
    world = governed.world
    with pytest.raises(NotFoundError):
        world.linkage.link(
            world.acting_as("northshire.officer", "test"),
            governed.agreement.id,
            DATASET,
            SuppliedData(governed.register, "nhs_number"),
            tmp_path,
        )
    [event] = world.store.audit_events(AuditFilter(action="link.run", decision="deny", limit=1))
    assert "answered as not found" in event.reason


@pytest.mark.parametrize(
    ("kwargs", "recipient_id", "message"),
    [
        ({"view_id": "weekly_amount"}, "nhs_number", "view_id"),
        ({}, "no_such_column", "recipient id_column"),
    ],
)
def test_bad_ids_are_refused_naming_the_field(
    governed: Governed, tmp_path: Path, kwargs: dict[str, str], recipient_id: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        governed.world.linkage.link(
            analyst(governed.world),
            governed.agreement.id,
            DATASET,
            SuppliedData(governed.register, recipient_id),
            tmp_path,
            **kwargs,  # type: ignore[arg-type]
        )


def test_two_governed_views_link_inside_a_trust(governed: Governed, tmp_path: Path) -> None:
    """The same people under two agreements: each view's pseudonyms link to the other's."""
    world = governed.world
    second = _agreement(world, "Second view", ["in_place_query"])
    release = world.linkage.link(
        analyst(world),
        governed.agreement.id,
        DATASET,
        GovernedView(second.id, DATASET),
        tmp_path,
    )
    table = pq.read_table(release.path)
    assert table.num_rows > 0
    assert table.column("left_id").to_pylist() == table.column("right_id").to_pylist()
    events = world.store.audit_events(AuditFilter(action="link.release", limit=2))
    assert {e.object.split(":")[1] for e in events} == {governed.agreement.id, second.id}


def test_the_api_releases_the_match_table_of_an_own_dataset(governed: Governed) -> None:
    from fastapi.testclient import TestClient

    from accord.api.app import create_app

    world = governed.world
    if "nhse/register" not in {d.id for d in world.store.list_datasets()}:
        world.catalogue.register(world.operator("test"), "nhse", "register", str(governed.register))
    token = world.identity.issue_token(world.operator("test"), "nhse.analyst", ttl_days=1)[1]
    client = TestClient(create_app(world))
    response = client.post(
        f"/agreements/{governed.agreement.id}/links/dwp/ca_synth",
        json={"recipient_dataset": "nhse/register", "recipient_id": "nhs_number"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["X-Accord-Sha256"] == hashlib.sha256(response.content).hexdigest()
    table = pq.read_table(pa.BufferReader(response.content))
    precision, recall = precision_recall(pairs(table), governed.truth)
    assert precision >= 0.99
    assert recall >= 0.95


def test_the_cli_links_a_supplied_file(
    governed: Governed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from accord.cli.main import app

    monkeypatch.setenv("ACCORD_HOME", str(governed.world.home))
    args = ["link-agreement", governed.agreement.id, DATASET, "--as", "nhse.analyst"]
    result = CliRunner().invoke(
        app,
        [*args, "--id", "nhs_number", "--file", str(governed.register), "--out", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    [matches] = tmp_path.glob("*.matches.parquet")
    precision, recall = precision_recall(pairs(pq.read_table(matches)), governed.truth)
    assert precision >= 0.99
    assert recall >= 0.95
    refused = CliRunner().invoke(app, [*args, "--id", "nhs_number", "--out", str(tmp_path)])
    assert refused.exit_code != 0
    assert "exactly one of --own" in refused.output


def test_no_audit_no_release(governed: Governed, tmp_path: Path) -> None:
    world = governed.world
    original = world.store.record

    def record(event):  # type: ignore[no-untyped-def]
        if event.action == "link.release":
            with world.store.engine.begin() as conn:
                conn.execute(delete(AuditHeadRow))
        return original(event)

    world.store.record = record  # type: ignore[method-assign]
    try:
        with pytest.raises(AuditError):
            world.linkage.link(
                analyst(world),
                governed.agreement.id,
                DATASET,
                SuppliedData(governed.register, "nhs_number"),
                tmp_path,
            )
    finally:
        world.store.record = original  # type: ignore[method-assign]
    assert list(tmp_path.iterdir()) == []
