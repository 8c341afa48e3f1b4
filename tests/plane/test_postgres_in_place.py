"""A dataset held in PostgreSQL is extracted in place, under the same agreement rules."""

from __future__ import annotations

import hmac
from pathlib import Path

import psycopg
import pyarrow.parquet as pq
import pytest

from accord.core.governance.records import AgreementRecord
from accord.core.vocabulary import SemanticType as S
from accord.services.app import Accord
from tests.plane.conftest import agreement_request, approve

pytestmark = pytest.mark.postgres


def test_extract_from_a_postgresql_table_in_place(
    plane_world: tuple[Accord, AgreementRecord], postgres_database: str, tmp_path: Path
) -> None:
    world, _ = plane_world
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE carers (nino text, date_of_birth date, postcode text, "
            "weekly_amount double precision, surname text)"
        )
        conn.execute(
            "INSERT INTO carers VALUES ('AB123456C', '1961-04-12', 'SW1A 1AA', 81.9, 'Jones'), "
            "('CE654321A', '1958-11-30', 'M1 1AE', 60.0, 'Smith'), "
            "('JG103759A', '1975-02-03', 'B33 8TH', 20.0, 'Khan')"
        )
    world.catalogue.register(
        world.operator("test"),
        "dwp",
        "carers_pg",
        f"{postgres_database}#public.carers",
        tags=("benefits",),
        overrides={"weekly_amount": S.AMOUNT},
    )
    request = agreement_request(title="From PostgreSQL")
    document = request.model_dump(mode="json")
    document["datasets"][0]["dataset"] = "dwp/carers_pg"
    agreement = approve(world, type(request).model_validate(document))
    world.plane.add_opt_outs(world.operator("test"), "dwp", "nino", ["CE654321A"])
    result = world.plane.extract(
        world.acting_as("nhse.analyst", "test"), agreement.id, "dwp/carers_pg", tmp_path
    )
    rows = pq.read_table(result.path).to_pylist()
    key = world.plane.domains.key("carers-2021").material
    # The cohort keeps weekly_amount > 50; the opt-out removes CE654321A.
    assert rows == [
        {
            "nino": hmac.new(key, b"AB123456C", "sha256").hexdigest(),
            "date_of_birth": 1961,
            "postcode": "SW1A",
            "weekly_amount": True,
        }
    ]


def test_eligibility_check_against_a_postgresql_table(
    plane_world: tuple[Accord, AgreementRecord], postgres_database: str
) -> None:
    from tests.plane.test_query_and_check import eligibility_request

    world, _ = plane_world
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        conn.execute("CREATE TABLE claimants (nino text, benefit text)")
        conn.execute("INSERT INTO claimants VALUES ('AB123456C', 'IS'), ('CE654321A', 'JSA')")
    world.catalogue.register(
        world.operator("test"), "dwp", "claimants_pg", f"{postgres_database}#public.claimants"
    )
    request = eligibility_request()
    document = request.model_dump(mode="json")
    document["datasets"][0]["dataset"] = "dwp/claimants_pg"
    officer = world.acting_as("northshire.officer", "test")
    created = world.requests.create(officer, type(request).model_validate(document))
    world.requests.submit(officer, created.id)
    world.requests.start_review(world.acting_as("dwp.data", "test"), created.id)
    for who in ("dwp.data", "dwp.dpo", "dwp.legal"):
        outcome = world.requests.approve(world.acting_as(who, "test"), created.id)
    assert outcome.agreement is not None
    answers = world.plane.check(
        officer,
        outcome.agreement.id,
        "dwp/claimants_pg",
        ["ab 12 34 56 c", "CE654321A", "JG103759A"],
    )
    # The cohort is benefit = 'IS': CE654321A is on JSA.
    assert answers == {"ab 12 34 56 c": True, "CE654321A": False, "JG103759A": False}
