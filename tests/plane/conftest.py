"""An active agreement over the governance world's Carer's Allowance extract."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from accord.core.governance.records import AgreementRecord
from accord.core.governance.request import SharingRequest
from accord.services.app import Accord
from tests.governance.conftest import build_world, example


def agreement_request(**changes: object) -> SharingRequest:
    today = date.today()
    document = example("carers-vaccination").model_dump(mode="json")
    document.update(
        # Most tests here are about what the plan releases, so their agreements are
        # continuous and need no test exchange; tests/plane/test_terms.py sets both.
        frequency="continuous",
        test_exchange=False,
        start_date=str(today - timedelta(days=1)),
        end_date=str(today + timedelta(days=90)),
        datasets=[
            {
                "dataset": "dwp/carers_allowance",
                "cohort": "weekly_amount > 50",
                "fields": [
                    {
                        "name": "nino",
                        "justification": "link",
                        "transform": {"kind": "pseudonymise", "argument": "carers-2021"},
                    },
                    {
                        "name": "date_of_birth",
                        "justification": "age",
                        "transform": {"kind": "generalise", "argument": "year"},
                    },
                    {
                        "name": "postcode",
                        "justification": "area",
                        "transform": {"kind": "generalise", "argument": "district"},
                    },
                    {
                        "name": "weekly_amount",
                        "justification": "receipt",
                        "transform": {"kind": "flag", "argument": "weekly_amount > 80"},
                    },
                    {"name": "surname", "justification": "none", "transform": {"kind": "drop"}},
                ],
            }
        ],
    )
    document.update(changes)
    return SharingRequest.parse(document)


def approve(
    world: Accord, request: SharingRequest, requester: str = "nhse.analyst"
) -> AgreementRecord:
    analyst = world.acting_as(requester, "test")
    created = world.requests.create(analyst, request)
    world.requests.submit(analyst, created.id)
    world.requests.start_review(world.acting_as("dwp.data", "test"), created.id)
    # As many approvals as the tier needs: data owner, then DPO, then legal.
    for who in ("dwp.data", "dwp.dpo", "dwp.legal"):
        outcome = world.requests.approve(world.acting_as(who, "test"), created.id)
        if outcome.agreement is not None:
            return outcome.agreement
    raise AssertionError("the request was approved by all three and is still not active")


@pytest.fixture
def plane_world(sqlite_accord: Accord, tmp_path: Path) -> tuple[Accord, AgreementRecord]:
    world = build_world(sqlite_accord, tmp_path)
    return world, approve(world, agreement_request())
