"""A claims dataset whose group sizes are known, and agreements over it in any form.

40 Carer's Allowance claims (2 of them lone parents), 25 PIP claims and 3 Income Support
claims, with exact ages and postcode sectors; registered in the governance world.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import update

from accord.core.governance.records import AgreementRecord
from accord.core.governance.request import SharingRequest
from accord.core.vocabulary import SemanticType as S
from accord.services.app import Accord
from accord.store.governance_models import AgreementRow
from tests.plane.conftest import agreement_request

World = tuple[Accord, AgreementRecord]
VIEW = "dwp_trust_claims"
CLAIMS = "dwp/trust_claims"


def _rows() -> list[list[str]]:
    rows = []
    groups = [("CA", 40), ("PIP", 25), ("IS", 3)]
    serial = 0
    for benefit, size in groups:
        for i in range(size):
            serial += 1
            lone = "1" if benefit == "CA" and i < 2 else "0"
            district = ["M1", "M2", "SW1A"][i % 3]
            rows.append(
                [
                    f"AB{serial:06d}C",
                    f"{district} {serial % 9}AA",
                    str(20 + (serial * 7) % 50),
                    benefit,
                    lone,
                    f"{50 + serial % 40}.00",
                ]
            )
    return rows


def claims_request(form: str = "aggregate", **changes: object) -> SharingRequest:
    fields = [
        ("nino", {"kind": "pseudonymise", "argument": "trust-2026"}),
        ("postcode", {"kind": "generalise", "argument": "district"}),
        ("age", {"kind": "keep"}),
        ("benefit", {"kind": "keep"}),
        ("lone_parent", {"kind": "keep"}),
        ("weekly_amount", {"kind": "keep"}),
    ]
    document: dict[str, object] = {
        "title": f"Trust claims ({form})",
        "form": form,
        "channels": ["in_place_query"],
        "datasets": [
            {
                "dataset": CLAIMS,
                "fields": [
                    {"name": name, "justification": "analysis", "transform": transform}
                    for name, transform in fields
                ],
            }
        ],
    }
    document.update(changes)
    return agreement_request(**document)


def approve_with_overrides(world: Accord, request: SharingRequest) -> AgreementRecord:
    """Approve, legal accepting any blocking finding (the channel/form mismatch)."""
    analyst = world.acting_as("nhse.analyst", "test")
    created = world.requests.create(analyst, request)
    _, assessment = world.requests.submit(analyst, created.id)
    world.requests.start_review(world.acting_as("dwp.data", "test"), created.id)
    legal = world.acting_as("dwp.legal", "test")
    for finding in assessment.blocking:
        world.requests.override(legal, created.id, finding.code, "agreed in the trust's rules")
    for who in ("dwp.data", "dwp.dpo", "dwp.legal"):
        outcome = world.requests.approve(world.acting_as(who, "test"), created.id)
    assert outcome.agreement is not None
    return outcome.agreement


def register_claims(world: Accord, tmp_path: Path) -> Accord:
    """Register the claims dataset in a governance world (see the module docstring)."""
    path = tmp_path / "trust_claims.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["nino", "postcode", "age", "benefit", "lone_parent", "weekly_amount"])
        writer.writerows(_rows())
    world.catalogue.register(
        world.operator("test"),
        "dwp",
        "trust_claims",
        str(path),
        tags=("benefits", "trust"),
        overrides={"benefit": S.CODE, "lone_parent": S.FLAG, "weekly_amount": S.AMOUNT},
    )
    return world


def write_controls(world: Accord, agreement: AgreementRecord, **controls: object) -> None:
    """Store ``agreement`` as if approved with these output controls.

    No request field sets them yet (the defaults come from the disclosure rules), so the
    approved policy is rewritten in the store, as an agreement approved with them would
    be stored.
    """
    updated = agreement.policy.output_controls.model_copy(update=controls)
    policy = agreement.policy.model_copy(update={"output_controls": updated})
    with world.store.engine.begin() as conn:
        conn.execute(
            update(AgreementRow)
            .where(AgreementRow.id == agreement.id)
            .values(policy=policy.canonical_json())
        )
