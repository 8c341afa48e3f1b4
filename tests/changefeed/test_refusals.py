"""Refusals of the change feed: bad parameters, other organisations, missing tables.

Each bad parameter is a 400 with the protocol's ``INVALID_PARAMETER_VALUE`` and a
message naming it; another organisation's share answers exactly as a missing one.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import yaml

from accord.core.governance.request import SharingRequest
from accord.demo.provider_world import REQUESTS, referrals_request
from accord.store import AuditFilter
from tests.changefeed.conftest import TABLE, Feed


def _auth(feed: Feed, principal: str = "northfield.caseworker") -> dict[str, str]:
    secret = json.loads(feed.profile(principal).read_text())["bearerToken"]
    return {"Authorization": f"Bearer {secret}"}


def _changes(feed: Feed, headers: dict[str, str], **params: Any) -> httpx.Response:
    share = feed.world.agreement.id
    return httpx.get(
        f"{feed.endpoint}/shares/{share}/schemas/governed/tables/{TABLE}/changes",
        params=params,
        headers=headers,
    )


def test_bad_parameters_get_the_protocols_error_naming_them(feed: Feed) -> None:
    feed.publish(2)
    auth = _auth(feed)
    v1, v2 = feed.table_version(1), feed.table_version(2)
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "startingVersion or startingTimestamp"),
        ({"startingVersion": "abc"}, "startingVersion 'abc' must be a non-negative whole"),
        ({"startingVersion": "-1"}, "startingVersion '-1' must be a non-negative whole"),
        ({"startingVersion": v2 + 1}, f"startingVersion {v2 + 1} is after the latest"),
        ({"startingVersion": 1}, "startingVersion 1 is before this table's history"),
        ({"startingVersion": v2, "endingVersion": v1}, f"starting version {v2} is after"),
        (
            {"startingVersion": v1, "startingTimestamp": "2026-01-01T00:00:00Z"},
            "not both",
        ),
        ({"startingTimestamp": "yesterday"}, "startingTimestamp 'yesterday' is not an ISO"),
        ({"startingTimestamp": "2999-01-01T00:00:00Z"}, "is after the latest version"),
        ({"startingVersion": "9" * 30}, "startingVersion"),
    ]
    for params, message in cases:
        response = _changes(feed, auth, **params)
        assert response.status_code == 400, (params, response.text)
        body = response.json()
        assert set(body) == {"errorCode", "message"}
        assert body["errorCode"] == "INVALID_PARAMETER_VALUE"
        assert message in body["message"], (params, body)
    # Refusals the service decides are on the record with the message given.
    denied = feed.app.store.audit_events(
        AuditFilter(action="sharing.changes", decision="deny", limit=100)
    )
    assert any("is before this table's history" in e.reason for e in denied)


def test_a_range_over_the_limit_is_refused_before_any_file_is_made(feed: Feed) -> None:
    feed.publish(2)
    feed.publish(3)
    feed.app.sharing.max_change_versions = 2
    response = _changes(feed, _auth(feed), startingVersion=feed.table_version(1))
    assert response.status_code == 400
    assert response.json()["errorCode"] == "INVALID_PARAMETER_VALUE"
    assert "spans 3 versions; at most 2" in response.json()["message"]
    changes = list((feed.app.settings.home).rglob("*-changes-*.parquet"))
    assert changes == []
    allowed = _changes(feed, _auth(feed), startingVersion=feed.table_version(2))
    assert allowed.status_code == 200
    assert allowed.headers["delta-table-version"] == str(feed.table_version(2))


def test_the_version_endpoint_and_metadata_speak_of_history(feed: Feed) -> None:
    feed.publish(2)
    auth = _auth(feed)
    table = f"{feed.endpoint}/shares/{feed.world.agreement.id}/schemas/governed/tables/{TABLE}"
    now = httpx.get(f"{table}/version", headers=auth)
    assert now.headers["delta-table-version"] == str(feed.table_version(2))
    first = feed.app.store.list_versions("dwp/circumstance_events")[0].created_at
    at = httpx.get(
        f"{table}/version",
        params={"startingTimestamp": first.strftime("%Y-%m-%dT%H:%M:%S") + "Z"},
        headers=auth,
    )
    assert at.headers["delta-table-version"] == str(feed.table_version(1))
    metadata = [
        json.loads(line) for line in httpx.get(f"{table}/metadata", headers=auth).text.splitlines()
    ]
    assert metadata[1]["metaData"]["configuration"] == {"enableChangeDataFeed": "true"}
    missing = httpx.get(f"{table}_nope/version", headers=auth)
    assert missing.status_code == 404
    assert missing.json()["errorCode"] == "RESOURCE_DOES_NOT_EXIST"
    anonymous = httpx.get(f"{table}/version")
    assert anonymous.status_code == 401
    assert anonymous.json()["errorCode"] == "UNAUTHENTICATED"


def _eastgate_request() -> SharingRequest:
    """Eastgate's own request for its own participants: the same items, its cohort."""
    document = yaml.safe_load((REQUESTS / "whp-referrals.yaml").read_text(encoding="utf-8"))
    northfield = referrals_request()
    for dataset in document["datasets"]:
        dataset["cohort"] = "provider = 'eastgate'"
    document.update(
        requesting_organisation="eastgate",
        requester="eastgate.caseworker",
        title="Work and Health Programme referrals to Eastgate",
        processors=[],
        data_journey=[{"from_party": "dwp", "to_party": "eastgate", "description": "Referrals"}],
        start_date=str(northfield.start_date),
        end_date=str(northfield.end_date),
    )
    return SharingRequest.parse(document)


@pytest.mark.parametrize("table", [TABLE, "dwp_referrals"])
def test_another_providers_share_answers_exactly_as_a_missing_one(feed: Feed, table: str) -> None:
    app = feed.app
    caseworker = feed.world.caller("eastgate.caseworker")
    created = app.requests.create(caseworker, _eastgate_request())
    app.requests.submit(caseworker, created.id)
    app.requests.start_review(feed.world.caller("dwp.data"), created.id)
    for who in ("dwp.data", "dwp.dpo", "dwp.legal"):
        outcome = app.requests.approve(feed.world.caller(who), created.id)
    assert outcome.agreement is not None
    token, document = app.sharing.profile(
        feed.world.operator, outcome.agreement.id, "eastgate.caseworker", feed.endpoint
    )
    eastgate = {"Authorization": f"Bearer {document['bearerToken']}"}
    northfield_share = feed.world.agreement.id
    missing_share = "agr-00000000"
    answers = []
    for share in (northfield_share, missing_share):
        response = httpx.get(
            f"{feed.endpoint}/shares/{share}/schemas/governed/tables/{table}/changes",
            params={"startingVersion": feed.table_version(1)},
            headers=eastgate,
        )
        assert response.status_code == 404
        assert response.json()["errorCode"] == "RESOURCE_DOES_NOT_EXIST"
        answers.append(response.content.replace(share.encode(), b"<id>"))
    assert answers[0] == answers[1]
    denied = app.store.audit_events(AuditFilter(decision="deny", limit=2))
    assert {e.actor for e in denied} == {"principal:eastgate.caseworker"}
    assert token.agreement_id != northfield_share
