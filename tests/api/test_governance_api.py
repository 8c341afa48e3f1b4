"""Requests and decision records over HTTP: the same view as the CLI, decision records
of every outcome, and refusals that answer another organisation's request exactly as a
missing one."""

from __future__ import annotations

from accord.core.governance.request import SharingRequest
from accord.core.identity import Membership, OrgKind, PrincipalKind, Role
from accord.store import AuditFilter
from tests.api.conftest import World, request_body


def _outsider(world: World) -> str:
    """A requester of a council that is party to nothing in the world."""
    accord = world.accord
    op = accord.operator("test")
    accord.identity.create_organisation(op, "lbx", "Borough X", OrgKind.LOCAL_AUTHORITY)
    accord.identity.create_principal(
        op, "carol", "Carol", PrincipalKind.PERSON, (Membership("lbx", Role.REQUESTER),)
    )
    world.tokens["carol"] = accord.identity.issue_token(op, "carol", ttl_days=1)[1]
    return "carol"


def test_another_organisations_request_answers_byte_for_byte_as_a_missing_one(
    world: World,
) -> None:
    who = _outsider(world)
    missing = "req-00000000"
    for method, template, body in (
        ("GET", "/requests/{}", None),
        ("GET", "/requests/{}/view", None),
        ("POST", "/requests/{}/withdraw", None),
        ("POST", "/requests/{}/reviews", {"action": "approve"}),
        ("POST", "/requests/{}/overrides", {"finding": "X", "reason": "y"}),
    ):
        answers = []
        for request_id in (world.submitted_request, missing):
            response = world.client.request(
                method, template.format(request_id), json=body, headers=world.headers(who)
            )
            answers.append(
                (response.status_code, response.content.replace(request_id.encode(), b"ID"))
            )
        assert answers[0] == answers[1], (template, answers)
        assert answers[0][0] == 404
    [decision] = world.accord.requests.decisions.list(world.accord.operator("test"))
    answers = []
    for decision_id in (decision.id, "dec-00000000"):
        response = world.client.get(f"/decisions/{decision_id}", headers=world.headers(who))
        answers.append(
            (response.status_code, response.content.replace(decision_id.encode(), b"ID"))
        )
    assert answers[0] == answers[1]
    assert answers[0][0] == 404
    assert world.client.get("/decisions", headers=world.headers(who)).json() == []
    denied = world.accord.store.audit_events(
        AuditFilter(actor="principal:carol", decision="deny", limit=100)
    )
    assert len(denied) == 12


def test_the_view_and_decision_records_over_http(world: World) -> None:
    view = world.client.get(
        f"/requests/{world.submitted_request}/view", headers=world.headers("bob")
    ).json()
    assert view["fields"] == [
        {"dataset": "dwp/carers", "name": "nino", "transform": "keep", "justification": "matching"}
    ]
    assert view["assessment"]["revision"] == 1
    assert len(view["assessment"]["sha256"]) == 64
    decisions = world.client.get("/decisions", headers=world.headers("alice")).json()
    [decision] = decisions
    assert decision["agreement"] == world.agreement
    assert decision["outcome"] == "share"
    assert decision["signatures_valid"] is True
    assert [s["organisation"] for s in decision["signatures"]] == ["dwp"]
    one = world.client.get(f"/decisions/{decision['id']}", headers=world.headers("bob"))
    assert one.status_code == 200
    assert "Decision record" in one.json()["text"]
    agreement = world.client.get(
        f"/agreements/{world.agreement}", headers=world.headers("alice")
    ).json()
    assert agreement["signature_valid"] is True
    assert agreement["verification"] == ["dwp: signature verifies"]


def test_approval_with_conditions_and_a_charge_over_http(world: World) -> None:
    accord = world.accord
    bob = accord.acting_as("bob", "test")
    created = accord.requests.create(
        bob,
        SharingRequest.parse(
            request_body(form="aggregate", channels=["aggregate_statistics"], title="Counts 2")
        ),
    )
    accord.requests.submit(bob, created.id)
    response = world.client.post(
        f"/requests/{created.id}/reviews",
        json={
            "action": "approve",
            "conditions": ["Counts under 10 suppressed"],
            "charge_pence": 5000,
            "charge_basis": "cost recovery",
        },
        headers=world.headers("alice"),
    )
    assert response.status_code == 409, response.text  # not yet in review
    accord.requests.start_review(accord.acting_as("alice", "test"), created.id)
    response = world.client.post(
        f"/requests/{created.id}/reviews",
        json={
            "action": "approve",
            "conditions": ["Counts under 10 suppressed"],
            "charge_pence": 5000,
            "charge_basis": "cost recovery",
        },
        headers=world.headers("alice"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["approved_for"] == "dwp"
    [decision] = world.client.get(
        f"/decisions?request={created.id}", headers=world.headers("bob")
    ).json()
    assert decision["outcome"] == "share_with_conditions"
    assert decision["record"]["charges"] == [
        {"organisation": "dwp", "amount_pence": 5000, "basis": "cost recovery"}
    ]
