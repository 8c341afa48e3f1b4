"""The plan's Spark SQL, run on a real local Spark, releases what DuckDB releases.

The compiler renders one sqlglot plan per dialect; the snapshots pin the text, and this
runs it: the same agreement over the same Parquet version on Spark and through the
governed DuckDB extract must give the same rows, opt-outs and shared subexpressions
included. Pseudonyms are computed off the engine (the key never enters SQL), so the
Spark side hashes the normalised identifiers it returns with Python's ``hmac``.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from accord.core.governance.records import AgreementRecord
from accord.engine.duckdb_engine import OPT_OUT_TABLE, SOURCE_TABLE
from accord.services.app import Accord
from tests.plane.conftest import agreement_request, approve

World = tuple[Accord, AgreementRecord]


def _spark_rows(spark: Any, world: Accord, agreement: AgreementRecord) -> list[dict[str, Any]]:
    plan, dataset, version = world.plane._plan(agreement, "dwp/carers_allowance")
    spark.read.parquet(version.location).createOrReplaceTempView(SOURCE_TABLE)
    opted = [(value,) for value in world.plane._opt_outs(dataset)] or [("",)]
    spark.createDataFrame(opted, "identifier string").createOrReplaceTempView(OPT_OUT_TABLE)
    rows = [row.asDict() for row in spark.sql(plan.sql("spark")).collect()]
    for column, domain in plan.pseudonymised.items():
        key = world.plane.domains.key(domain).material
        for row in rows:
            value = row[column]
            row[column] = (
                None if value is None else hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
            )
    return rows


def _duckdb_rows(world: Accord, agreement: AgreementRecord, out: Path) -> list[dict[str, Any]]:
    analyst = world.acting_as("nhse.analyst", "test")
    result = world.plane.extract(analyst, agreement.id, "dwp/carers_allowance", out)
    rows: list[dict[str, Any]] = pq.read_table(result.path).to_pylist()
    return rows


def _key(row: dict[str, Any]) -> str:
    return repr(sorted(row.items()))


def test_spark_runs_the_plan_as_duckdb_does(spark: Any, plane_world: World, tmp_path: Path) -> None:
    world, agreement = plane_world
    world.plane.add_opt_outs(world.operator("test"), "dwp", "nino", ["AB123456C"])
    expected = _duckdb_rows(world, agreement, tmp_path / "duckdb")
    assert expected, "the opt-out should leave someone to compare"
    assert sorted(_spark_rows(spark, world, agreement), key=_key) == sorted(expected, key=_key)


@pytest.mark.parametrize(
    ("date_level", "postcode_level"),
    [("year_month", "sector"), ("age_band", "area")],
)
def test_spark_generalises_as_duckdb_does(
    spark: Any, plane_world: World, tmp_path: Path, date_level: str, postcode_level: str
) -> None:
    world, _ = plane_world
    request = agreement_request(title=f"Spark parity {date_level} {postcode_level}")
    fields = request.datasets[0].model_dump(mode="json")["fields"]
    for field in fields:
        if field["name"] == "date_of_birth":
            field["transform"]["argument"] = date_level
        if field["name"] == "postcode":
            field["transform"]["argument"] = postcode_level
    document = request.model_dump(mode="json")
    document["datasets"][0]["fields"] = fields
    agreement = approve(world, type(request).parse(document))
    expected = _duckdb_rows(world, agreement, tmp_path / "duckdb")
    assert sorted(_spark_rows(spark, world, agreement), key=_key) == sorted(expected, key=_key)
