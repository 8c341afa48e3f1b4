"""A platform with the organisations, people and catalogue the seeds talk about."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from accord.core.governance.request import SharingRequest
from accord.core.identity import (
    Assurance,
    AssuranceScheme,
    Membership,
    OrgKind,
    PrincipalKind,
    Role,
)
from accord.core.vocabulary import SemanticType as S
from accord.services.app import Accord

EXAMPLES = Path(__file__).parents[2] / "src" / "accord" / "demo" / "requests"

PEOPLE = {
    "dwp.data": [("dwp", Role.DATA_OWNER)],
    "dwp.data2": [("dwp", Role.DATA_OWNER)],
    "dwp.dpo": [("dwp", Role.DPO)],
    "dwp.legal": [("dwp", Role.LEGAL)],
    "dwp.multi": [("dwp", Role.DATA_OWNER), ("dwp", Role.DPO), ("dwp", Role.LEGAL)],
    "nhse.analyst": [("nhse", Role.REQUESTER), ("nhse", Role.ANALYST)],
    "nhse.dpo": [("nhse", Role.DPO)],
    "northshire.officer": [("northshire", Role.REQUESTER)],
    "ifsr.researcher": [("ifsr", Role.REQUESTER)],
    "insider": [("dwp", Role.LEGAL), ("nhse", Role.REQUESTER)],
}


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def build_world(accord: Accord, tmp_path: Path) -> Accord:
    op = accord.operator("test")
    year = date.today() + timedelta(days=800)
    for org_id, name, kind in (
        ("dwp", "Department for Work and Pensions", OrgKind.GOVERNMENT_DEPARTMENT),
        ("nhse", "NHS England", OrgKind.HEALTH_BODY),
        ("northshire", "Northshire County Council", OrgKind.LOCAL_AUTHORITY),
        ("ifsr", "Institute for Social Research", OrgKind.RESEARCH_BODY),
    ):
        assurance = Assurance(AssuranceScheme.ISO_27001, f"{org_id}-27001", year)
        accord.identity.create_organisation(op, org_id, name, kind, (assurance,))
    for pid, roles in PEOPLE.items():
        accord.identity.create_principal(
            op, pid, pid, PrincipalKind.PERSON, tuple(Membership(o, r) for o, r in roles)
        )
    people = [
        [
            "AB123456C",
            "Mary",
            "Jones",
            "1961-04-12",
            "SW1A 1AA",
            "1 High St",
            "07700900001",
            "81.90",
        ],
        ["CE654321A", "John", "Smith", "1958-11-30", "M1 1AE", "2 Low Rd", "07700900002", "81.90"],
    ]
    register = accord.catalogue.register
    register(
        op,
        "dwp",
        "carers_allowance",
        str(
            _csv(
                tmp_path / "ca.csv",
                [
                    "nino",
                    "forename",
                    "surname",
                    "date_of_birth",
                    "postcode",
                    "address_line_1",
                    "telephone_number",
                    "weekly_amount",
                ],
                people,
            )
        ),
        tags=("carers", "benefits"),
        overrides={"weekly_amount": S.AMOUNT, "telephone_number": S.PHONE},
    )
    register(
        op,
        "dwp",
        "benefit_claimants",
        str(
            _csv(
                tmp_path / "claimants.csv",
                [
                    "nino",
                    "forename",
                    "surname",
                    "date_of_birth",
                    "address_line_1",
                    "postcode",
                    "telephone_number",
                    "benefit",
                    "lone_parent",
                    "claim_start",
                    "weekly_amount",
                    "notes",
                    "output_area",
                ],
                [
                    [
                        p[0],
                        p[1],
                        p[2],
                        p[3],
                        p[5],
                        p[4],
                        p[6],
                        "IS",
                        "true",
                        "2020-01-06",
                        p[7],
                        "prefers letters",
                        "E00000001",
                    ]
                    for p in people
                ],
            )
        ),
        tags=("benefits", "claimants"),
        overrides={
            "benefit": S.CODE,
            "lone_parent": S.FLAG,
            "weekly_amount": S.AMOUNT,
            "notes": S.FREE_TEXT,
            "output_area": S.CODE,
            "telephone_number": S.PHONE,
        },
    )
    register(
        op,
        "dwp",
        "claimants_by_output_area",
        str(
            _csv(
                tmp_path / "published.csv",
                ["output_area", "benefit", "claimants"],
                [["E00000001", "IS", "15"], ["E00000002", "JSA", "20"]],
            )
        ),
        description="Benefit claimants by output area, rounded; published quarterly",
        tags=("published", "benefits", "claimants", "small-area"),
        overrides={"output_area": S.CODE, "benefit": S.CODE},
    )
    return accord


HMRC_PEOPLE = {
    "hmrc.data": [("hmrc", Role.DATA_OWNER)],
    "hmrc.dpo": [("hmrc", Role.DPO)],
    "hmrc.legal": [("hmrc", Role.LEGAL)],
    "both.legal": [("dwp", Role.LEGAL), ("hmrc", Role.LEGAL)],
}


def add_hmrc(accord: Accord, tmp_path: Path) -> Accord:
    """A second data owner, with its own reviewers and a dataset of its own."""
    op = accord.operator("test")
    year = date.today() + timedelta(days=800)
    accord.identity.create_organisation(
        op,
        "hmrc",
        "HM Revenue and Customs",
        OrgKind.GOVERNMENT_DEPARTMENT,
        (Assurance(AssuranceScheme.ISO_27001, "hmrc-27001", year),),
    )
    for pid, roles in HMRC_PEOPLE.items():
        accord.identity.create_principal(
            op, pid, pid, PrincipalKind.PERSON, tuple(Membership(o, r) for o, r in roles)
        )
    accord.catalogue.register(
        op,
        "hmrc",
        "paye_income",
        str(
            _csv(
                tmp_path / "paye.csv",
                ["nino", "tax_year", "annual_pay"],
                [["AB123456C", "2020", "15000"], ["CE654321A", "2020", "9000"]],
            )
        ),
        tags=("income", "tax"),
        overrides={"annual_pay": S.AMOUNT, "tax_year": S.CODE},
    )
    return accord


def two_owner_request(**changes: Any) -> SharingRequest:
    """The carers request, also asking HMRC for pay: dwp and hmrc must both decide."""
    document = yaml.safe_load((EXAMPLES / "carers-vaccination.yaml").read_text())
    document["datasets"] = [
        *document["datasets"],
        {
            "dataset": "hmrc/paye_income",
            "fields": [
                {
                    "name": "nino",
                    "justification": "to match to the carers",
                    "transform": {"kind": "keep"},
                },
                {
                    "name": "annual_pay",
                    "justification": "earnings limit of Carer's Allowance",
                    "transform": {"kind": "flag", "argument": "annual_pay > 10000"},
                },
            ],
        },
    ]
    document.update(changes)
    return SharingRequest.parse(document)


@pytest.fixture
def two_owner_world(world: Accord, tmp_path: Path) -> Accord:
    return add_hmrc(world, tmp_path)


@pytest.fixture
def world(accord: Accord, tmp_path: Path) -> Accord:
    return build_world(accord, tmp_path)


@pytest.fixture
def sqlite_world(sqlite_accord: Accord, tmp_path: Path) -> Accord:
    return build_world(sqlite_accord, tmp_path)


def example(name: str, **changes: Any) -> SharingRequest:
    document = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text())
    document.update(changes)
    return SharingRequest.parse(document)
