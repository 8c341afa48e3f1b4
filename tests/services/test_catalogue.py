"""Registering and ingesting datasets: validated, versioned, all or nothing, audited."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from accord.core.catalogue import SourceKind
from accord.core.identity import Membership, OrgKind, PrincipalKind, Role
from accord.core.vocabulary import Category, SemanticType
from accord.errors import ConflictError, PermissionDenied, ValidationError
from accord.services.app import Accord
from accord.store import AuditFilter

HEADER = ["nino", "forename", "surname", "date_of_birth", "postcode", "weekly_amount"]
ROWS = [
    ["AB123456C", "Mary", "Jones", "1961-04-12", "SW1A 1AA", "81.90"],
    ["CE654321A", "John", "Smith", "1958-11-30", "M1 1AE", "81.90"],
    ["JG103759A", "Aisha", "Khan", "1975-02-03", "B33 8TH", "76.75"],
    ["HR582749D", "Tom", "Evans", "1990-07-21", "CR2 6XH", "81.90"],
]


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def published(accord: Accord) -> Accord:
    op = accord.operator("test")
    accord.identity.create_organisation(op, "dwp", "DWP", OrgKind.GOVERNMENT_DEPARTMENT)
    accord.identity.create_organisation(op, "nhse", "NHS England", OrgKind.HEALTH_BODY)
    accord.identity.create_principal(
        op, "owner", "Owner", PrincipalKind.PERSON, (Membership("dwp", Role.DATA_OWNER),)
    )
    accord.identity.create_principal(
        op, "bob", "Bob", PrincipalKind.PERSON, (Membership("nhse", Role.REQUESTER),)
    )
    return accord


def test_register_infers_schema_suggests_types_and_stores_a_version(
    published: Accord, tmp_path: Path
) -> None:
    source = write_csv(tmp_path / "carers.csv", ROWS)
    report = published.catalogue.register(
        published.operator(),
        "dwp",
        "carers",
        str(source),
        description="Carer's Allowance",
        tags=("carers",),
    )
    dataset = report.dataset
    assert dataset.id == "dwp/carers"
    assert dataset.latest_version == 1
    assert report.version.row_count == 4
    nino = dataset.field("nino")
    assert nino.semantic_type is SemanticType.NINO
    assert nino.category is Category.DIRECT_IDENTIFIER
    assert not nino.confirmed
    assert dataset.field("postcode").semantic_type is SemanticType.POSTCODE
    stored = pq.read_table(report.version.location)
    assert stored.num_rows == 4
    assert Path(report.version.location).is_relative_to(published.home)


def test_strict_mode_refuses_the_whole_file_and_commits_nothing(
    published: Accord, tmp_path: Path
) -> None:
    bad = [*ROWS[:2], ["QQ123456Z", "Ann", "Lee", "1980-01-01", "SW1A 1AA", "81.90"], ROWS[3]]
    source = write_csv(tmp_path / "bad.csv", bad)
    with pytest.raises(ValidationError) as refused:
        published.catalogue.register(published.operator(), "dwp", "carers", str(source))
    problem = refused.value.problems[0]
    assert (problem.row, problem.column) == (4, "nino")
    assert published.store.list_datasets() == []
    assert not (published.home / "data" / "dwp").exists() or not any(
        (published.home / "data" / "dwp").rglob("*.parquet")
    )
    [event] = published.store.audit_events(AuditFilter(action="dataset.register", decision="deny"))
    assert "nothing was committed" in event.reason
    assert event.details_dict["problems"][0]["row"] == 4


def test_lenient_mode_quarantines_bad_rows_and_loads_the_rest(
    published: Accord, tmp_path: Path
) -> None:
    bad = [*ROWS[:2], ["QQ123456Z", "Ann", "Lee", "1980-01-01", "SW1A 1AA", "81.90"], ROWS[3]]
    source = write_csv(tmp_path / "bad.csv", bad)
    report = published.catalogue.register(
        published.operator(), "dwp", "carers", str(source), lenient=True
    )
    assert report.version.row_count == 3
    assert report.version.quarantined_rows == 1
    assert report.quarantine is not None
    quarantined = report.quarantine.read_text()
    assert "QQ123456Z" in quarantined


def test_reingesting_identical_content_is_detected(published: Accord, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "carers.csv", ROWS)
    published.catalogue.register(published.operator(), "dwp", "carers", str(source))
    again = published.catalogue.ingest(published.operator(), "dwp/carers", str(source))
    assert again.unchanged
    assert again.version.number == 1
    changed = published.catalogue.ingest(
        published.operator(), "dwp/carers", str(write_csv(tmp_path / "v2.csv", ROWS[:3]))
    )
    assert not changed.unchanged
    assert changed.version.number == 2
    assert [v.number for v in published.store.list_versions("dwp/carers")] == [1, 2]


def test_a_version_must_match_the_registered_schema(published: Accord, tmp_path: Path) -> None:
    published.catalogue.register(
        published.operator(), "dwp", "carers", str(write_csv(tmp_path / "a.csv", ROWS))
    )
    other = write_csv(tmp_path / "b.csv", [r[:5] for r in ROWS], HEADER[:5])
    with pytest.raises(ValidationError):
        published.catalogue.ingest(published.operator(), "dwp/carers", str(other))
    assert published.store.get_dataset("dwp/carers").latest_version == 1


def test_parquet_and_duckdb_sources(published: Accord, tmp_path: Path) -> None:
    table = pa.table({h: [r[i] for r in ROWS] for i, h in enumerate(HEADER)})
    pq.write_table(table, tmp_path / "carers.parquet")
    report = published.catalogue.register(
        published.operator(), "dwp", "carers_pq", str(tmp_path / "carers.parquet")
    )
    assert report.version.row_count == 4
    database = tmp_path / "dwp.duckdb"
    with duckdb.connect(str(database)) as con:
        con.register("rows_view", table)
        con.execute("CREATE TABLE carers AS SELECT * FROM rows_view")
    inplace = published.catalogue.register(
        published.operator(), "dwp", "carers_db", f"duckdb:{database}#carers"
    )
    assert inplace.dataset.source_kind is SourceKind.DUCKDB
    assert inplace.version.row_count == 4
    assert inplace.version.location.startswith("duckdb:")


def test_only_the_data_owner_publishes_and_anyone_known_searches(
    published: Accord, tmp_path: Path
) -> None:
    source = write_csv(tmp_path / "carers.csv", ROWS)
    bob_secret = published.identity.issue_token(published.operator(), "bob")[1]
    bob = published.identity.authenticate(bob_secret, "test", published.platform_org)
    with pytest.raises(PermissionDenied):
        published.catalogue.register(bob, "dwp", "carers", str(source))
    owner = published.identity.authenticate(
        published.identity.issue_token(published.operator(), "owner")[1],
        "t",
        published.platform_org,
    )
    published.catalogue.register(
        owner,
        "dwp",
        "carers",
        str(source),
        description="Recipients of Carer's Allowance",
        tags=("benefits",),
    )
    assert [d.id for d in published.catalogue.search(bob, "carer allowance")] == ["dwp/carers"]
    assert [d.id for d in published.catalogue.search(bob, "postcode")] == ["dwp/carers"]
    assert [d.id for d in published.catalogue.search(bob, "benefits")] == ["dwp/carers"]
    assert published.catalogue.search(bob, "vaccination") == []
    with pytest.raises(PermissionDenied):
        published.catalogue.classify(bob, "dwp/carers", "nino", category=Category.PERSONAL)


def test_the_owner_confirms_or_overrides_suggestions(published: Accord, tmp_path: Path) -> None:
    published.catalogue.register(
        published.operator(), "dwp", "carers", str(write_csv(tmp_path / "c.csv", ROWS))
    )
    dataset = published.catalogue.classify(
        published.operator(),
        "dwp/carers",
        "weekly_amount",
        semantic_type=SemanticType.AMOUNT,
        category=Category.PERSONAL,
    )
    spec = dataset.field("weekly_amount")
    assert (spec.semantic_type, spec.category, spec.confirmed) == (
        SemanticType.AMOUNT,
        Category.PERSONAL,
        True,
    )
    [event] = published.store.audit_events(AuditFilter(action="dataset.classify"))
    assert event.details_dict["field"] == "weekly_amount"


def test_registering_twice_conflicts(published: Accord, tmp_path: Path) -> None:
    source = str(write_csv(tmp_path / "c.csv", ROWS))
    first = published.catalogue.register(published.operator(), "dwp", "carers", source)
    with pytest.raises(ConflictError):
        published.catalogue.register(published.operator(), "dwp", "carers", source)
    assert published.store.get_dataset("dwp/carers").latest_version == 1
    assert pq.read_table(first.version.location).num_rows == 4


def test_an_in_place_table_with_bad_rows_is_refused_even_when_lenient(
    published: Accord, tmp_path: Path
) -> None:
    database = tmp_path / "dwp.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("CREATE TABLE carers (nino VARCHAR, postcode VARCHAR)")
        con.execute("INSERT INTO carers VALUES ('AB123456C', 'SW1A 1AA'), ('QQ123456Z', 'M1 1AE')")
    for lenient in (False, True):
        with pytest.raises(ValidationError, match="row 2"):
            published.catalogue.register(
                published.operator(), "dwp", "carers", f"duckdb:{database}#carers", lenient=lenient
            )
    assert published.store.list_datasets() == []
