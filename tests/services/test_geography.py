"""``in_area`` end to end: the catalogue's postcode directory resolves a council's cohort
to its own district, on the synthetic worklessness data run in DuckDB."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from accord.core.expressions import parse_checked, to_sqlglot
from accord.core.identity import OrgKind
from accord.errors import ValidationError
from accord.services.app import Accord
from accord.services.geography import POSTCODE_DIRECTORY_TAG, area_lookup
from accord.synth import generate


def test_a_cohort_in_the_councils_areas_selects_only_its_residents(
    sqlite_accord: Accord, tmp_path: Path
) -> None:
    accord = sqlite_accord
    op = accord.operator("test")
    accord.identity.create_organisation(op, "ons", "ONS", OrgKind.GOVERNMENT_DEPARTMENT)
    accord.identity.create_organisation(op, "dwp", "DWP", OrgKind.GOVERNMENT_DEPARTMENT)
    with pytest.raises(ValidationError, match="needs a postcode directory"):
        area_lookup(accord.store, ("E06000001",))
    data = tmp_path / "data"
    generate("worklessness", scale=0.004, seed=3, out=data)
    accord.catalogue.register(
        op,
        "ons",
        "postcode_directory",
        str(data / "reference" / "postcode_directory.parquet"),
        tags=(POSTCODE_DIRECTORY_TAG,),
    )
    claimants = accord.catalogue.register(
        op, "dwp", "benefit_claimants", str(data / "benefit_claimants.parquet")
    )
    path = claimants.version.location
    districts = [
        row[0]
        for row in duckdb.sql(
            f"select la_code, count(*) from read_parquet('{path}') group by 1 order by 2 desc"
        ).fetchall()
    ]
    assert len(districts) > 1
    served = (districts[0],)
    lookup = area_lookup(accord.store, served)
    schema = {f.name: f.data_type for f in accord.store.get_dataset("dwp/benefit_claimants").fields}
    typed = parse_checked("in_area(postcode) and benefit_type is not null", schema)
    query = (
        sqlglot.select(exp.column("la_code"), exp.column("postcode"))
        .from_(exp.func("read_parquet", exp.Literal.string(path)))
        .where(to_sqlglot(typed, date(2021, 2, 17), areas=lookup))
    )
    rows = duckdb.sql(query.sql(dialect="duckdb")).fetchall()
    assert rows
    assert {la for la, _ in rows} == set(served)
    [(everyone,)] = duckdb.sql(
        f"select count(*) from read_parquet('{path}') "
        f"where la_code = '{served[0]}' and benefit_type is not null and postcode is not null"
    ).fetchall()
    assert len(rows) == everyone


def test_the_plane_compiles_an_agreed_in_area_cohort_to_the_recipients_districts(
    sqlite_accord: Accord, tmp_path: Path
) -> None:
    """An approved cohort ``in_area(postcode)`` runs: the data plane resolves it with the
    catalogue's postcode directory and the recipient's declared districts."""
    from datetime import UTC, datetime, timedelta

    from accord.core.governance.agreement import policy_from_request
    from accord.core.governance.records import AgreementRecord
    from accord.core.governance.request import SharingRequest
    from accord.core.governance.workflow import AgreementState

    accord = sqlite_accord
    op = accord.operator("test")
    accord.identity.create_organisation(op, "ons", "ONS", OrgKind.GOVERNMENT_DEPARTMENT)
    accord.identity.create_organisation(op, "dwp", "DWP", OrgKind.GOVERNMENT_DEPARTMENT)
    accord.identity.create_organisation(op, "council", "Council", OrgKind.LOCAL_AUTHORITY)
    data = tmp_path / "data"
    generate("worklessness", scale=0.004, seed=3, out=data)
    accord.catalogue.register(
        op,
        "ons",
        "postcode_directory",
        str(data / "reference" / "postcode_directory.parquet"),
        tags=(POSTCODE_DIRECTORY_TAG,),
    )
    claimants = accord.catalogue.register(
        op, "dwp", "benefit_claimants", str(data / "benefit_claimants.parquet")
    )
    path = claimants.version.location
    [(district,)] = duckdb.sql(
        f"select la_code from read_parquet('{path}') group by 1 order by count(*) desc limit 1"
    ).fetchall()
    accord.identity.set_areas(op, "council", (district,))
    today = date.today()
    document = SharingRequest.parse(
        {
            "title": "Residents claiming benefits",
            "requesting_organisation": "council",
            "requester": "council.officer",
            "purpose_category": "strategic_planning",
            "purpose": "Plan local employment support for residents",
            "datasets": [
                {
                    "dataset": "dwp/benefit_claimants",
                    "fields": [{"name": "la_code"}, {"name": "benefit_type"}],
                    "cohort": "in_area(postcode)",
                }
            ],
            "form": "pseudonymised",
            "channels": ["in_place_query"],
            "frequency": "continuous",
            "start_date": str(today - timedelta(days=1)),
            "end_date": str(today + timedelta(days=30)),
        }
    )
    policy = policy_from_request(
        document,
        agreement_id="agr-1",
        version=1,
        request_id="req-1",
        tier=3,
        per_record_answers=False,
    )
    now = datetime.now(UTC)
    agreement = AgreementRecord(
        "agr-1", 1, AgreementState.ACTIVE, policy, "req-1", "{}", (), now, now
    )
    plan, _, _ = accord.plane._plan(agreement, "dwp/benefit_claimants")
    con = duckdb.connect()
    con.sql(f"create view accord_source as select * from read_parquet('{path}')")
    con.sql("create table accord_opt_outs (identifier varchar)")
    rows = con.sql(plan.sql("duckdb")).fetchall()
    assert rows
    assert {row[0] for row in rows} == {district}
