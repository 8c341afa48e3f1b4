"""A query agreement over a Carer's Allowance extract of a few thousand people: big
enough that a self cross join needs far more memory than the limits these tests set."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from accord.core.governance.records import AgreementRecord
from accord.engine import bounds
from accord.services.app import Accord
from tests.governance.conftest import build_world
from tests.plane.conftest import agreement_request, approve

PEOPLE = 3000
VIEW = "dwp_carers_allowance"
CROSS_JOIN = (
    f"select a.nino || b.nino as pair, count(*) as n from {VIEW} a cross join {VIEW} b "
    "group by 1 order by 2 desc"
)
"""Every one of 9 million pairs of 128 characters held at once: more than a gigabyte."""


def many_carers(path: Path, count: int = PEOPLE) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["nino", "forename", "surname", "date_of_birth", "postcode", "address_line_1",
             "telephone_number", "weekly_amount"]
        )  # fmt: skip
        for i in range(count):
            writer.writerow(
                [f"AB{i:06d}C", "Mary", f"Jones{i}", "1961-04-12", "SW1A 1AA", f"{i} High St",
                 f"07700{i:06d}", "81.90"]
            )  # fmt: skip
    return path


@pytest.fixture
def big_query_world(sqlite_accord: Accord, tmp_path: Path) -> tuple[Accord, AgreementRecord]:
    world = build_world(sqlite_accord, tmp_path)
    world.catalogue.ingest(
        world.operator("test"), "dwp/carers_allowance", str(many_carers(tmp_path / "many.csv"))
    )
    agreement = approve(world, agreement_request(channels=["in_place_query"], title="In place"))
    return world, agreement


@pytest.fixture
def limits() -> Iterator[None]:
    """Each test sets the limits it needs; the process's are put back after."""
    yield
    bounds.configure(None)
