"""Extracts under an agreement whose form is ``anonymised``: k-anonymous, and reported.

The claims dataset of :mod:`tests.plane.claims` (68 records) is extracted under an
anonymised agreement with exact ages and postcode sectors, which single most people out;
the extract must reach k = 10 over its quasi-identifiers by generalising and suppressing,
and say what it did in the manifest and the audit event.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from accord.core.vocabulary import Category
from accord.disclosure.anonymity import measure
from accord.services.app import Accord
from accord.store import AuditFilter
from tests.plane.claims import (
    World,
    approve_with_overrides,
    claims_request,
    register_claims,
)

K = 10


@pytest.fixture
def claims_world(plane_world: World, tmp_path: Path) -> Accord:
    return register_claims(plane_world[0], tmp_path)


def test_an_anonymised_extract_is_k_anonymous_and_says_what_was_done(
    claims_world: Accord, tmp_path: Path
) -> None:
    request = claims_request("anonymised", channels=["bulk_package"], test_exchange=False)
    agreement = approve_with_overrides(claims_world, request)
    assert agreement.policy.output_controls.k_anonymity == K
    dataset = claims_world.store.get_dataset("dwp/trust_claims")
    quasi = sorted(f.name for f in dataset.fields if f.category is Category.QUASI_IDENTIFIER)
    assert quasi  # the catalogue classifies age and postcode as quasi-identifiers

    result = claims_world.plane.extract(
        claims_world.acting_as("nhse.analyst", "test"),
        agreement.id,
        "dwp/trust_claims",
        tmp_path / "out",
    )
    frame = pq.read_table(result.path).to_pandas()
    released_quasi = [q for q in quasi if q in frame.columns]
    assert released_quasi
    assert measure(frame, released_quasi).k >= K

    manifest = json.loads(result.manifest_path.read_text())
    report = manifest["anonymity"]
    assert report["k_required"] == K
    assert report["k"] >= K
    assert report["records_in"] == 68
    assert report["records_in"] - report["removed_records"] == result.rows == len(frame)
    # Exact ages and postcode districts single people out: both are coarsened, and the
    # few records still in small groups lose a value rather than leave as they are.
    assert report["generalised"] == {"age": "bands of 20", "postcode": "postcode area"}
    assert set(frame["age"].dropna()) <= {"20-39", "40-59", "60-79"}
    assert set(frame["postcode"].dropna()) <= {"M", "SW"}
    assert sum(report["suppressed_values"].values()) == int(frame[quasi].isna().sum().sum())
    [event] = claims_world.store.audit_events(AuditFilter(action="extract.release", limit=1))
    assert event.details_dict["anonymity"] == report


def test_other_forms_are_extracted_as_they_are(claims_world: Accord, tmp_path: Path) -> None:
    request = claims_request("pseudonymised", channels=["bulk_package"], test_exchange=False)
    agreement = approve_with_overrides(claims_world, request)
    result = claims_world.plane.extract(
        claims_world.acting_as("nhse.analyst", "test"),
        agreement.id,
        "dwp/trust_claims",
        tmp_path / "out",
    )
    assert result.rows == 68
    assert "anonymity" not in json.loads(result.manifest_path.read_text())
