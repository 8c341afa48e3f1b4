"""``/erasure-requests``: the same service over HTTP, refusals as the API's one envelope."""

from __future__ import annotations

from fastapi.testclient import TestClient

from accord.api.app import create_app
from accord.demo.provider_world import ProviderWorld
from accord.store.audit_store import AuditFilter


def test_an_accepted_request_over_http(provider_world: ProviderWorld) -> None:
    app = provider_world.app
    op = app.operator("test")
    who = ("northfield.dpo", "dwp.dpo", "eastgate.caseworker", "ridgeway.admin")
    tokens = {p: app.identity.issue_token(op, p, ttl_days=1)[1] for p in who}

    def h(p: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[p]}"}

    with TestClient(create_app(app)) as client:
        made = client.post(
            "/erasure-requests",
            json={
                "agreement": provider_world.agreement.id,
                "nino": "JG103759A",
                "name": "Ann Other",
                "address": ["2 Mill Lane"],
            },
            headers=h("northfield.dpo"),
        )
        assert made.status_code == 201, made.text
        body = made.json()
        assert "Ann Other" in body["letter_to_send"]
        assert (
            "JG103759A" not in {k: v for k, v in body.items() if k != "letter_to_send"}.__repr__()
        )
        rid = body["id"]
        missing = client.get(f"/erasure-requests/{rid}", headers=h("eastgate.caseworker"))
        absent = client.get("/erasure-requests/er-000000000000", headers=h("eastgate.caseworker"))
        assert missing.status_code == absent.status_code == 404
        assert missing.json()["error"]["code"] == absent.json()["error"]["code"]
        assert client.post(f"/erasure-requests/{rid}/refer", headers=h("northfield.dpo")).is_success
        bad = client.post(
            f"/erasure-requests/{rid}/reference", json={"reference": ""}, headers=h("dwp.dpo")
        )
        assert bad.status_code == 422
        assert client.post(
            f"/erasure-requests/{rid}/reference", json={"reference": "DPO-7"}, headers=h("dwp.dpo")
        ).is_success
        decided = client.post(
            f"/erasure-requests/{rid}/decision",
            json={"programme": "JETS", "referral": "voluntary", "started": False},
            headers=h("northfield.dpo"),
        )
        assert decided.json()["decision"]["paragraph"] == "28"
        letter = client.post(f"/erasure-requests/{rid}/letter", headers=h("northfield.dpo"))
        assert "WHP RTE Acc" in letter.json()["letter_to_send"]
        assert "DPO-7" in letter.json()["letter_to_send"]
        assert letter.json()["state"] == "erasing"
        app.org_keys.rotate(op, "ridgeway")
        for holder, p in (("northfield", "northfield.dpo"), ("ridgeway", "ridgeway.admin")):
            done = client.post(f"/erasure-requests/{rid}/holders/{holder}/erasure", headers=h(p))
            assert done.is_success, done.text
        assert done.json()["state"] == "closed"
        listed = client.get(
            "/erasure-requests", params={"organisation": "northfield"}, headers=h("northfield.dpo")
        )
        assert [v["id"] for v in listed.json()] == [rid]
    denied = app.store.audit_events(AuditFilter(action="erasure.show", decision="deny"))
    assert {e.object for e in denied} == {f"erasure:{rid}", "erasure:er-000000000000"}
