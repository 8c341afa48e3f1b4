"""The deletion job and destruction certificates over HTTP, with real tokens: the
platform admin runs the job, the holder certifies, the data owner reads and verifies;
another organisation's certificate answers byte for byte as a missing one."""

from __future__ import annotations

from fastapi.testclient import TestClient

from accord.api.app import create_app
from accord.core.identity import Membership, PrincipalKind, Role
from tests.lifecycle.conftest import World


def _client(world: World) -> tuple[TestClient, dict[str, dict[str, str]]]:
    accord = world.accord
    op = accord.operator("test")
    accord.identity.create_principal(
        op, "root", "Root", PrincipalKind.PERSON, (Membership(accord.platform_org, Role.ADMIN),)
    )
    accord.identity.create_principal(
        op, "northshire.dpo", "DPO", PrincipalKind.PERSON, (Membership("northshire", Role.DPO),)
    )
    tokens = {
        pid: {"Authorization": f"Bearer {accord.identity.issue_token(op, pid, ttl_days=1)[1]}"}
        for pid in ("root", "nhse.dpo", "dwp.data", "northshire.dpo")
    }
    return TestClient(create_app(accord)), tokens


def test_run_certify_read_and_verify_over_http(sqlite_world: World) -> None:
    world = sqlite_world
    world.query()
    received = world.deliver()
    world.revoke()
    client, auth = _client(world)

    refused = client.post("/retention/run", headers=auth["nhse.dpo"])
    assert refused.status_code == 403
    report = client.post("/retention/run", headers=auth["root"])
    assert report.status_code == 200, report.text
    [marked] = report.json()["marked"]
    assert marked["subject"] == f"package:{received.manifest.transfer_id}"
    assert len(report.json()["deleted"]) == 1

    items = client.get("/organisations/nhse/retention-items", headers=auth["nhse.dpo"])
    assert [i["id"] for i in items.json()] == [marked["id"]]
    wrong_holder = client.post(
        "/organisations/dwp/destruction-certificates",
        json={"item": marked["id"]},
        headers=auth["dwp.data"],
    )
    assert wrong_holder.status_code == 404  # not one of dwp's copies
    bad = client.post(
        "/organisations/nhse/destruction-certificates",
        json={"item": marked["id"], "method": "shredder"},
        headers=auth["nhse.dpo"],
    )
    assert bad.status_code == 422
    assert "method" in bad.text

    issued = client.post(
        "/organisations/nhse/destruction-certificates",
        json={"item": marked["id"], "method": "secure_delete", "note": "inbox wiped"},
        headers=auth["nhse.dpo"],
    )
    assert issued.status_code == 201, issued.text
    certificate = issued.json()
    assert certificate["holder"] == "nhse"
    assert certificate["certified_by"] == "nhse.dpo"

    path = f"/organisations/dwp/destruction-certificates/{certificate['id']}"
    shown = client.get(path, headers=auth["dwp.data"])
    assert shown.status_code == 200
    assert shown.json()["verified"] is True
    listed = client.get("/organisations/dwp/destruction-certificates", headers=auth["dwp.data"])
    assert [c["id"] for c in listed.json()] == [certificate["id"]]

    portable = {
        "certificate": {
            k: certificate[k] for k in certificate if k not in ("key_fingerprint", "signature")
        },
        "signature": {
            "algorithm": "ed25519",
            "key": certificate["key_fingerprint"],
            "value": certificate["signature"],
        },
    }
    verdict = client.post("/destruction-certificates/verify", json=portable, headers=auth["root"])
    assert verdict.json()["verified"] is True
    portable["certificate"]["holder"] = "dwp"
    verdict = client.post("/destruction-certificates/verify", json=portable, headers=auth["root"])
    assert verdict.json()["verified"] is False

    # northshire's DPO on its own path: the certificate is not about northshire's data or
    # copies, and answers exactly as a missing one.
    other = client.get(
        f"/organisations/northshire/destruction-certificates/{certificate['id']}",
        headers=auth["northshire.dpo"],
    )
    absent = client.get(
        "/organisations/northshire/destruction-certificates/dc-0000000000000000",
        headers=auth["northshire.dpo"],
    )
    assert other.status_code == absent.status_code == 404
    assert other.content == absent.content.replace(
        b"dc-0000000000000000", certificate["id"].encode()
    )
