"""Refusals are uniform: another organisation's object answers exactly as a missing one.

For each kind of private object, a caller from an organisation that is no party to it
(``hank`` of HMRC, who holds every role there) asks for a real object and for one that
does not exist. Status and body must be the same bytes once the id the caller sent is
set aside; and each refusal is on the record (the ``refusals_are_audited`` fixture).
"""

from __future__ import annotations

from typing import Any

import pytest

from accord.core.governance.request import SharingRequest
from accord.core.identity import Membership, OrgKind, PrincipalKind, Role
from accord.store import AuditFilter
from tests.api.conftest import World, request_body

MISSING = "zz-missing"

# (method, path with {} for the object's id, request kwargs); the id is filled in by name.
CASES: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    "request": ("GET", "/requests/{}", "draft", {}),
    "request assessment": ("GET", "/requests/{}/assessment", "draft", {}),
    "request edit": ("PUT", "/requests/{}", "draft", {"json": request_body()}),
    "request submit": ("POST", "/requests/{}/submit", "draft", {}),
    "request withdraw": ("POST", "/requests/{}/withdraw", "draft", {}),
    "request review": (
        "POST",
        "/requests/{}/reviews",
        "submitted",
        {"json": {"action": "start_review"}},
    ),
    "request override": (
        "POST",
        "/requests/{}/overrides",
        "submitted",
        {"json": {"finding": "DPIA_MISSING", "reason": "x"}},
    ),
    "agreement": ("GET", "/agreements/{}", "agreement", {}),
    "agreement odrl": ("GET", "/agreements/{}/odrl", "agreement", {}),
    "agreement suspend": ("POST", "/agreements/{}/suspend", "agreement", {"json": {"reason": "x"}}),
    "extract": ("POST", "/agreements/{}/extracts/dwp/carers", "agreement", {}),
    "query": ("POST", "/agreements/{}/query", "agreement", {"json": {"sql": "select 1"}}),
    "check": (
        "POST",
        "/agreements/{}/check",
        "agreement",
        {"json": {"dataset": "dwp/carers", "identifiers": ["AB123456C"]}},
    ),
    "link": (
        "POST",
        "/agreements/{}/links/dwp/carers",
        "agreement",
        {"json": {"recipient_dataset": "nhse/register", "recipient_id": "nhs_number"}},
    ),
    "dataset publish": (
        "POST",
        "/datasets/dwp/{}/versions",
        "dataset",
        {"content": "a\n1\n", "headers": {"Content-Type": "text/csv"}},
    ),
    "dataset classify": (
        "PATCH",
        "/datasets/dwp/{}/fields/nino",
        "dataset",
        {"json": {"category": "personal"}},
    ),
    "dataset tabulate": (
        "POST",
        "/stats/tables/dwp/{}",
        "dataset",
        {"json": {"rows": ["postcode"], "columns": ["forename"]}},
    ),
    "batch check": (
        "POST",
        "/batch-checks/dwp/{}/batches",
        "dataset",
        {"json": {"identifiers": ["AB123456C"]}},
    ),
    "output request": ("GET", "/airlock/requests/{}/files/approved.csv", "output", {}),
    "output release": ("POST", "/airlock/requests/{}/release", "output", {}),
    "output review": (
        "POST",
        "/airlock/requests/{}/files/pending.csv/reviews",
        "output",
        {"json": {"decision": "approve"}},
    ),
    "principal": ("GET", "/principals/{}", "alice", {}),
    "principal tokens": ("GET", "/principals/{}/tokens", "alice", {}),
    "token": ("DELETE", "/tokens/{}", "alice_token", {}),
}


@pytest.fixture
def hank(world: World) -> dict[str, str]:
    """HMRC's everything-person: every role in an organisation party to nothing here."""
    accord = world.accord
    op = accord.operator("test")
    accord.identity.create_organisation(op, "hmrc", "HMRC", OrgKind.GOVERNMENT_DEPARTMENT)
    roles = tuple(Membership("hmrc", role) for role in Role)
    accord.identity.create_principal(op, "hank", "Hank", PrincipalKind.PERSON, roles)
    return {"Authorization": f"Bearer {accord.identity.issue_token(op, 'hank', ttl_days=1)[1]}"}


def _ident(world: World, name: str) -> str:
    return {
        "draft": world.draft_request,
        "submitted": world.submitted_request,
        "agreement": world.agreement,
        "dataset": "carers",
        "output": world.output_request,
        "alice": "alice",
        "alice_token": world.alice_token_id,
    }[name]


LOOKS_UP_BEFORE_AUTHORISING: dict[str, str] = {}
"""Known gaps, in files this change does not touch: strict, so they fail once fixed."""


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            case,
            marks=pytest.mark.xfail(reason=LOOKS_UP_BEFORE_AUTHORISING[case], strict=True),
        )
        if case in LOOKS_UP_BEFORE_AUTHORISING
        else case
        for case in sorted(CASES)
    ],
)
def test_another_organisations_object_answers_as_a_missing_one(
    world: World, hank: dict[str, str], case: str
) -> None:
    method, path, name, kwargs = CASES[case]
    ident = _ident(world, name)
    extra = dict(kwargs)
    headers = {**extra.pop("headers", {}), **hank}
    theirs = world.client.request(method, path.format(ident), headers=headers, **extra)
    missing = world.client.request(method, path.format(MISSING), headers=headers, **extra)
    assert theirs.status_code == missing.status_code, (theirs.text, missing.text)
    assert theirs.status_code in (403, 404)
    # Byte for byte, once the id the caller sent is set aside on each side.
    assert theirs.content.replace(ident.encode(), b"<id>") == missing.content.replace(
        MISSING.encode(), b"<id>"
    )
    # Both refusals are on the record, the real reason kept for the owner's auditors.
    denied = world.accord.store.audit_events(
        AuditFilter(actor="principal:hank", decision="deny", limit=2)
    )
    assert len(denied) == 2


def test_a_share_token_for_one_share_answers_others_as_missing(world: World) -> None:
    """Delta Sharing: another agreement's share answers exactly as a missing one."""
    accord = world.accord
    bob, alice = accord.acting_as("bob", "test"), accord.acting_as("alice", "test")
    body = request_body(form="aggregate", channels=["aggregate_statistics"], title="Other")
    other = accord.requests.create(bob, SharingRequest.parse(body)).id
    accord.requests.submit(bob, other)
    accord.requests.start_review(alice, other)
    outcome = accord.requests.approve(alice, other)
    assert outcome.agreement is not None
    another = outcome.agreement.id
    headers = world.headers("bob", share=True)
    theirs = world.client.get(f"/delta-sharing/shares/{another}", headers=headers)
    missing = world.client.get(f"/delta-sharing/shares/{MISSING}", headers=headers)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.content.replace(another.encode(), b"<id>") == missing.content.replace(
        MISSING.encode(), b"<id>"
    )
