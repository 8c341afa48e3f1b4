"""``GET /audit/events?about=ORG``: an owner's auditor and DPO read every use of its data."""

from __future__ import annotations

import pytest

from accord.core.identity import Membership, PrincipalKind, Role
from tests.api.conftest import World


@pytest.fixture
def dwp_readers(world: World) -> dict[str, dict[str, str]]:
    accord = world.accord
    op = accord.operator("test")
    headers = {}
    for pid, role in (("dora", Role.AUDITOR), ("dan", Role.DPO)):
        accord.identity.create_principal(
            op, pid, pid.title(), PrincipalKind.PERSON, (Membership("dwp", role),)
        )
        secret = accord.identity.issue_token(op, pid, ttl_days=1)[1]
        headers[pid] = {"Authorization": f"Bearer {secret}"}
    return headers


def test_dwp_auditor_and_dpo_read_every_event_about_dwp(
    world: World, dwp_readers: dict[str, dict[str, str]]
) -> None:
    response = world.client.get(
        "/audit/events", params={"about": "dwp", "limit": 1000}, headers=dwp_readers["dora"]
    )
    assert response.status_code == 200, response.text
    events = response.json()
    assert events
    assert all("dwp" in e["owners"] or e["organisation"] == "dwp" for e in events)
    # NHS England's own actions on DWP data are there: its request, its share credential.
    nhse_about_dwp = {e["action"] for e in events if e["organisation"] == "nhse"}
    assert "request.create" in nhse_about_dwp
    # As are DWP's own staff's approvals, with the reason that allowed them.
    approvals = [e for e in events if e["action"].startswith("request.approve")]
    assert approvals
    assert all(e["reason"] for e in approvals)
    # The DPO reads the same events (and the auditor's reading of them, since then).
    dpo = world.client.get(
        "/audit/events", params={"about": "dwp", "limit": 1000}, headers=dwp_readers["dan"]
    )
    assert {e["seq"] for e in events} <= {e["seq"] for e in dpo.json()}


@pytest.mark.parametrize("who", ["bob", "checker1", "alice"])
def test_nobody_else_reads_events_about_dwp(world: World, who: str) -> None:
    """NHS England's requester and auditor, and DWP's data owner (not its auditor)."""
    response = world.client.get(
        "/audit/events", params={"about": "dwp"}, headers=world.headers(who)
    )
    assert response.status_code == 403
    assert "auditor or dpo of 'dwp'" in response.json()["error"]["message"]
