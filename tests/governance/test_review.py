"""Review what you approve: the stored assessment, new revisions, decision records for
every outcome, seed 001's considerations, and refusals that leak nothing."""

from __future__ import annotations

from typing import Any

import pytest

from accord.core.governance.decision import DecisionOutcome
from accord.core.governance.presentation import request_view, request_view_text
from accord.core.governance.stored import freeze
from accord.core.governance.workflow import RequestState
from accord.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from accord.services.app import Accord
from accord.store import AuditFilter
from tests.governance.conftest import example

CONSIDERATIONS = {
    "benefit_or_detriment": "Carers are offered a vaccine earlier; no detriment",
    "cost_against_benefit": "Two days of analyst time against earlier protection",
    "fair_processing_information": "The Carer's Allowance privacy notice",
    "compatible_with_fair_processing": True,
    "operational_difference": "GPs can invite carers in the priority group",
    "alternatives_considered": [
        {"option": "Self-declaration at GP surgeries", "why_rejected": "Too few carers came"}
    ],
}


def as_(world: Accord, who: str):  # type: ignore[no-untyped-def]
    return world.acting_as(who, "test")


def submitted(world: Accord, **changes: Any) -> str:
    analyst = as_(world, "nhse.analyst")
    request = world.requests.create(analyst, example("carers-vaccination", **changes))
    world.requests.submit(analyst, request.id)
    world.requests.start_review(as_(world, "dwp.data"), request.id)
    return request.id


def test_the_assessment_is_stored_at_submission_and_approvals_bind_to_it(world: Accord) -> None:
    request_id = submitted(world)
    stored = world.store.get_revision(request_id, 1)
    assert stored is not None
    assert stored.assessment == freeze(world.requests.assess(stored.document))
    assert stored.assessment.tier == 5
    [event] = world.store.audit_events(AuditFilter(action="request.submit"))
    assert event.details_dict["assessment_sha256"] == stored.assessment.sha256
    world.requests.approve(as_(world, "dwp.data"), request_id)
    [approval] = [r for r in world.store.list_reviews(request_id) if r.action == "approve"]
    assert approval.assessment_sha256 == stored.assessment.sha256


def test_an_approval_is_refused_when_a_fresh_assessment_differs(world: Accord) -> None:
    """Two requests are reviewed at once; the first becomes an agreement, so the second
    no longer sets a precedent: what was reviewed is no longer what would be approved."""
    first, second = submitted(world), submitted(world)
    for who in ("dwp.data", "dwp.dpo", "dwp.legal"):
        world.requests.approve(as_(world, who), first)
    with pytest.raises(ConflictError, match=r"finding PRECEDENT .warn. no longer arises"):
        world.requests.approve(as_(world, "dwp.data"), second)
    [denied] = world.store.audit_events(
        AuditFilter(action="request.approve", decision="deny", object=f"request:{second}")
    )
    assert "PRECEDENT" in denied.reason
    assert world.store.get_request(second).state is RequestState.IN_REVIEW


def test_after_changes_are_requested_only_a_new_revision_is_resubmitted(world: Accord) -> None:
    analyst = as_(world, "nhse.analyst")
    request_id = submitted(world)
    world.requests.request_changes(as_(world, "dwp.dpo"), request_id, "Drop the address line")
    with pytest.raises(ConflictError, match="has not been edited"):
        world.requests.submit(analyst, request_id)
    current = world.store.get_request(request_id)
    world.requests.edit(analyst, request_id, current.document)
    with pytest.raises(ConflictError, match="same as revision 1"):
        world.requests.submit(analyst, request_id)
    document = current.document.model_dump(mode="json")
    document["datasets"][0]["fields"] = [
        f for f in document["datasets"][0]["fields"] if f["name"] != "address_line_1"
    ]
    world.requests.edit(analyst, request_id, type(current.document).model_validate(document))
    assert world.store.get_request(request_id).revision == 2
    world.requests.submit(analyst, request_id)
    assert [r.revision for r in world.store.list_revisions(request_id)] == [1, 2]
    view = request_view(*world.requests.history(world.operator("test"), request_id))
    assert view["changes"]["from_revision"] == 1
    assert any(
        "address_line_1" in line and line.startswith("-") for line in view["changes"]["lines"]
    )
    text = request_view_text(view)
    for expected in (
        "Purpose (emergency response):",
        "Lawful basis: 6(1)(e)",
        "dwp/carers_allowance.nino as keep:",
        "Cohorts:",
        "Findings of revision 2 as submitted",
        "WARN   PRECEDENT",
        "Changes since revision 1:",
    ):
        assert expected in text, expected


def test_approval_with_conditions_and_a_charge_is_share_with_conditions(world: Accord) -> None:
    request_id = submitted(world, considerations=CONSIDERATIONS)
    world.requests.approve(
        as_(world, "dwp.data"),
        request_id,
        conditions=("Delete the file within 30 days of matching",),
        charge_pence=25_000,
        charge_basis="cost recovery for the extract",
    )
    with pytest.raises(ValidationError, match="charge_basis"):
        world.requests.approve(as_(world, "dwp.dpo"), request_id, charge_pence=10)
    world.requests.approve(as_(world, "dwp.dpo"), request_id)
    outcome = world.requests.approve(as_(world, "dwp.legal"), request_id)
    agreement = outcome.agreement
    assert agreement is not None
    assert "Delete the file within 30 days of matching" in agreement.policy.conditions
    assert any("£250.00" in c for c in agreement.policy.conditions)
    [decision] = world.requests.decisions.list(world.operator("test"), request_id)
    record = decision.record
    assert record.decision is DecisionOutcome.SHARE_WITH_CONDITIONS
    assert [(c.organisation, c.amount_pence) for c in record.charges] == [("dwp", 25_000)]
    answers = {c.question: c.answer for c in record.considerations}
    assert answers["Benefit or detriment to the individuals"].startswith("Carers are offered")
    assert answers["Compatible with that fair-processing information"] == "yes"
    assert answers["Alternative considered"].startswith("Self-declaration")
    text = record.text()
    assert "share with conditions" in text
    assert "Considerations:" in text
    assert world.agreements.verify(agreement)


def test_a_decision_without_considerations_says_they_were_not_stated(world: Accord) -> None:
    request_id = submitted(world)
    world.requests.reject(as_(world, "dwp.dpo"), request_id, "No DPIA sign-off yet")
    [decision] = world.requests.decisions.list(world.operator("test"), request_id)
    assert decision.outcome is DecisionOutcome.DO_NOT_SHARE
    assert {c.answer for c in decision.record.considerations} == {"not stated"}


def test_another_organisations_request_answers_exactly_as_a_missing_one(world: Accord) -> None:
    request_id = submitted(world)
    outsider = as_(world, "northshire.officer")
    answers = []
    for target in (request_id, "req-00000000"):
        for act in (
            lambda t: world.requests.get(outsider, t),
            lambda t: world.requests.withdraw(outsider, t),
            lambda t: world.requests.approve(outsider, t),
            lambda t: world.requests.override(outsider, t, "X", "y"),
        ):
            with pytest.raises(NotFoundError) as refused:
                act(target)
            answers.append((type(refused.value), refused.value.message.replace(target, "ID")))
    assert len(set(answers)) == 1
    denied = world.store.audit_events(
        AuditFilter(actor="principal:northshire.officer", decision="deny", limit=100)
    )
    assert len(denied) == 8


def test_authorisation_runs_before_the_state_is_looked_at(world: Accord) -> None:
    request_id = submitted(world)
    for who in ("dwp.data", "dwp.dpo", "dwp.legal"):
        world.requests.approve(as_(world, who), request_id)
    # A party without the requester's role learns nothing of the state: 403, not 409.
    with pytest.raises(PermissionDenied, match="only a requester"):
        world.requests.withdraw(as_(world, "dwp.data"), request_id)
    with pytest.raises(PermissionDenied, match="the requesting organisation cannot override"):
        world.requests.override(as_(world, "nhse.analyst"), request_id, "X", "y")
    with pytest.raises(PermissionDenied, match="separation of duties"):
        world.requests.reject(as_(world, "nhse.analyst"), request_id, "no")
    # The requester is authorised, so the state is the reason given (and audited).
    with pytest.raises(ConflictError, match="cannot withdraw from state approved"):
        world.requests.withdraw(as_(world, "nhse.analyst"), request_id)
    [event] = world.store.audit_events(
        AuditFilter(actor="principal:nhse.analyst", action="request.withdraw", decision="deny")
    )
    assert "cannot withdraw" in event.reason


def test_every_refusal_of_a_request_action_leaves_one_deny_event(world: Accord) -> None:
    """Who, what input, what state, what was reviewed: each kind of refusal is audited."""
    request_id = submitted(world)
    analyst, dpo, legal = (as_(world, w) for w in ("nhse.analyst", "dwp.dpo", "dwp.legal"))
    document = world.store.get_request(request_id).document
    refusals = [
        (NotFoundError, lambda: world.requests.get(as_(world, "northshire.officer"), request_id)),
        (NotFoundError, lambda: world.requests.get(analyst, "req-00000000")),
        (PermissionDenied, lambda: world.requests.approve(analyst, request_id)),
        (ValidationError, lambda: world.requests.reject(dpo, request_id, " ")),
        (ValidationError, lambda: world.requests.request_changes(dpo, request_id, "")),
        (ValidationError, lambda: world.requests.override(legal, request_id, "X", "why")),
        (ValidationError, lambda: world.requests.override(legal, request_id, "X", " ")),
        (
            ValidationError,
            lambda: world.requests.approve(dpo, request_id, charge_pence=-1, charge_basis="x"),
        ),
        (ConflictError, lambda: world.requests.edit(analyst, request_id, document)),
        (ConflictError, lambda: world.requests.submit(analyst, request_id)),
        (
            ValidationError,
            lambda: world.requests.create(
                analyst, example("carers-vaccination", requester="nhse.dpo")
            ),
        ),
    ]
    for error, act in refusals:
        before = len(world.store.audit_events(AuditFilter(decision="deny", limit=1000)))
        with pytest.raises(error) as refused:
            act()
        denied = world.store.audit_events(AuditFilter(decision="deny", limit=1000))
        assert len(denied) == before + 1, refused.value
        assert denied[0].reason
