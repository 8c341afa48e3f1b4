"""The areas an organisation serves, over the API: set by a platform admin, shown to all,
and a malformed code refused naming the field and the form."""

from __future__ import annotations

from accord.store import AuditFilter
from tests.api.conftest import World


def test_an_admin_sets_the_areas_and_everyone_sees_them(world: World) -> None:
    client = world.client
    created = client.post(
        "/organisations",
        json={
            "id": "northshire",
            "name": "Northshire County Council",
            "kind": "local_authority",
            "areas": ["e06000002", "E06000001"],
        },
        headers=world.headers("admin"),
    )
    assert created.status_code == 201, created.text
    assert created.json()["areas"] == ["E06000001", "E06000002"]
    changed = client.put(
        "/organisations/northshire/areas",
        json={"areas": ["E07000123"]},
        headers=world.headers("admin"),
    )
    assert changed.status_code == 200, changed.text
    shown = client.get("/organisations/northshire", headers=world.headers("bob"))
    assert shown.json()["areas"] == ["E07000123"]
    [event] = world.accord.store.audit_events(AuditFilter(action="org.areas", limit=1))
    assert event.decision == "allow"


def test_a_malformed_area_is_refused_and_nothing_changes(world: World) -> None:
    refused = world.client.put(
        "/organisations/dwp/areas", json={"areas": ["Leeds"]}, headers=world.headers("admin")
    )
    assert refused.status_code == 422
    message = refused.json()["error"]["message"]
    assert message.startswith("areas: area 'Leeds'")
    assert "E06000001" in message
    assert world.accord.store.get_organisation("dwp").areas == ()
