"""Publishing tier-1 products: a protected table becomes a catalogue dataset, and the
assessment points a request it already meets to it."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from accord.core.governance.request import SharingRequest
from accord.core.identity import Membership, OrgKind, PrincipalKind, Role
from accord.errors import PermissionDenied
from accord.services.app import Accord
from accord.services.disclosure import Protection
from accord.store import AuditFilter


@pytest.fixture
def app(sqlite_accord: Accord, tmp_path: Path) -> Accord:
    op = sqlite_accord.operator("test")
    sqlite_accord.identity.create_organisation(op, "dwp", "DWP", OrgKind.GOVERNMENT_DEPARTMENT)
    sqlite_accord.identity.create_organisation(op, "la", "A council", OrgKind.LOCAL_AUTHORITY)
    for pid, org, role in (("owner", "dwp", Role.DATA_OWNER), ("officer", "la", Role.REQUESTER)):
        sqlite_accord.identity.create_principal(
            op, pid, pid, PrincipalKind.PERSON, (Membership(org, role),)
        )
    rng = np.random.default_rng(5)
    n = 600
    source = tmp_path / "claimants.parquet"
    pq.write_table(
        pa.table(
            {
                "nino": [f"AB{i:06d}C" for i in range(n)],
                "forename": rng.choice(["Mary", "John", "Asha"], n),
                "surname": rng.choice(["Jones", "Smith", "Khan"], n),
                "postcode": rng.choice(["SW1A 1AA", "M1 1AE"], n),
                "benefit_type": rng.choice(["UC", "ESA", "JSA", "IS"], n),
                "oa_code": [f"E0000000{x}" for x in rng.integers(0, 6, n)],
            }
        ),
        source,
    )
    sqlite_accord.catalogue.register(
        op, "dwp", "benefit_claimants", str(source), tags=("benefits", "claimants")
    )
    return sqlite_accord


def outreach() -> SharingRequest:
    today = date.today()
    return SharingRequest.parse(
        {
            "title": "Claimants, for an outreach mailshot",
            "requesting_organisation": "la",
            "requester": "officer",
            "purpose_category": "outreach",
            "purpose": "Write to claimants to offer the council's return-to-work programme.",
            "datasets": [
                {
                    "dataset": "dwp/benefit_claimants",
                    "fields": [
                        {"name": "forename", "justification": "To address the letter"},
                        {"name": "surname", "justification": "To address the letter"},
                        {"name": "postcode", "justification": "To post the letter"},
                    ],
                }
            ],
            "form": "identifiable",
            "channels": ["bulk_package"],
            "lawful_basis": "6(1)(e)",
            "start_date": str(today),
            "end_date": str(today + timedelta(days=90)),
        }
    )


def test_a_published_table_is_a_tier_1_product_the_assessment_points_to(app: Accord) -> None:
    owner = app.acting_as("owner", "test")
    before = app.requests.assess(outreach())
    assert before.published_alternatives == ()
    published = app.tables.publish(
        owner,
        "dwp/benefit_claimants",
        ["oa_code"],
        ["benefit_type"],
        name="claimants_by_output_area",
        description="Claimants by benefit per output area, protected",
        protection=Protection.ROUND,
    )
    assert published.dataset_id == "dwp/claimants_by_output_area"
    assert published.tags[0] == "published"
    assert {"benefits", "claimants"} <= set(published.tags)
    dataset = app.store.get_dataset(published.dataset_id)
    assert [f.name for f in dataset.fields] == ["oa_code", "benefit_type", "count"]
    assert "nino" not in {f.name for f in dataset.fields}
    # 6 areas and 4 benefits, with their margins, one line a cell
    assert app.store.get_version(published.dataset_id, None).row_count == 7 * 5
    assessment = app.requests.assess(outreach())
    blocked = {f.code: f for f in assessment.blocking}
    assert "LEGAL_OUTREACH_BULK_IDENTIFIABLE" in blocked
    assert published.dataset_id in blocked["LEGAL_OUTREACH_BULK_IDENTIFIABLE"].fix
    assert assessment.published_alternatives == (published.dataset_id,)
    [event] = app.store.audit_events(AuditFilter(action="disclosure.publish"))
    assert "dwp/benefit_claimants" in str(event.details)
    with pytest.raises(PermissionDenied):
        app.tables.publish(
            app.acting_as("officer", "test"),
            "dwp/benefit_claimants",
            ["oa_code"],
            ["benefit_type"],
            name="mine",
        )
    assert not (app.home / "data" / "publishing").exists() or not any(
        (app.home / "data" / "publishing").iterdir()
    )
