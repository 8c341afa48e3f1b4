"""A small carers scenario, generated once per session, with its ground truth."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from accord.synth import generate

SCALE = 0.001
"""56,500 people: about 800 Carer's Allowance recipients against a 56,000-row register."""
SEED = 20210217


@dataclass(frozen=True)
class Carers:
    directory: Path
    carers: Path
    register: Path
    truth: frozenset[tuple[str, str]]
    """(NINO, NHS number) of every carer who is on the register."""


@pytest.fixture(scope="session")
def carers(tmp_path_factory: pytest.TempPathFactory) -> Carers:
    out = tmp_path_factory.mktemp("linkage") / "carers"
    generate("carers", scale=SCALE, seed=SEED, out=out)
    identity = out / "ground_truth" / "identity.parquet"
    with duckdb.connect() as connection:
        rows = connection.sql(
            f"SELECT nino, nhs_number FROM '{identity}' "
            "WHERE carers_allowance AND in_patient_register"
        ).fetchall()
    return Carers(
        directory=out,
        carers=out / "carers_allowance.parquet",
        register=out / "patient_register.parquet",
        truth=frozenset((str(a), str(b)) for a, b in rows),
    )


def pairs(table: pa.Table) -> set[tuple[str, str]]:
    return set(
        zip(table.column("left_id").to_pylist(), table.column("right_id").to_pylist(), strict=True)
    )


def precision_recall(
    found: set[tuple[str, str]], truth: frozenset[tuple[str, str]]
) -> tuple[float, float]:
    true = len(found & truth)
    return (true / len(found) if found else 1.0, true / len(truth))
