"""The erasure filter inside a compiled plan: the keyed reference computed in SQL equals
the one the erasure service stores, the person's row goes, a joint claimant's cell
naming them is blank, and the SQL of every dialect holds no key material."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb
import pyarrow as pa
import pytest
from sqlglot import exp

from accord.core.catalogue import Dataset, FieldSpec, SourceKind
from accord.core.governance.agreement import AgreementPolicy, DatasetPolicy, FieldPolicy
from accord.core.governance.request import Channel, PurposeCategory, Transform
from accord.core.governance.request import TransformKind as K
from accord.core.lifecycle.erasure import person_reference
from accord.core.plan.compiler import (
    ERASED_TABLE,
    ERASURE_IPAD_TABLE,
    ERASURE_OPAD_TABLE,
    ErasureFilter,
    OptOutFilter,
    Plan,
    compile_plan,
    for_dialect,
)
from accord.core.vocabulary import Category as C
from accord.core.vocabulary import DataType as D
from accord.core.vocabulary import SemanticType as S
from accord.pseudonymise._kernel import pads

KEY = bytes(range(32))
ERASED, JOINT, OTHER = "JG103759A", "AB123456C", "CE654321D"


def _plan() -> Plan:
    dataset = Dataset(
        "dwp/referrals",
        "dwp",
        "referrals",
        "",
        (
            FieldSpec("nino", D.VARCHAR, C.DIRECT_IDENTIFIER, S.NINO),
            FieldSpec("surname", D.VARCHAR, C.DIRECT_IDENTIFIER, S.FAMILY_NAME),
            FieldSpec("joint_claimant_nino", D.VARCHAR, C.DIRECT_IDENTIFIER, S.NINO),
        ),
        SourceKind.FILE,
        "x",
    )
    keep = Transform(kind=K.KEEP)
    policy = AgreementPolicy(
        id="agr-1",
        version=1,
        request_id="r",
        title="t",
        tier=5,
        data_owners=("dwp",),
        recipient="northfield",
        purpose_category=PurposeCategory.OPERATIONAL_SERVICE_DELIVERY,
        purpose="p",
        datasets=(
            DatasetPolicy(
                dataset="dwp/referrals",
                fields=tuple(FieldPolicy(name=f.name, transform=keep) for f in dataset.fields),
            ),
        ),
        channels=(Channel.IN_PLACE_QUERY,),
        valid_from=date(2026, 1, 1),
        valid_to=date(2027, 1, 1),
    )
    return compile_plan(
        policy,
        dataset,
        1,
        source=exp.table_("accord_source", quoted=True),
        reference_date=date(2026, 1, 1),
        opt_out=OptOutFilter(
            (("nino", S.NINO), ("joint_claimant_nino", S.NINO)),
            exp.table_("accord_opt_outs", quoted=True),
        ),
        erasure=ErasureFilter("nino", ("joint_claimant_nino",)),
    )


def test_the_plan_leaves_the_erased_person_out_by_their_keyed_reference() -> None:
    plan = _plan()
    ipad, opad = pads(KEY)
    erased = person_reference(KEY, ERASED).removeprefix("nino-hmac:")
    with duckdb.connect() as con:
        source = pa.table(
            {
                "nino": ["jg 10 37 59 a", OTHER, JOINT],
                "surname": ["Erased", "Other", "Partner"],
                "joint_claimant_nino": [None, None, "JG-103759-A"],
            }
        )
        con.register("accord_source", source)
        con.register("accord_opt_outs", pa.table({"identifier": pa.array([], pa.string())}))
        for name, values in (
            (ERASED_TABLE, [erased]),
            (ERASURE_IPAD_TABLE, [ipad.hex()]),
            (ERASURE_OPAD_TABLE, [opad.hex()]),
        ):
            con.register(name, pa.table({"identifier": values}))
        rows = con.sql(plan.sql("duckdb")).fetchall()
        assert plan.erased_query is not None
        counted = con.sql(for_dialect(plan.erased_query, "duckdb").sql(dialect="duckdb"))
        assert counted.fetchall() == [(1,)]
    # The person's own row is gone; their partner's row stays, with their NINO blank.
    assert sorted(rows, key=str) == [(JOINT, "Partner", None), (OTHER, "Other", None)]
    assert plan.erasure_fields == ("nino", "joint_claimant_nino")


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "spark"])
def test_the_sql_holds_no_key_material(dialect: str) -> None:
    sql = _plan().sql(dialect)
    ipad, opad = pads(KEY)
    assert ipad.hex() not in sql
    assert opad.hex() not in sql
    assert ERASURE_IPAD_TABLE in sql
    assert ERASED_TABLE in sql
    assert "ACCORD_ERASURE_REF" not in sql
    assert ("SHA2(" if dialect == "spark" else "SHA256(") in sql


@pytest.mark.postgres
def test_postgresql_computes_the_same_keyed_reference(postgres_database: str) -> None:
    """The PostgreSQL rendering, run on a real server through the executor's source."""
    import psycopg

    from accord.core.catalogue import DatasetVersion
    from accord.engine.postgres_engine import PostgresSource

    with psycopg.connect(postgres_database, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE accord_source (nino text, surname text, joint_claimant_nino text)"
        )
        conn.execute(
            "INSERT INTO accord_source VALUES ('jg 10 37 59 a', 'Erased', NULL), "
            f"('{OTHER}', 'Other', NULL), ('{JOINT}', 'Partner', 'JG-103759-A')"
        )
    ipad, opad = pads(KEY)
    erased = person_reference(KEY, ERASED).removeprefix("nino-hmac:")
    version = DatasetVersion(
        "dwp/referrals", 1, 3, "", datetime.now(UTC), f"{postgres_database}#public.accord_source"
    )
    tables = {
        ERASED_TABLE: [erased],
        ERASURE_IPAD_TABLE: [ipad.hex()],
        ERASURE_OPAD_TABLE: [opad.hex()],
    }
    batches = PostgresSource(version).batches(_plan().sql("postgres"), (), tables)
    rows = [tuple(r.values()) for b in batches for r in b.to_pylist()]
    assert sorted(rows, key=str) == [(JOINT, "Partner", None), (OTHER, "Other", None)]
