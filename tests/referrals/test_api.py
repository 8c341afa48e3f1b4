"""The approved sub-contractors over HTTP: the same service, the same refusals."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient

from accord.api.app import create_app
from accord.demo.provider_world import DUE_DILIGENCE, ProviderWorld


def headers(world: ProviderWorld, principal: str) -> dict[str, str]:
    secret = world.app.identity.issue_token(world.operator, principal, ttl_days=1)[1]
    return {"Authorization": f"Bearer {secret}"}


def test_approve_list_and_withdraw_over_http(provider_world: ProviderWorld) -> None:
    dwp = headers(provider_world, "dwp.admin")
    northfield = headers(provider_world, "northfield.admin")
    body = {
        "subcontractor": "ridgeway",
        "prime": "eastgate",
        "approved_to": str(date.today() + timedelta(days=200)),
        "due_diligence": DUE_DILIGENCE,
        "no_offshore": "yes",
    }
    with TestClient(create_app(provider_world.app)) as client:
        made = client.post("/subcontractors/dwp", json=body, headers=dwp)
        assert made.status_code == 201, made.text
        approval = made.json()
        assert (approval["prime"], approval["state"]) == ("eastgate", "in force")
        listed = client.get("/subcontractors/dwp", headers=dwp).json()
        assert {a["prime"] for a in listed} == {"northfield", "eastgate"}
        # An offshore element refuses the approval, naming the field.
        offshore = client.post(
            "/subcontractors/dwp", json={**body, "no_offshore": "no"}, headers=dwp
        )
        assert offshore.status_code == 422
        assert "no_offshore" in offshore.text
        # Another organisation's admin: refused for the list, not found for an approval.
        assert client.post("/subcontractors/dwp", json=body, headers=northfield).status_code == 403
        assert client.get("/subcontractors/dwp", headers=northfield).status_code == 403
        theirs = client.post(
            f"/subcontractors/dwp/{approval['id']}/withdraw",
            json={"reason": "not ours"},
            headers=northfield,
        )
        missing = client.post(
            "/subcontractors/dwp/sca-000000000000/withdraw",
            json={"reason": "not ours"},
            headers=northfield,
        )
        assert theirs.status_code == missing.status_code == 404
        assert theirs.json()["error"]["message"].replace(approval["id"], "X") == missing.json()[
            "error"
        ]["message"].replace("sca-000000000000", "X")
        withdrawn = client.post(
            f"/subcontractors/dwp/{approval['id']}/withdraw",
            json={"reason": "Contract with Eastgate ended"},
            headers=dwp,
        )
        assert withdrawn.status_code == 200, withdrawn.text
        assert withdrawn.json()["state"] == "withdrawn"
