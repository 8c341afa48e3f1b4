"""Every endpoint: 401 without a valid token, 403 for the wrong role, 404 (as if it did
not exist) for another organisation's private object, and every refusal in the audit
log. A route missing from ``REQUESTS`` fails the suite, so a new endpoint cannot ship
unguarded."""

from __future__ import annotations

from typing import Any

import pytest

from accord.services.client_keys import ClientKeyService
from accord.store import AuditFilter
from tests.api.conftest import CSV_BODY, World, request_body

# RFC 9421's test key (Appendix B.1.4), for registering a client key.
CLIENT_PUBLIC_KEY = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n"
    "-----END PUBLIC KEY-----\n"
)

# (method, path template) -> (concrete path, request kwargs, who must be refused)
REQUESTS: dict[tuple[str, str], tuple[str, dict[str, Any], str]] = {
    ("GET", "/organisations"): ("/organisations", {}, "roleless"),
    ("POST", "/organisations"): (
        "/organisations",
        {"json": {"id": "hmrc", "name": "HMRC", "kind": "government_department"}},
        "alice",
    ),
    ("GET", "/organisations/{org_id}"): ("/organisations/dwp", {}, "roleless"),
    ("GET", "/organisations/{org_id}/keys"): ("/organisations/dwp/keys", {}, "roleless"),
    ("POST", "/organisations/{org_id}/assurances"): (
        "/organisations/dwp/assurances",
        {"json": {"scheme": "iso_27001", "reference": "IS-9", "expires_on": "2030-01-01"}},
        "alice",
    ),
    ("PUT", "/organisations/{org_id}/areas"): (
        "/organisations/dwp/areas",
        {"json": {"areas": ["E06000001"]}},
        "alice",
    ),
    ("POST", "/principals"): (
        "/principals",
        {"json": {"id": "carol", "roles": [{"organisation": "dwp", "role": "analyst"}]}},
        "bob",
    ),
    ("GET", "/principals/{principal_id}"): ("/principals/alice", {}, "bob"),
    ("POST", "/principals/{principal_id}/roles"): (
        "/principals/bob/roles",
        {"json": {"organisation": "dwp", "role": "data_owner"}},
        "bob",
    ),
    ("DELETE", "/principals/{principal_id}/roles"): (
        "/principals/alice/roles",
        {"json": {"organisation": "dwp", "role": "data_owner"}},
        "bob",
    ),
    ("POST", "/principals/{principal_id}/tokens"): (
        "/principals/alice/tokens",
        {"json": {}},
        "bob",
    ),
    ("GET", "/principals/{principal_id}/tokens"): ("/principals/alice/tokens", {}, "bob"),
    ("DELETE", "/tokens/{token_id}"): ("/tokens/{alice_token}", {}, "bob"),
    ("GET", "/datasets"): ("/datasets", {}, "roleless"),
    ("GET", "/datasets/search"): ("/datasets/search?q=carers", {}, "roleless"),
    ("GET", "/datasets/{org_id}/{name}"): ("/datasets/dwp/carers", {}, "roleless"),
    ("POST", "/datasets/{org_id}/{name}"): (
        "/datasets/dwp/new_one",
        {"content": CSV_BODY, "headers": {"Content-Type": "text/csv"}},
        "bob",
    ),
    ("POST", "/datasets/{org_id}/{name}/versions"): (
        "/datasets/dwp/carers/versions",
        {"content": CSV_BODY, "headers": {"Content-Type": "text/csv"}},
        "bob",
    ),
    ("PATCH", "/datasets/{org_id}/{name}/fields/{field}"): (
        "/datasets/dwp/carers/fields/nino",
        {"json": {"category": "personal"}},
        "bob",
    ),
    ("POST", "/requests"): ("/requests", {"json": request_body()}, "alice"),
    ("GET", "/requests"): ("/requests", {}, "roleless"),
    ("POST", "/requests/assess"): ("/requests/assess", {"json": request_body()}, "roleless"),
    ("GET", "/requests/{request_id}"): ("/requests/{draft}", {}, "roleless"),
    ("PUT", "/requests/{request_id}"): ("/requests/{draft}", {"json": request_body()}, "alice"),
    ("GET", "/requests/{request_id}/assessment"): ("/requests/{draft}/assessment", {}, "roleless"),
    ("GET", "/requests/{request_id}/view"): ("/requests/{submitted}/view", {}, "roleless"),
    ("GET", "/decisions"): ("/decisions", {}, "roleless"),
    ("GET", "/decisions/{decision_id}"): ("/decisions/dec-00000000", {}, "roleless"),
    ("POST", "/requests/{request_id}/submit"): ("/requests/{draft}/submit", {}, "alice"),
    ("POST", "/requests/{request_id}/withdraw"): ("/requests/{draft}/withdraw", {}, "alice"),
    ("POST", "/requests/{request_id}/reviews"): (
        "/requests/{submitted}/reviews",
        {"json": {"action": "start_review"}},
        "bob",
    ),
    ("POST", "/requests/{request_id}/overrides"): (
        "/requests/{submitted}/overrides",
        {"json": {"finding": "DPIA_MISSING", "reason": "none"}},
        "bob",
    ),
    ("GET", "/agreements/{agreement_id}"): ("/agreements/{agreement}", {}, "roleless"),
    ("GET", "/agreements/{agreement_id}/odrl"): ("/agreements/{agreement}/odrl", {}, "roleless"),
    ("POST", "/agreements/{agreement_id}/{action}"): (
        "/agreements/{agreement}/suspend",
        {"json": {"reason": "test"}},
        "bob",
    ),
    ("GET", "/governance/metrics"): ("/governance/metrics", {}, "bob"),
    ("POST", "/agreements/{agreement_id}/extracts/{org_id}/{name}"): (
        "/agreements/{agreement}/extracts/dwp/carers",
        {},
        "nhse_dpo",
    ),
    ("POST", "/agreements/{agreement_id}/query"): (
        "/agreements/{agreement}/query",
        {"json": {"sql": "select 1"}},
        "nhse_dpo",
    ),
    ("POST", "/agreements/{agreement_id}/links/{org_id}/{name}"): (
        "/agreements/{agreement}/links/dwp/carers",
        {"json": {"recipient_dataset": "nhse/register", "recipient_id": "nhs_number"}},
        "nhse_dpo",
    ),
    ("POST", "/agreements/{agreement_id}/check"): (
        "/agreements/{agreement}/check",
        {"json": {"dataset": "dwp/carers", "identifiers": ["AB123456C"]}},
        "nhse_dpo",
    ),
    ("POST", "/organisations/{org_id}/opt-outs"): (
        "/organisations/dwp/opt-outs",
        {"json": {"identifier_type": "nino", "identifiers": ["AB123456C"]}},
        "bob",
    ),
    ("POST", "/stats/tables/{org_id}/{name}"): (
        "/stats/tables/dwp/carers",
        {"json": {"rows": ["postcode"], "columns": ["forename"]}},
        "bob",
    ),
    ("POST", "/stats/published/{org_id}/{name}"): (
        "/stats/published/dwp/carers",
        {"json": {"rows": ["postcode"], "columns": ["forename"], "name": "carers_by_area"}},
        "bob",
    ),
    ("POST", "/batch-checks"): (
        "/batch-checks",
        {
            "json": {
                "name": "mine",
                "dataset": "dwp/carers",
                "key_field": "nino",
                "criterion": {"postcode": ["M1 1AE"]},
                "requesters": ["nhse"],
            }
        },
        "bob",
    ),
    ("POST", "/batch-checks/{org_id}/{name}/batches"): (
        "/batch-checks/dwp/carers/batches",
        {"json": {"identifiers": ["AB123456C"]}},
        "alice",
    ),
    ("POST", "/airlock/checkers/{org_id}"): (
        "/airlock/checkers/nhse",
        {"json": {"principal": "bob"}},
        "bob",
    ),
    ("POST", "/airlock/requests/{org_id}"): (
        "/airlock/requests/nhse",
        {"json": {"title": "t", "outputs": [{"name": "a.csv", "content": "a\n1\n", "query": "q"}]}},
        "bob",
    ),
    ("POST", "/airlock/requests/{request_id}/files/{file_name}/reviews"): (
        "/airlock/requests/{output}/files/pending.csv/reviews",
        {"json": {"decision": "approve"}},
        "bob",
    ),
    ("GET", "/airlock/requests/{request_id}/files/{file_name}"): (
        "/airlock/requests/{output}/files/approved.csv",
        {},
        "bob",
    ),
    ("POST", "/airlock/requests/{request_id}/release"): (
        "/airlock/requests/{output}/release",
        {},
        "bob",
    ),
    ("GET", "/gateways"): ("/gateways", {}, "roleless"),
    ("GET", "/audit/events"): ("/audit/events?organisation=dwp", {}, "bob"),
    ("GET", "/audit/verify"): ("/audit/verify", {}, "alice"),
    ("POST", "/audit/verify"): (
        "/audit/verify",
        {
            "json": {
                "checkpoint": {
                    "seq": 1,
                    "head_hash": "0" * 64,
                    "signed_at": "2026-12-07T22:01:00.000000Z",
                    "key_fingerprint": "0" * 32,
                    "signature": "00",
                }
            }
        },
        "alice",
    ),
    ("POST", "/audit/checkpoints"): ("/audit/checkpoints", {}, "bob"),
    # Delta Sharing: a recipient's share token, refused because the agreement behind it
    # does not allow the channel.
    ("GET", "/delta-sharing/shares"): ("/delta-sharing/shares", {}, "bob"),
    ("GET", "/delta-sharing/shares/{share}"): ("/delta-sharing/shares/{agreement}", {}, "bob"),
    ("GET", "/delta-sharing/shares/{share}/schemas"): (
        "/delta-sharing/shares/{agreement}/schemas",
        {},
        "bob",
    ),
    ("GET", "/delta-sharing/shares/{share}/schemas/{schema}/tables"): (
        "/delta-sharing/shares/{agreement}/schemas/governed/tables",
        {},
        "bob",
    ),
    ("GET", "/delta-sharing/shares/{share}/all-tables"): (
        "/delta-sharing/shares/{agreement}/all-tables",
        {},
        "bob",
    ),
    ("GET", "/delta-sharing/shares/{share}/schemas/{schema}/tables/{table}/version"): (
        "/delta-sharing/shares/{agreement}/schemas/governed/tables/dwp_carers/version",
        {},
        "bob",
    ),
    ("GET", "/delta-sharing/shares/{share}/schemas/{schema}/tables/{table}/metadata"): (
        "/delta-sharing/shares/{agreement}/schemas/governed/tables/dwp_carers/metadata",
        {},
        "bob",
    ),
    ("POST", "/delta-sharing/shares/{share}/schemas/{schema}/tables/{table}/query"): (
        "/delta-sharing/shares/{agreement}/schemas/governed/tables/dwp_carers/query",
        {"json": {}},
        "bob",
    ),
    ("POST", "/agreements/{agreement_id}/messages"): (
        "/agreements/{agreement}/messages?form=whp07",
        {"json": {"referral_id": "W000000001"}},
        "bob",
    ),
    ("GET", "/inbox"): ("/inbox?org=dwp", {}, "bob"),
    ("GET", "/inbox/{message_id}"): ("/inbox/msg-none", {}, "alice"),
    ("POST", "/inbox/{message_id}/action"): ("/inbox/msg-none/action", {}, "alice"),
    ("DELETE", "/inbox/{message_id}"): ("/inbox/msg-none", {}, "alice"),
    ("GET", "/delta-sharing/shares/{share}/schemas/{schema}/tables/{table}/changes"): (
        "/delta-sharing/shares/{agreement}/schemas/governed/tables/dwp_carers/changes"
        "?startingVersion=0",
        {},
        "bob",
    ),
    ("POST", "/retention/run"): ("/retention/run", {}, "bob"),
    # held records and their retention (tests/records)
    ("POST", "/organisations/{org_id}/held-records"): (
        "/organisations/dwp/held-records?kind=payment&referral=W000000001",
        {"content": b"PDF", "headers": {"Accord-Participant-Nino": "JK000001A"}},
        "bob",
    ),
    ("GET", "/organisations/{org_id}/held-records"): (
        "/organisations/dwp/held-records",
        {},
        "bob",
    ),
    ("POST", "/organisations/{org_id}/retention-events"): (
        "/organisations/dwp/retention-events",
        {"json": {"event": "programme_ended", "on": "2020-01-01", "programme": "WHP"}},
        "bob",
    ),
    ("PUT", "/organisations/{org_id}/record-delete-dates/{kind}"): (
        "/organisations/dwp/record-delete-dates/payment",
        {"json": {"offset": "P1M"}},
        "bob",
    ),
    ("POST", "/organisations/{org_id}/held-records/run"): (
        "/organisations/dwp/held-records/run",
        {},
        "bob",
    ),
    ("GET", "/access-reviews"): ("/access-reviews", {}, "roleless"),
    ("POST", "/access-reviews/check"): ("/access-reviews/check", {}, "bob"),
    ("GET", "/access-reviews/{agreement_id}/{organisation}"): (
        "/access-reviews/{agreement}/nhse",
        {},
        "roleless",
    ),
    ("POST", "/access-reviews/{agreement_id}/{organisation}/recertify"): (
        "/access-reviews/{agreement}/nhse/recertify",
        {"json": {"keep": []}},
        "bob",
    ),
    ("GET", "/organisations/{org_id}/retention-items"): (
        "/organisations/dwp/retention-items",
        {},
        "bob",
    ),
    ("POST", "/organisations/{org_id}/destruction-certificates"): (
        "/organisations/dwp/destruction-certificates",
        {"json": {"item": "ri-0000000000000000", "method": "secure_delete"}},
        "bob",
    ),
    ("GET", "/organisations/{org_id}/destruction-certificates"): (
        "/organisations/dwp/destruction-certificates",
        {},
        "bob",
    ),
    ("GET", "/organisations/{org_id}/destruction-certificates/{certificate_id}"): (
        "/organisations/dwp/destruction-certificates/dc-0000000000000000",
        {},
        "bob",
    ),
    ("POST", "/agreements/{agreement_id}/outcomes"): (
        "/agreements/{agreement}/outcomes",
        {"json": {"participants": ["AB123456C"]}},
        "nhse_dpo",
    ),
    ("POST", "/packages/{transfer_id}/recall"): (
        "/packages/tr-0000000000000000/recall",
        {"json": {"reason": "sent to the wrong organisation"}},
        "bob",
    ),
    ("POST", "/recalls/{recall_id}/confirm"): (
        "/recalls/rc-0000000000000000/confirm",
        {"json": {}},
        "bob",
    ),
    ("GET", "/organisations/{org_id}/recalls"): ("/organisations/dwp/recalls", {}, "bob"),
    ("POST", "/recalls/purge"): ("/recalls/purge", {}, "bob"),
    ("POST", "/destruction-certificates/verify"): (
        "/destruction-certificates/verify",
        {
            "json": {
                "certificate": {"id": "dc-0000000000000000"},
                "signature": {"algorithm": "ed25519", "key": "00", "value": "00"},
            }
        },
        "roleless",
    ),
    ("GET", "/organisations/{org_id}/notice-subscriptions"): (
        "/organisations/dwp/notice-subscriptions",
        {},
        "bob",
    ),
    ("POST", "/organisations/{org_id}/notice-subscriptions"): (
        "/organisations/dwp/notice-subscriptions",
        {"json": {"channel": "email", "address": "x@example.gov.uk"}},
        "bob",
    ),
    ("DELETE", "/organisations/{org_id}/notice-subscriptions/{subscription_id}"): (
        "/organisations/dwp/notice-subscriptions/sub-0000000000000000",
        {},
        "bob",
    ),
    ("GET", "/organisations/{org_id}/notices"): ("/organisations/dwp/notices", {}, "bob"),
    ("POST", "/notices/deliver"): ("/notices/deliver", {}, "bob"),
    ("POST", "/notices/remind"): ("/notices/remind", {}, "bob"),
    ("POST", "/erasure-requests"): (
        "/erasure-requests",
        {"json": {"agreement": "{agreement}", "nino": "JG103759A", "name": "A Person"}},
        "alice",
    ),
    ("GET", "/erasure-requests"): ("/erasure-requests?organisation=dwp", {}, "bob"),
    ("POST", "/erasure-requests/remind"): ("/erasure-requests/remind", {}, "bob"),
    ("GET", "/erasure-requests/{request_id}"): ("/erasure-requests/er-000000000000", {}, "bob"),
    ("POST", "/erasure-requests/{request_id}/refer"): (
        "/erasure-requests/er-000000000000/refer",
        {},
        "bob",
    ),
    ("POST", "/erasure-requests/{request_id}/reference"): (
        "/erasure-requests/er-000000000000/reference",
        {"json": {"reference": "DPO-1"}},
        "bob",
    ),
    ("POST", "/erasure-requests/{request_id}/decision"): (
        "/erasure-requests/er-000000000000/decision",
        {"json": {"programme": "WHP", "referral": "voluntary", "started": False}},
        "bob",
    ),
    ("POST", "/erasure-requests/{request_id}/letter"): (
        "/erasure-requests/er-000000000000/letter",
        {},
        "bob",
    ),
    ("POST", "/erasure-requests/{request_id}/holders/{holder}/erasure"): (
        "/erasure-requests/er-000000000000/holders/nhse/erasure",
        {},
        "bob",
    ),
    ("GET", "/subcontractors/{owner}"): ("/subcontractors/dwp", {}, "bob"),
    ("POST", "/subcontractors/{owner}"): (
        "/subcontractors/dwp",
        {
            "json": {
                "subcontractor": "nhse",
                "prime": "leeds",
                "approved_to": "2030-01-01",
                "due_diligence": "Security plan checked, UK hosting only, no offshore links",
                "no_offshore": "yes",
            }
        },
        "bob",
    ),
    ("POST", "/subcontractors/{owner}/{approval_id}/withdraw"): (
        "/subcontractors/dwp/sca-000000000000/withdraw",
        {"json": {"reason": "not theirs"}},
        "bob",
    ),
    # Machine clients' signing keys (docs/tls.md): managed as tokens are.
    ("POST", "/principals/{principal_id}/client-keys"): (
        "/principals/alice/client-keys",
        {"json": {"public_key": CLIENT_PUBLIC_KEY}},
        "bob",
    ),
    ("GET", "/principals/{principal_id}/client-keys"): ("/principals/alice/client-keys", {}, "bob"),
    ("DELETE", "/client-keys/{key_id}"): ("/client-keys/{alice_client_key}", {}, "bob"),
}
# Callers refused above who are no party to the object at all (another organisation's
# principal, token, request or agreement; ``roleless`` belongs to no organisation):
# they are answered exactly as for a missing object, 404.
NOT_A_PARTY = {
    ("GET", "/organisations/{org_id}/held-records"),
    ("POST", "/organisations/{org_id}/held-records"),
    ("GET", "/access-reviews/{agreement_id}/{organisation}"),
    ("DELETE", "/principals/{principal_id}/roles"),
    ("DELETE", "/tokens/{token_id}"),
    ("GET", "/agreements/{agreement_id}"),
    ("GET", "/agreements/{agreement_id}/odrl"),
    ("GET", "/principals/{principal_id}"),
    ("GET", "/principals/{principal_id}/tokens"),
    ("GET", "/requests/{request_id}"),
    ("GET", "/requests/{request_id}/assessment"),
    ("GET", "/requests/{request_id}/view"),
    ("GET", "/organisations/{org_id}/notice-subscriptions"),
    ("POST", "/organisations/{org_id}/notice-subscriptions"),
    ("DELETE", "/organisations/{org_id}/notice-subscriptions/{subscription_id}"),
    ("GET", "/organisations/{org_id}/notices"),
    ("GET", "/inbox"),
    ("GET", "/inbox/{message_id}"),
    ("POST", "/inbox/{message_id}/action"),
    ("DELETE", "/inbox/{message_id}"),
    ("POST", "/packages/{transfer_id}/recall"),
    ("POST", "/recalls/{recall_id}/confirm"),
    ("GET", "/erasure-requests/{request_id}"),
    ("POST", "/erasure-requests/{request_id}/refer"),
    ("POST", "/erasure-requests/{request_id}/reference"),
    ("POST", "/erasure-requests/{request_id}/decision"),
    ("POST", "/erasure-requests/{request_id}/letter"),
    ("POST", "/erasure-requests/{request_id}/holders/{holder}/erasure"),
    ("POST", "/subcontractors/{owner}/{approval_id}/withdraw"),
    ("GET", "/principals/{principal_id}/client-keys"),
    ("DELETE", "/client-keys/{key_id}"),
}
# Files are fetched by signed URL, without a bearer token (as Delta Sharing clients do);
# tests/sharing covers their refusals: tampered, expired, revoked.
OPEN = {
    ("GET", "/health"),
    ("GET", "/register"),
    ("GET", "/delta-sharing/files/{token}"),
    ("HEAD", "/delta-sharing/files/{token}"),
}


def api_routes(world: World) -> set[tuple[str, str]]:
    """Every operation the OpenAPI contract publishes."""
    paths = world.client.get("/openapi.json").json()["paths"]
    return {(method.upper(), path) for path, operations in paths.items() for method in operations}


def test_every_route_is_in_the_matrix(world: World) -> None:
    assert api_routes(world) - OPEN == set(REQUESTS)


def _call(world: World, key: tuple[str, str], who: str) -> Any:
    path, kwargs, _ = REQUESTS[key]
    if "json" in kwargs and kwargs["json"].get("agreement") == "{agreement}":
        kwargs = {**kwargs, "json": {**kwargs["json"], "agreement": world.agreement}}
    if "{alice_client_key}" in path:
        client_key = ClientKeyService(world.accord.store).register(
            world.accord.operator("test"), "alice", CLIENT_PUBLIC_KEY.encode()
        )
        path = path.replace("{alice_client_key}", client_key.id)
    path = (
        path.replace("{alice_token}", world.alice_token_id)
        .replace("{draft}", world.draft_request)
        .replace("{submitted}", world.submitted_request)
        .replace("{agreement}", world.agreement)
        .replace("{output}", world.output_request)
    )
    share = path.startswith("/delta-sharing")
    headers = {**kwargs.get("headers", {}), **world.headers(who, share=share)}
    rest = {k: v for k, v in kwargs.items() if k != "headers"}
    return world.client.request(key[0], path, headers=headers, **rest)


_PROTOCOL_CODES = {
    "unauthenticated": "UNAUTHENTICATED",
    "forbidden": "PERMISSION_DENIED",
    "not_found": "RESOURCE_DOES_NOT_EXIST",
}


def _error(response: Any) -> dict[str, Any]:
    """Accord's envelope, or the Delta Sharing protocol's ``{errorCode, message}`` under
    ``/delta-sharing`` (checked against Accord's code it stands for)."""
    body: dict[str, Any] = response.json()
    if "errorCode" in body:
        assert set(body) == {"errorCode", "message"}
        codes = {v: k for k, v in _PROTOCOL_CODES.items()}
        return {"code": codes[body["errorCode"]], "message": body["message"]}
    error: dict[str, Any] = body["error"]
    return error


def _denials(world: World) -> int:
    return len(world.accord.store.audit_events(AuditFilter(decision="deny", limit=100_000)))


def _unauthenticated(world: World) -> int:
    """401s counted so far: in the open interval, and in the events written for closed ones."""
    events = world.accord.store.audit_events(
        AuditFilter(action="api.refusals.counted", limit=100_000)
    )
    written = sum(
        e.details_dict["count"]  # type: ignore[misc]
        for e in events
        if e.details_dict["kind"] == "unauthenticated"  # type: ignore[index]
    )
    pending: int = world.client.app.state.refusals.pending("unauthenticated")  # type: ignore[attr-defined]
    return written + pending


@pytest.mark.parametrize("key", sorted(REQUESTS))
@pytest.mark.parametrize("who", ["none", "expired", "revoked", "garbage"])
def test_bad_tokens_get_401_and_are_counted(world: World, key: tuple[str, str], who: str) -> None:
    """A 401 names nobody, so it is counted per interval (one ``api.refusals.counted``
    event each), never logged one by one: a flood of bad tokens cannot flood the log."""
    world.tokens["garbage"] = "accord_not-a-real-token"
    before, counted = _denials(world), _unauthenticated(world)
    response = _call(world, key, who)
    assert response.status_code == 401, response.text
    assert _error(response)["code"] == "unauthenticated"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert _unauthenticated(world) == counted + 1
    assert _denials(world) <= before + 1  # at most the interval's event, if one closed


@pytest.mark.parametrize("key", sorted(REQUESTS))
def test_wrong_organisation_or_role_is_refused_and_audited(
    world: World, key: tuple[str, str]
) -> None:
    who = REQUESTS[key][2]
    before = _denials(world)
    response = _call(world, key, who)
    error = _error(response)
    [event] = world.accord.store.audit_events(AuditFilter(decision="deny", limit=1))
    assert _denials(world) == before + 1
    assert event.actor == f"principal:{who}"
    if key in NOT_A_PARTY:
        assert response.status_code == 404, response.text
        assert error["code"] == "not_found"
        assert error["message"].startswith("no ")
        # The log keeps the real reason; the caller learns nothing about the object.
        assert event.reason != error["message"]
        assert event.details_dict["answered"] == "not found"
    else:
        assert response.status_code == 403, response.text
        assert error["code"] == "forbidden"
        assert error["message"]
        assert event.reason == error["message"]


def test_another_organisations_agreement_answers_404_and_is_audited(world: World) -> None:
    before = _denials(world)
    response = world.client.post(
        f"/agreements/{world.agreement}/query",
        json={"sql": "select 1"},
        headers=world.headers("alice"),
    )
    assert response.status_code == 404
    assert _denials(world) == before + 1


def test_the_right_caller_is_allowed(world: World) -> None:
    assert world.client.get("/datasets", headers=world.headers("bob")).status_code == 200
    created = world.client.post(
        "/datasets/dwp/new_one",
        content=CSV_BODY,
        headers={"Content-Type": "text/csv", **world.headers("alice")},
    )
    assert created.status_code == 201, created.text
    assert created.json()["version"]["row_count"] == 2
    verify = world.client.get("/audit/verify", headers=world.headers("auditor"))
    assert verify.json()["ok"] is True
