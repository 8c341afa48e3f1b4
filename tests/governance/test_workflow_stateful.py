"""Any sequence of actions by anyone, on a request of one owner or of two: never approved
without every owner's required approvals from distinct people of that owner, never
with a blocking finding not overridden by every owner's legal, never a transition
outside the table, and every transition audited."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from accord.core.governance.workflow import REQUEST_TRANSITIONS, RequestState
from accord.core.identity import Role
from accord.errors import AccordError
from accord.services.app import Accord
from accord.settings import load_settings
from accord.store import AuditFilter
from tests.governance.conftest import (
    HMRC_PEOPLE,
    PEOPLE,
    add_hmrc,
    build_world,
    example,
    two_owner_request,
)

EDGES = {(t.source, t.target) for t in REQUEST_TRANSITIONS}
ACTIONS = [
    "edit",
    "submit",
    "start_review",
    "request_changes",
    "approve",
    "reject",
    "withdraw",
    "override",
]
REQUESTING = "nhse"


class Workflow(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.home = Path(tempfile.mkdtemp(prefix="accord-stateful-"))
        self.world = add_hmrc(
            build_world(
                Accord.init(
                    load_settings({"ACCORD_HOME": str(self.home / "home")}), operator="test"
                ),
                self.home,
            ),
            self.home,
        )
        self.request_id = ""
        self.successes = 0

    @initialize(blocked=st.booleans(), two_owners=st.booleans())
    def create(self, blocked: bool, two_owners: bool) -> None:
        today = date.today()
        changes: dict[str, object] = {
            "start_date": str(today),
            "end_date": str(today + timedelta(days=90)),
        }
        if blocked:
            changes["territory"] = "other"
            changes["override_requests"] = [
                {"finding": "LEGAL_TERRITORY", "reason": "adequacy in place"}
            ]
        caller = self.world.acting_as("nhse.analyst", "test")
        document = (
            two_owner_request(**changes) if two_owners else example("carers-vaccination", **changes)
        )
        self.request_id = self.world.requests.create(caller, document).id
        self.successes = 1
        self.state = RequestState.DRAFT

    @rule(action=st.sampled_from(ACTIONS), who=st.sampled_from(sorted({**PEOPLE, **HMRC_PEOPLE})))
    def act(self, action: str, who: str) -> None:
        """Anyone tries anything."""
        self._try(action, who)

    @rule(
        reviewer=st.sampled_from(
            [
                "dwp.data",
                "dwp.data2",
                "dwp.dpo",
                "dwp.legal",
                "dwp.multi",
                "insider",
                *sorted(HMRC_PEOPLE),
            ]
        )
    )
    def progress(self, reviewer: str) -> None:
        """The natural next step, so that runs reach the end of the workflow."""
        state = self.world.store.get_request(self.request_id).state
        if state is RequestState.CHANGES_REQUESTED:
            self._try("edit", "nhse.analyst")
            self._try("submit", "nhse.analyst")
        elif state is RequestState.DRAFT:
            self._try("submit", "nhse.analyst")
        elif state is RequestState.SUBMITTED:
            self._try("start_review", reviewer)
        elif state is RequestState.IN_REVIEW:
            self._try("override", reviewer)
            self._try("approve", reviewer)
        event(f"state {self.world.store.get_request(self.request_id).state.value}")

    def _try(self, action: str, who: str) -> None:
        world, caller = self.world, self.world.acting_as(who, "test")
        before = world.store.get_request(self.request_id)
        try:
            if action == "edit":  # a real change, so that the revision may be resubmitted
                changed = before.document.model_copy(
                    update={
                        "title": f"{before.document.title.split(' (edit')[0]} (edit "
                        f"{self.successes})"
                    }
                )
                world.requests.edit(caller, self.request_id, changed)
            elif action == "submit":
                world.requests.submit(caller, self.request_id)
            elif action == "start_review":
                world.requests.start_review(caller, self.request_id)
            elif action == "request_changes":
                world.requests.request_changes(caller, self.request_id, "please change")
            elif action == "approve":
                world.requests.approve(caller, self.request_id)
            elif action == "reject":
                world.requests.reject(caller, self.request_id, "no")
            elif action == "withdraw":
                world.requests.withdraw(caller, self.request_id)
            else:
                world.requests.override(
                    caller, self.request_id, "LEGAL_TERRITORY", "adequacy in place"
                )
        except AccordError:
            after = world.store.get_request(self.request_id)
            assert (after.state, after.revision) == (before.state, before.revision)
            return
        self.successes += 1
        after = world.store.get_request(self.request_id)
        assert after.state == before.state or (before.state, after.state) in EDGES, (
            f"{action} by {who} moved {before.state} to {after.state}, which the table lacks"
        )

    @invariant()
    def approved_only_with_every_owners_required_approvals(self) -> None:
        if not self.request_id:
            return
        request = self.world.store.get_request(self.request_id)
        if request.state is not RequestState.APPROVED:
            return
        stored = self.world.store.get_revision(request.id, request.revision)
        assert stored is not None, "approved without a stored assessment"
        owners = request.document.owner_organisations()
        approvals = [
            r
            for r in self.world.store.list_reviews(request.id, request.revision)
            if r.action == "approve"
        ]
        principals = [a.principal_id for a in approvals]
        assert len(principals) == len(set(principals)), "one person approved twice"
        assert all(a.assessment_sha256 == stored.assessment.sha256 for a in approvals)
        assert {(a.organisation_id, a.role) for a in approvals} == {
            (org, role.value) for org in owners for role in stored.assessment.approver_roles
        }, "approved without every owner's required roles"
        for approval in approvals:
            principal = self.world.store.get_principal(approval.principal_id)
            held = {m.organisation_id for m in principal.memberships}
            assert REQUESTING not in held, "someone from the requesting organisation approved"
            assert principal.has_role(approval.organisation_id, Role(approval.role)), (
                f"{approval.principal_id} approved as {approval.role} of "
                f"{approval.organisation_id} without holding it"
            )
        overrides = self.world.store.list_overrides(request.id, request.revision)
        for ref in stored.assessment.blocking_refs:
            assert {o.organisation_id for o in overrides if o.finding == ref} == set(owners), (
                f"{ref} resolved without every owner's legal"
            )
        event(f"approved, {len(owners)} owner(s)")
        [agreement] = self.world.store.list_agreements()
        assert [s.organisation for s in agreement.signatures] == list(owners)
        assert self.world.agreements.verify(agreement)

    @invariant()
    def every_change_is_audited(self) -> None:
        if not self.request_id:
            return
        events = self.world.store.audit_events(
            AuditFilter(object=f"request:{self.request_id}", decision="allow", limit=10_000)
        )
        assert len(events) == self.successes

    def teardown(self) -> None:
        try:
            assert self.world.audit.verify().ok
        finally:
            self.world.close()
            shutil.rmtree(self.home, ignore_errors=True)


Workflow.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestWorkflow = Workflow.TestCase
