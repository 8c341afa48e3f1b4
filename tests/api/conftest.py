"""An API over a populated Accord, with a token for each kind of caller."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from accord.api.app import create_app
from accord.core.audit import AuditEvent
from accord.core.governance.request import SharingRequest
from accord.core.identity import Membership, OrgKind, PrincipalKind, Role
from accord.core.sharing.access import SHARE_TOKEN_PREFIX, ShareToken
from accord.disclosure.airlock import Decision
from accord.services.app import Accord
from accord.services.disclosure import SubmittedOutput
from accord.services.identity import hash_secret
from accord.store import AuditFilter
from accord.store.models import TokenRow

CSV_BODY = (
    "nino,forename,surname,date_of_birth,postcode\n"
    "AB123456C,Mary,Jones,1961-04-12,SW1A 1AA\n"
    "CE654321A,John,Smith,1958-11-30,M1 1AE\n"
)


@dataclass
class World:
    accord: Accord
    client: TestClient
    tokens: dict[str, str]
    alice_token_id: str
    draft_request: str = ""
    submitted_request: str = ""
    agreement: str = ""
    output_request: str = ""
    share_tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str, *, share: bool = False) -> dict[str, str]:
        if who == "none":
            return {}
        secret = self.share_tokens[who] if share and who in self.share_tokens else self.tokens[who]
        return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def world(sqlite_accord: Accord, tmp_path: Path) -> Iterator[World]:
    accord = sqlite_accord
    op = accord.operator("test")
    accord.identity.create_organisation(op, "dwp", "DWP", OrgKind.GOVERNMENT_DEPARTMENT)
    accord.identity.create_organisation(op, "nhse", "NHS England", OrgKind.HEALTH_BODY)
    people = {
        "admin": (Membership(accord.platform_org, Role.ADMIN),),
        "auditor": (Membership(accord.platform_org, Role.AUDITOR),),
        "alice": (Membership("dwp", Role.DATA_OWNER), Membership("dwp", Role.ADMIN)),
        "bob": (Membership("nhse", Role.REQUESTER),),
        "nhse_dpo": (Membership("nhse", Role.DPO),),
        "roleless": (Membership("nhse", Role.REQUESTER),),
        "expired": (Membership("dwp", Role.DATA_OWNER),),
        "revoked": (Membership("dwp", Role.DATA_OWNER),),
        "analyst": (Membership("nhse", Role.ANALYST),),
        "checker1": (Membership("nhse", Role.AUDITOR),),
        "checker2": (Membership("nhse", Role.AUDITOR),),
    }
    for pid, roles in people.items():
        accord.identity.create_principal(op, pid, pid.title(), PrincipalKind.PERSON, roles)
    accord.identity.revoke_role(op, "roleless", Membership("nhse", Role.REQUESTER))
    tokens = {pid: accord.identity.issue_token(op, pid, ttl_days=1)[1] for pid in people}
    alice_token = accord.store.list_tokens("alice")[0]
    revoked = accord.store.list_tokens("revoked")[0]
    accord.identity.revoke_token(op, revoked.id)
    source = tmp_path / "carers.csv"
    source.write_text(CSV_BODY)
    accord.catalogue.register(op, "dwp", "carers", str(source), description="carers")
    # A token whose expiry has passed, as if a day had gone by.
    with accord.store.engine.begin() as conn:
        conn.execute(
            update(TokenRow)
            .where(TokenRow.principal_id == "expired")
            .values(expires_at=accord.store.clock() - timedelta(seconds=1))
        )
    draft, submitted, agreement = governance(accord)
    output_request = disclosure(accord)
    share_tokens = {"bob": share_token(accord, agreement, "bob")}
    with TestClient(create_app(accord)) as client:
        yield World(
            accord,
            client,
            tokens,
            alice_token.id,
            draft,
            submitted,
            agreement,
            output_request,
            share_tokens,
        )


def share_token(accord: Accord, agreement: str, principal: str) -> str:
    """A Delta Sharing credential for an agreement that does not (or no longer does) allow
    the channel, as after an amendment that dropped it; written straight to the store,
    since issuing one for such an agreement is refused."""
    secret = f"{SHARE_TOKEN_PREFIX}{principal}-{agreement}"
    now = accord.store.clock()
    token = ShareToken(
        f"dst_{principal}", agreement, principal, secret[:16], now, now + timedelta(days=1)
    )
    accord.store.add_share_token(
        token,
        hash_secret(secret),
        audit=AuditEvent(actor="operator:test", action="share.token.issue"),
    )
    return secret


def request_body(**changes: object) -> dict[str, object]:
    today = date.today()
    body: dict[str, object] = {
        "title": "Carers for vaccination",
        "requesting_organisation": "nhse",
        "requester": "bob",
        "purpose_category": "emergency_response",
        "purpose": "Offer carers a vaccine before the winter",
        "datasets": [
            {"dataset": "dwp/carers", "fields": [{"name": "nino", "justification": "matching"}]}
        ],
        "form": "identifiable",
        "channels": ["bulk_package"],
        "start_date": str(today),
        "end_date": str(today + timedelta(days=90)),
    }
    body.update(changes)
    return body


def governance(accord: Accord) -> tuple[str, str, str]:
    """A draft request, a submitted one, and an active (tier 2) agreement."""
    bob, alice = accord.acting_as("bob", "test"), accord.acting_as("alice", "test")
    create = accord.requests.create
    draft = create(bob, SharingRequest.parse(request_body())).id
    # Blocking findings are submitted only with the requester's ask to override each.
    asks = [
        {"finding": f.ref, "reason": "asked for in the test"}
        for f in accord.requests.assess(SharingRequest.parse(request_body())).blocking
    ]
    submitted = create(bob, SharingRequest.parse(request_body(override_requests=asks))).id
    accord.requests.submit(bob, submitted)
    aggregate = create(
        bob,
        SharingRequest.parse(
            request_body(form="aggregate", channels=["aggregate_statistics"], title="Counts")
        ),
    ).id
    accord.requests.submit(bob, aggregate)
    accord.requests.start_review(alice, aggregate)
    outcome = accord.requests.approve(alice, aggregate)
    assert outcome.agreement is not None
    return draft, submitted, outcome.agreement.id


def disclosure(accord: Accord) -> str:
    """A batch check offered to nhse, and an output request: one file approved, one pending."""
    op, alice = accord.operator("test"), accord.acting_as("alice", "test")
    accord.batches.define(
        alice, "dwp", "carers", "dwp/carers", "nino", {"postcode": ["M1 1AE"]}, ["nhse"]
    )
    for checker in ("checker1", "checker2"):
        accord.airlock.designate_checker(op, "nhse", checker)
    table = b"benefit,count\nUC,120\n"
    request = accord.airlock.submit(
        accord.acting_as("analyst", "test"),
        "nhse",
        "Caseload",
        [
            SubmittedOutput(n, table, "select 1", ("count",))
            for n in ("approved.csv", "pending.csv")
        ],
    )
    for checker in ("checker1", "checker2"):
        accord.airlock.review(
            accord.acting_as(checker, "test"), request.id, "approved.csv", Decision.APPROVE
        )
    return request.id


@pytest.fixture(autouse=True)
def refusals_are_audited(request: pytest.FixtureRequest) -> Iterator[None]:
    """For every test over ``world``: each 403 or 404 answered to a caller who sent a
    credential left a ``deny`` event in the log (written by the service that refused,
    or by the API's error handler when no service did)."""
    if "world" not in request.fixturenames:
        yield
        return
    world: World = request.getfixturevalue("world")
    client = world.client
    plain = client.request
    unaudited: list[str] = []

    def last_deny() -> int:
        events = world.accord.store.audit_events(AuditFilter(decision="deny", limit=1))
        return events[0].seq if events else 0

    def checked(method: str, url: Any, *args: Any, **kwargs: Any) -> Any:
        before = last_deny()
        response = plain(method, url, *args, **kwargs)
        headers = {k.lower(): v for k, v in (kwargs.get("headers") or {}).items()}
        # An unknown path is not a refusal: no route, no caller, nothing to record.
        refused = response.status_code in (403, 404) and (
            response.headers.get("content-type") != "application/json"
            or response.json().get("error", {}).get("message") != "Not Found"
        )
        if refused and "authorization" in headers and last_deny() <= before:
            unaudited.append(f"{method} {url} -> {response.status_code} {response.text}")
        return response

    client.request = checked  # type: ignore[method-assign]
    yield
    client.request = plain  # type: ignore[method-assign]
    assert not unaudited, f"refusals with no deny event in the audit log: {unaudited}"
