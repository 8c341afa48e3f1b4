"""The SQL a plan renders for each dialect, pinned: a change to the compiler shows here."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlglot import exp

from accord.core.catalogue import Dataset, FieldSpec, SourceKind
from accord.core.expressions import check, parse, to_sqlglot
from accord.core.governance.agreement import AgreementPolicy, DatasetPolicy, FieldPolicy
from accord.core.governance.request import Channel, PurposeCategory, Transform
from accord.core.governance.request import TransformKind as K
from accord.core.plan.compiler import OptOutFilter, Plan, compile_plan
from accord.core.vocabulary import Category as C
from accord.core.vocabulary import DataType as D
from accord.core.vocabulary import SemanticType as S

SNAPSHOTS = Path(__file__).parent / "snapshots"
DIALECTS = ("duckdb", "postgres", "spark")


def plan() -> Plan:
    dataset = Dataset(
        "dwp/ca",
        "dwp",
        "ca",
        "",
        (
            FieldSpec("nino", D.VARCHAR, C.DIRECT_IDENTIFIER, S.NINO),
            FieldSpec("date_of_birth", D.DATE, C.QUASI_IDENTIFIER, S.DATE_OF_BIRTH),
            FieldSpec("postcode", D.VARCHAR, C.QUASI_IDENTIFIER, S.POSTCODE),
            FieldSpec("weekly_amount", D.DOUBLE, C.PERSONAL, S.AMOUNT),
            FieldSpec("notes", D.VARCHAR, C.PERSONAL, S.FREE_TEXT),
        ),
        SourceKind.FILE,
        "x",
    )
    fields = (
        FieldPolicy(name="nino", transform=Transform(kind=K.PSEUDONYMISE, argument="d1")),
        FieldPolicy(name="date_of_birth", transform=Transform(kind=K.GENERALISE, argument="year")),
        FieldPolicy(name="postcode", transform=Transform(kind=K.GENERALISE, argument="district")),
        FieldPolicy(
            name="weekly_amount", transform=Transform(kind=K.FLAG, argument="weekly_amount > 70")
        ),
        FieldPolicy(name="notes", transform=Transform(kind=K.TRUNCATE, argument="10")),
    )
    policy = AgreementPolicy(
        id="agr-1",
        version=1,
        request_id="r",
        title="t",
        tier=5,
        data_owners=("dwp",),
        recipient="nhse",
        purpose_category=PurposeCategory.RESEARCH,
        purpose="p",
        datasets=(DatasetPolicy(dataset="dwp/ca", fields=fields, cohort="weekly_amount > 50"),),
        channels=(Channel.BULK_PACKAGE,),
        valid_from=date(2026, 1, 1),
        valid_to=date(2027, 1, 1),
    )
    schema = {f.name: f.data_type for f in dataset.fields}
    reference = date(2026, 1, 1)
    return compile_plan(
        policy,
        dataset,
        3,
        source=exp.table_("accord_source", quoted=True),
        reference_date=reference,
        cohort=to_sqlglot(check(parse("weekly_amount > 50"), schema), reference),
        flags={"weekly_amount": to_sqlglot(check(parse("weekly_amount > 70"), schema), reference)},
        opt_out=OptOutFilter((("nino", S.NINO),), exp.table_("accord_opt_outs", quoted=True)),
    )


@pytest.mark.parametrize("dialect", DIALECTS)
def test_plan_sql_per_dialect(dialect: str) -> None:
    expected = (SNAPSHOTS / f"plan.{dialect}.sql").read_text()
    assert plan().query.sql(dialect=dialect, pretty=True) + "\n" == expected


def test_the_plan_names_what_the_engine_must_hash() -> None:
    compiled = plan()
    assert compiled.pseudonymised == {"nino": "d1"}
    assert [c.name for c in compiled.outputs] == [
        "nino",
        "date_of_birth",
        "postcode",
        "weekly_amount",
        "notes",
    ]
    assert compiled.key == ("agr-1", 1, "dwp/ca", 3)
