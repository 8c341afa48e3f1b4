"""The Spark engine (PySpark in local mode): the same linkage as DuckDB, and the same tokens.

The ``spark`` session is shared with the rest of the suite (see ``tests/conftest.py``):
skipped with a reason when PySpark or Java is missing, unless ``ACCORD_REQUIRE_SPARK=1``
(CI), where missing either fails the run instead of silently testing less.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from sqlglot import exp

from accord.linkage import LinkageOptions, link
from accord.linkage.tokens import hmac_sql, link_tokens, tokenise
from accord.pseudonymise.hmac_sql import hmac_sha256_sql
from accord.synth import generate
from tests.linkage.conftest import pairs, precision_recall

KEY = b"spark linkage-domain test key"


@dataclass(frozen=True)
class Small:
    carers: Path
    register: Path
    truth: frozenset[tuple[str, str]]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Small:
    """About 140 carers against 1,600 patients: every carer on the register, and others."""
    out = tmp_path_factory.mktemp("spark")
    generate("carers", scale=0.0002, seed=7, out=out / "carers")
    source = out / "carers"
    register = out / "register.parquet"
    identity = source / "ground_truth" / "identity.parquet"
    with duckdb.connect() as connection:
        truth = connection.sql(
            f"SELECT nino, nhs_number FROM '{identity}' "
            "WHERE carers_allowance AND in_patient_register"
        ).fetchall()
        wanted = ", ".join(f"'{nhs}'" for _, nhs in truth)
        connection.execute(
            f"COPY (SELECT * FROM '{source}/patient_register.parquet' WHERE nhs_number IN "
            f"({wanted}) OR hash(nhs_number) % 8 = 0) TO '{register}'"
        )
    return Small(
        source / "carers_allowance.parquet",
        register,
        frozenset((str(a), str(b)) for a, b in truth),
    )


def test_hmac_tokens_on_spark_equal_pythons_hmac(spark: Any) -> None:
    from accord.linkage.spark_engine import SparkEngine

    values = ["", "alice|smith|1980-01-02", "Zoë O'Brien", "x" * 300, "\u00e9t\u00e9"]
    engine = SparkEngine(session=spark)
    try:
        engine.register_arrow("hmac_values", pa.table({"v": values}))
        for key in (b"k", KEY, bytes(range(64)), bytes(range(200)) * 2):
            rows = engine.fetch(
                f"SELECT v, {hmac_sql('v', key)} FROM hmac_values", step="hmac on spark"
            )
            expected = {v: hmac.new(key, v.encode(), hashlib.sha256).hexdigest() for v in values}
            assert dict(rows) == expected
            # The plan compiler's own Spark rendering, run as Spark SQL as it stands.
            native = hmac_sha256_sql(exp.column("v"), key, "spark").sql(dialect="spark")
            assert {
                row[0]: row[1]
                for row in spark.sql(f"SELECT v, {native} FROM hmac_values").collect()
            } == expected
    finally:
        engine.close()


def test_spark_and_duckdb_make_the_same_tokens(spark: Any, small: Small) -> None:
    """Standardising, Soundex and HMAC agree byte for byte across the engines."""
    on_duckdb = tokenise(small.carers, id_column="nino", key=KEY)
    on_spark = tokenise(small.carers, id_column="nino", key=KEY, engine="spark")
    assert on_spark.column_names == on_duckdb.column_names
    assert on_spark.sort_by("nino").to_pylist() == on_duckdb.sort_by("nino").to_pylist()


def test_spark_and_duckdb_find_the_same_matches(spark: Any, small: Small) -> None:
    on_duckdb = link(small.carers, small.register, left_id="nino", right_id="nhs_number")
    on_spark = link(
        small.carers,
        small.register,
        left_id="nino",
        right_id="nhs_number",
        options=LinkageOptions(engine="spark"),
    )
    assert pairs(on_spark.matches) == pairs(on_duckdb.matches)
    assert on_spark.summary.matched_by_pass == on_duckdb.summary.matched_by_pass
    precision, recall = precision_recall(pairs(on_spark.matches), small.truth)
    assert precision >= 0.99
    assert recall >= 0.95
    # The session is left as it was found: no stray temporary views.
    assert not [t for t in spark.catalog.listTables() if t.isTemporary]


def test_token_linkage_runs_on_spark(spark: Any, small: Small) -> None:
    left = tokenise(small.carers, id_column="nino", key=KEY)
    right = tokenise(small.register, id_column="nhs_number", key=KEY)
    options = LinkageOptions(engine="spark")
    on_spark = link_tokens(left, right, left_id="nino", right_id="nhs_number", options=options)
    on_duckdb = link_tokens(left, right, left_id="nino", right_id="nhs_number")
    assert pairs(on_spark.matches) == pairs(on_duckdb.matches)
    precision, _ = precision_recall(pairs(on_spark.matches), small.truth)
    assert precision >= 0.99
