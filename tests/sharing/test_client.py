"""The official Delta Sharing client against a live Accord server, over real HTTP."""

from __future__ import annotations

import json
from datetime import timedelta

import delta_sharing
import httpx
import pandas as pd
import pyarrow.parquet as pq
import pytest
from delta_sharing.protocol import DeltaSharingProfile, Table
from delta_sharing.rest_client import DataSharingRestClient
from requests.exceptions import HTTPError

from accord.core.audit import AuditRecord
from accord.services.app import Accord
from accord.store import AuditFilter
from tests.plane.conftest import agreement_request
from tests.sharing.conftest import Served

TABLE = "dwp_carers_allowance"


def events(accord: Accord, action: str, decision: str | None = None) -> list[AuditRecord]:
    found = AuditFilter(action=action, decision=decision, limit=1000)
    return accord.store.audit_events(found)


def file_url(served: Served, principal: str = "nhse.analyst") -> str:
    """A signed file URL, as a query hands it to the client."""
    profile = DeltaSharingProfile.read_from_file(str(served.profile(principal)))
    client = DataSharingRestClient(profile, num_retries=0)
    table = Table(name=TABLE, share=served.agreement.id, schema="governed")
    [added] = client.list_files_in_table(table).add_files
    return added.url


def test_the_client_lists_shares_schemas_and_tables(served: Served) -> None:
    client = delta_sharing.SharingClient(str(served.profile()))
    [share] = client.list_shares()
    assert share.name == served.agreement.id
    [schema] = client.list_schemas(share)
    assert schema.name == "governed"
    assert [t.name for t in client.list_tables(schema)] == [TABLE]
    assert [(t.share, t.schema, t.name) for t in client.list_all_tables()] == [
        (served.agreement.id, "governed", TABLE)
    ]
    assert events(served.accord, "sharing.list", "allow")


def test_load_as_pandas_returns_exactly_the_governed_extract(served: Served) -> None:
    frame = delta_sharing.load_as_pandas(served.url(served.profile()))
    analyst = served.accord.acting_as("nhse.analyst", "test")
    extract = served.accord.plane.extract(
        analyst, served.agreement.id, "dwp/carers_allowance", served.tmp_path / "extract"
    )
    expected = pq.read_table(extract.path).to_pandas(date_as_object=True)
    pd.testing.assert_frame_equal(frame, expected)
    # Governed, not raw: NINOs are pseudonymised, the surname dropped, a flag derived.
    assert "surname" not in frame.columns
    assert all(len(value) == 64 for value in frame["nino"])
    assert frame["weekly_amount"].dtype == bool
    # The metadata, the query and each file fetch are in the log.
    [query] = events(served.accord, "sharing.query", "allow")
    assert json.loads(query.details)["rows"] == len(frame)
    assert query.actor == "principal:nhse.analyst"
    fetches = events(served.accord, "sharing.file", "allow")
    assert {json.loads(e.details)["method"] for e in fetches} >= {"HEAD", "GET"}
    file_id = json.loads(query.details)["file"]
    assert all(json.loads(e.details)["file"] == file_id for e in fetches)


def test_the_table_version_follows_the_agreement_and_dataset_versions(served: Served) -> None:
    version = delta_sharing.get_table_version(served.url(served.profile()))
    dataset = served.accord.store.get_version("dwp/carers_allowance").number
    assert version == served.agreement.version * 1_000_000 + dataset


def test_a_wrong_token_is_refused_and_counted_not_logged(served: Served) -> None:
    """A 401 names nobody: the API counts it per interval (``api.refusals.counted``,
    tests/hardening/limits) rather than writing one event per forged token."""
    profile = served.tmp_path / "forged.share"
    document = json.loads(served.profile().read_text())
    profile.write_text(json.dumps({**document, "bearerToken": "accord_ds_forged"}))
    before = len(events(served.accord, "sharing.authenticate", "deny"))
    with pytest.raises(HTTPError) as raised:
        delta_sharing.SharingClient(str(profile)).list_shares()
    assert raised.value.response.status_code == 401
    assert raised.value.response.json()["message"] == "unknown share token"
    assert len(events(served.accord, "sharing.authenticate", "deny")) == before


def test_a_revoked_share_token_is_refused(served: Served) -> None:
    profile = served.profile()
    secret = json.loads(profile.read_text())["bearerToken"]
    [token] = served.accord.store.list_share_tokens(agreement_id=served.agreement.id)
    assert secret.startswith(token.prefix)
    served.accord.sharing.revoke_token(served.accord.operator("test"), token.id)
    with pytest.raises(HTTPError) as raised:
        delta_sharing.SharingClient(str(profile)).list_shares()
    assert raised.value.response.status_code == 401
    assert raised.value.response.json()["message"] == f"share token {token.id} was revoked"


def test_another_recipients_share_is_refused_and_audited(served: Served) -> None:
    world = served.accord
    officer = world.acting_as("northshire.officer", "test")
    request = agreement_request(
        channels=["delta_sharing"],
        requesting_organisation="northshire",
        requester="northshire.officer",
        title="Carers known to the council",
    )
    # A domain of its own: nhse's agreement owns carers-2021, so naming it would be a
    # blocking LINKAGE_DOMAIN_SHARED finding (tests/governance/test_linkage_domains.py).
    document = request.model_dump(mode="json")
    document["datasets"][0]["fields"][0]["transform"]["argument"] = "northshire-carers"
    request = type(request).model_validate(document)
    created = world.requests.create(officer, request)
    world.requests.submit(officer, created.id)
    world.requests.start_review(world.acting_as("dwp.data", "test"), created.id)
    for who in ("dwp.data", "dwp.dpo", "dwp.legal"):
        outcome = world.requests.approve(world.acting_as(who, "test"), created.id)
    assert outcome.agreement is not None
    theirs = outcome.agreement.id
    # nhse's credential, pointed at northshire's share.
    url = f"{served.profile()}#{theirs}.governed.{TABLE}"
    with pytest.raises(HTTPError) as raised:
        delta_sharing.load_as_pandas(url)
    assert raised.value.response.status_code == 404
    [denied, *_] = events(world, "sharing.metadata", "deny")
    assert denied.object == f"share:{theirs}"
    assert denied.actor == "principal:nhse.analyst"
    # Nor may nhse's analyst be issued a credential for it.
    with pytest.raises(Exception, match="not a requester or analyst of 'northshire'"):
        served.profile("nhse.analyst", agreement=theirs)
    # Their own credential reads their own share.
    northshire = served.profile("northshire.officer", agreement=theirs)
    assert len(delta_sharing.load_as_pandas(f"{northshire}#{theirs}.governed.{TABLE}")) == 2


def test_a_tampered_url_is_refused_and_audited(served: Served) -> None:
    url = file_url(served)
    assert httpx.head(url).status_code == 200
    base, _, query = url.partition("?")
    params = dict(part.split("=", 1) for part in query.split("&"))
    later = {**params, "expires": str(int(params["expires"]) + 3600)}
    for altered in (
        f"{base}?expires={later['expires']}&sig={later['sig']}",
        f"{base[:-2]}xx?{query}",
        f"{base}?expires={params['expires']}&sig={'0' * 64}",
    ):
        response = httpx.get(altered)
        assert response.status_code == 403, response.text
        assert response.json()["errorCode"] == "PERMISSION_DENIED"
        assert not response.content.startswith(b"PAR1")
    denied = events(served.accord, "sharing.file", "deny")
    assert len(denied) == 3
    assert {e.reason for e in denied} <= {
        "the file URL's signature does not match: it was altered",
        "the file URL is malformed",
    }


def test_an_expired_url_is_refused_and_audited(served: Served) -> None:
    url = file_url(served)
    assert httpx.get(url, headers={"Range": "bytes=0-3"}).content == b"PAR1"
    real = served.accord.store.clock
    served.accord.store.clock = lambda: real() + timedelta(minutes=6)  # time passes
    response = httpx.get(url)
    assert response.status_code == 403
    assert "expired" in response.json()["message"]
    [denied] = events(served.accord, "sharing.file", "deny")
    assert denied.reason.startswith("the file URL expired at")


@pytest.mark.parametrize("action", ["revoke", "suspend"])
def test_revoking_or_suspending_the_agreement_stops_serving_at_once(
    served: Served, action: str
) -> None:
    profile = served.profile()
    url = file_url(served)
    assert len(delta_sharing.load_as_pandas(served.url(profile))) == 2
    steward = served.accord.acting_as("dwp.dpo", "test")
    getattr(served.accord.agreements, action)(steward, served.agreement.id, "test of revocation")
    state = "revoked" if action == "revoke" else "suspended"
    with pytest.raises(HTTPError) as raised:
        delta_sharing.load_as_pandas(served.url(profile))
    assert raised.value.response.status_code == 403
    assert state in raised.value.response.text
    # A URL handed out before the revocation lapses with it.
    outstanding = httpx.get(url)
    assert outstanding.status_code == 403
    [denied] = events(served.accord, "sharing.file", "deny")
    assert (
        denied.reason == f"agreement {served.agreement.id} v{served.agreement.version} is {state}"
    )
    assert served.accord.audit.verify().ok
