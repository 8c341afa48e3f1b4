"""One populated world for the whole module, and its OpenAPI schema loaded by schemathesis.

The world is tests/api's (DWP publishing ``carers``, NHS England requesting, an active
agreement, a batch check, an output request) plus an organisation that takes part in
none of it. Built once per module: schemathesis sends a few hundred requests, and a
world per operation would cost more than the requests themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI

from accord.api.app import create_app
from accord.core.identity import Membership, OrgKind, PrincipalKind, Role
from accord.services.app import Accord
from accord.settings import load_settings
from tests.api.conftest import CSV_BODY, disclosure, governance, share_token
from tests.conftest import FAST_BATCH_ANSWERS

# Refusals and floods must meet the rate limiter (when one is configured) as ordinary
# callers do, but the contract run sends a few hundred requests in a minute: generous.
GENEROUS_LIMITS = {"ACCORD_RATE_PER_MINUTE": "100000", "ACCORD_RATE_BURST": "100000"}


@dataclass
class ContractWorld:
    accord: Accord
    app: FastAPI
    tokens: dict[str, str]
    share_tokens: dict[str, str]
    agreement: str
    submitted: str


def build_world(home: Path) -> ContractWorld:
    accord = Accord.init(
        load_settings({"ACCORD_HOME": str(home), **FAST_BATCH_ANSWERS, **GENEROUS_LIMITS}),
        operator="test",
    )
    op = accord.operator("test")
    accord.identity.create_organisation(op, "dwp", "DWP", OrgKind.GOVERNMENT_DEPARTMENT)
    accord.identity.create_organisation(op, "nhse", "NHS England", OrgKind.HEALTH_BODY)
    accord.identity.create_organisation(op, "hmrc", "HMRC", OrgKind.GOVERNMENT_DEPARTMENT)
    people = {
        "alice": (Membership("dwp", Role.DATA_OWNER), Membership("dwp", Role.ADMIN)),
        "bob": (Membership("nhse", Role.REQUESTER),),
        "analyst": (Membership("nhse", Role.ANALYST),),
        "checker1": (Membership("nhse", Role.AUDITOR),),
        "checker2": (Membership("nhse", Role.AUDITOR),),
        # Of an organisation that takes part in nothing, and holding no role even there.
        "outsider": (Membership("hmrc", Role.REQUESTER),),
    }
    for pid, roles in people.items():
        accord.identity.create_principal(op, pid, pid.title(), PrincipalKind.PERSON, roles)
    accord.identity.revoke_role(op, "outsider", Membership("hmrc", Role.REQUESTER))
    tokens = {pid: accord.identity.issue_token(op, pid, ttl_days=1)[1] for pid in people}
    source = home.parent / "carers.csv"
    source.write_text(CSV_BODY)
    accord.catalogue.register(op, "dwp", "carers", str(source), description="carers")
    _draft, submitted, agreement = governance(accord)
    disclosure(accord)
    shares = {"bob": share_token(accord, agreement, "bob")}
    return ContractWorld(accord, create_app(accord), tokens, shares, agreement, submitted)


@pytest.fixture(scope="module")
def contract_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ContractWorld]:
    world = build_world(tmp_path_factory.mktemp("contract") / "home")
    try:
        yield world
    finally:
        world.accord.close()


@pytest.fixture(scope="module")
def api_schema(contract_world: ContractWorld) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", contract_world.app)
