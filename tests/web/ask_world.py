"""The catalogue the find-data and ask pages are tested over: DWP's carers dataset
(registered from a small CSV, as the API's tests do) and a published product of DWP's.

Import the ``carers`` fixture into a test module to use it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.services.app import Accord

CARERS_CSV = (
    "nino,forename,surname,date_of_birth,postcode,benefit\n"
    "AB123456C,Mary,Jones,1961-04-12,LS1 1UR,carers_allowance\n"
    "CE654321A,John,Smith,1958-11-30,LS2 7HY,carers_allowance\n"
    "JK908172B,Priya,Shah,1975-02-03,M1 1AE,attendance_allowance\n"
)
STATS_CSV = "la_code,carers\nE08000035,18250\nE08000003,17100\n"
SECRET_NAMES = ("Mary", "Jones", "AB123456C", "Priya", "JK908172B")
"""Values in the carers rows: no page may ever show one."""


@pytest.fixture
def carers(web_accord: Accord, tmp_path: Path) -> str:
    op = web_accord.operator("test")
    source = tmp_path / "carers.csv"
    source.write_text(CARERS_CSV)
    web_accord.catalogue.register(
        op,
        "dwp",
        "carers",
        str(source),
        description="People receiving Carer's Allowance and other caring benefits",
        tags=("benefits", "carers"),
    )
    stats = tmp_path / "carers_by_area.csv"
    stats.write_text(STATS_CSV)
    web_accord.catalogue.register(
        op,
        "dwp",
        "carers_by_area",
        str(stats),
        description="Carers in each local authority, published quarterly",
        tags=("published", "carers"),
    )
    return "dwp/carers"
