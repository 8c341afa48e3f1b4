"""Use cases for data-sharing requests: draft, assess, submit, review, approve, reject.

Every owner decides for its own data: the tier's roles are needed from each
data-owning organisation, and the final approval turns the request into an active
agreement version whose decision record is signed by every owner's key, superseding
the version it amends, all in one transaction with the audit events that record it.
A rejection by any owner is a ``do_not_share`` decision record signed by that owner.

The assessment is decided once, at submission, and stored with its hash; overrides
and approvals read the stored one, and an approval is refused if a fresh assessment
differs from what was reviewed.

Every action authorises the caller before it looks at the request's state; a request
the caller may not see answers exactly as a missing one; every refusal is audited.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from accord.core.audit import AuditEvent, Decision
from accord.core.governance.agreement import policy_from_request
from accord.core.governance.assessment import (
    Assessment,
    AssessmentContext,
    PriorAgreement,
    assess,
)
from accord.core.governance.decision import (
    Charge,
    DecisionOutcome,
)
from accord.core.governance.domains import pseudonymised_domains
from accord.core.governance.overrides import resolution, unasked_overrides
from accord.core.governance.permissions import (
    Seat,
    approval_role,
    can_act_for_requester,
    can_create_request,
    can_override,
    can_review,
    can_view_request,
    outstanding_seats,
    override_seat,
    override_seats,
    required_seats,
    reviewer_seat,
    seats_waiting_on,
)
from accord.core.governance.records import (
    AgreementRecord,
    DecisionEntry,
    Override,
    RequestRecord,
    Review,
    RevisionRecord,
)
from accord.core.governance.request import SharingRequest
from accord.core.governance.stored import StoredAssessment, assessment_diff, freeze
from accord.core.governance.workflow import (
    REQUEST_TRANSITIONS,
    AgreementState,
    RequestAction,
    RequestState,
    Transition,
    action_roles,
    find_transition,
)
from accord.core.identity import Role
from accord.core.permissions import Caller, Verdict, can_read_catalogue
from accord.errors import (
    AccordError,
    ConflictError,
    NotFoundError,
    ValidationError,
)
from accord.keys import KeyStore
from accord.services.decisions import (
    DecisionService,
    approval_conditions,
    decision_record,
    per_record_answers,
    sign_decision,
)
from accord.services.guard import authorise, refuse
from accord.store import Store
from accord.store.governance_store import missing_request
from accord.store.referrals_store import ReferralsStore

__all__ = [
    "ApprovalOutcome",
    "RequestService",
    "Waiting",
]

REVIEWED = (RequestState.SUBMITTED, RequestState.IN_REVIEW)
"""The states in which blocking findings may be overridden."""


@dataclass(frozen=True, slots=True)
class ApprovalOutcome:
    request: RequestRecord
    role: Role
    agreement: AgreementRecord | None
    """Set when this approval completed the set and the agreement became active."""
    still_needed: tuple[Role, ...]
    """The roles still needed, in any owner (see ``outstanding`` for which)."""
    organisation: str = ""
    """The data-owning organisation this approval was given for."""
    outstanding: tuple[Seat, ...] = ()
    """Each (organisation, role) still needed."""


@dataclass(frozen=True, slots=True)
class Waiting:
    """A request waiting on one reviewer: the seats they could fill, and since when."""

    request: RequestRecord
    seats: tuple[Seat, ...]
    """Each (owner, role) the tier still needs that this reviewer holds."""
    since: datetime
    """When the revision under review was submitted."""


class RequestService:
    def __init__(self, store: Store, keys: KeyStore) -> None:
        self.store = store
        self.keys = keys
        self.decisions = DecisionService(store, keys, self.get)
        """Decision records of every outcome: list, show, verify."""

    # -- assessment ----------------------------------------------------------------

    def context(self, document: SharingRequest) -> AssessmentContext:
        """The catalogue and platform facts the pure assessment reads."""
        datasets = {d.id: d for d in self.store.list_datasets()}
        row_counts = {}
        for dataset_id in document.dataset_ids():
            if dataset_id in datasets and datasets[dataset_id].latest_version:
                row_counts[dataset_id] = self.store.get_version(dataset_id).row_count
        try:
            recipient = self.store.get_organisation(document.requesting_organisation)
        except NotFoundError:
            recipient = None
        prior = tuple(
            PriorAgreement(a.policy.recipient, a.policy.data_owners, a.policy.purpose_category)
            for a in self.store.list_agreements()
        )
        return AssessmentContext(
            datasets=datasets,
            row_counts=row_counts,
            recipient=recipient,
            prior_agreements=prior,
            today=self.store.clock().date(),
            linkage_domains=self.store.linkage_domains(),
            subcontractor_approvals=(
                tuple(ReferralsStore(self.store).approvals(owners=document.owner_organisations()))
                if document.processors
                else ()
            ),
        )

    def assess(self, document: SharingRequest) -> Assessment:
        return assess(document, self.context(document))

    # -- refusals ----------------------------------------------------------------------

    def _deny(
        self,
        caller: Caller,
        action: str,
        obj: str,
        organisation: str,
        reason: str,
        error: AccordError,
        **details: Any,
    ) -> AccordError:
        """Record a refusal that is not about who the caller is (a state, a stale
        assessment, missing overrides) and hand back the error to raise."""
        if caller.via:
            details["via"] = caller.via
        self.store.record(
            AuditEvent(
                actor=caller.actor,
                action=action,
                object=obj,
                organisation=organisation,
                decision=Decision.DENY,
                reason=reason,
                details=details,
            )
        )
        return error

    def _invalid(self, caller: Caller, allowed: AuditEvent, why: str) -> ValidationError:
        """An authorised caller's bad input, refused on the record like any other refusal."""
        error = ValidationError(why)
        self._deny(caller, allowed.action, allowed.object, allowed.organisation, why, error)
        return error

    def _visible(self, caller: Caller, request_id: str, action: str) -> RequestRecord:
        """The request, if the caller may see it; otherwise exactly the answer for a
        missing one (same type, same message), with the refusal audited."""
        obj = f"request:{request_id}"
        # Who may look at requests at all is decided first, the same for every id.
        authorise(self.store, caller, can_read_catalogue(caller), action=action, obj=obj)
        try:
            request = self.store.get_request(request_id)
        except NotFoundError:
            raise self._deny(
                caller, action, obj, "", "no such request", missing_request(request_id)
            ) from None
        verdict = can_view_request(caller, request)
        if not verdict.allowed:
            raise self._deny(
                caller,
                action,
                obj,
                request.document.requesting_organisation,
                verdict.reason,
                missing_request(request_id),
            )
        return request

    def _transition(
        self, caller: Caller, request: RequestRecord, action: RequestAction
    ) -> Transition:
        """What the state allows, asked only after the caller is authorised."""
        try:
            return find_transition(REQUEST_TRANSITIONS, request.state, action)
        except ConflictError as exc:
            raise self._deny(
                caller,
                f"request.{action.value}",
                f"request:{request.id}",
                request.document.requesting_organisation,
                exc.message,
                exc,
            ) from None

    def get(self, caller: Caller, request_id: str) -> RequestRecord:
        """A request, for its parties and platform auditors; to anyone else it is missing."""
        return self._visible(caller, request_id, "request.show")

    def list_visible(
        self, caller: Caller, state: RequestState | None = None
    ) -> list[RequestRecord]:
        """The requests the caller's organisations are party to (all, for platform auditors)."""
        authorise(
            self.store, caller, can_read_catalogue(caller), action="request.list", obj="requests"
        )
        return [
            r for r in self.store.list_requests(state=state) if can_view_request(caller, r).allowed
        ]

    def waiting_on(self, caller: Caller) -> list[Waiting]:
        """A reviewer's queue, oldest first: requests submitted or in review with a seat
        (a role the tier needs in an owner) that the caller holds, that nobody has filled,
        in a revision the caller has not yet approved. Separation of duties applies:
        nothing waits on a member of the requesting organisation."""
        authorise(
            self.store, caller, can_read_catalogue(caller), action="request.list", obj="requests"
        )
        approve = RequestAction.APPROVE.value
        waiting = []
        for state in REVIEWED:
            for request in self.store.list_requests(state=state):
                roles = action_roles(REQUEST_TRANSITIONS, approve)
                revision = self.store.get_revision(request.id, request.revision)
                if revision is None or not can_review(caller, request, approve, roles).allowed:
                    continue
                approvals = [
                    r
                    for r in self.store.list_reviews(request.id, request.revision)
                    if r.action == approve and r.assessment_sha256 == revision.assessment.sha256
                ]
                seats = seats_waiting_on(
                    caller, request, revision.assessment.approver_roles, approvals
                )
                if seats:
                    waiting.append(Waiting(request, seats, revision.submitted_at))
        return sorted(waiting, key=lambda w: (w.since, w.request.id))

    def history(
        self, caller: Caller, request_id: str
    ) -> tuple[
        RequestRecord, list[RevisionRecord], list[Review], list[Override], list[DecisionEntry]
    ]:
        """A request with everything recorded about it: submitted revisions with their
        stored assessments, reviews, overrides and decision records."""
        request = self.get(caller, request_id)
        return (
            request,
            self.store.list_revisions(request_id),
            self.store.list_reviews(request_id),
            [
                o
                for revision in range(1, request.revision + 1)
                for o in self.store.list_overrides(request_id, revision)
            ],
            self.store.list_decisions(request_id),
        )

    # -- the requester's side --------------------------------------------------------

    def create(self, caller: Caller, document: SharingRequest) -> RequestRecord:
        org = document.requesting_organisation
        self.store.get_organisation(org)
        request_id = "req-" + secrets.token_hex(4)
        event = authorise(
            self.store,
            caller,
            can_create_request(caller, org),
            action="request.create",
            obj=f"request:{request_id}",
            organisation=org,
            title=document.title,
        )
        assert caller.principal is not None
        if document.requester != caller.principal.id:
            raise self._invalid(
                caller,
                event,
                f"requester is {document.requester!r} but the request is made by "
                f"{caller.principal.id!r}: the requester field must name who asks",
            )
        try:
            for owner in document.owner_organisations():
                self.store.get_organisation(owner)
            if document.amends:
                self._amended(document)
        except AccordError as refused:
            raise self._deny(
                caller, event.action, event.object, org, refused.message, refused
            ) from None
        now = self.store.clock()
        record = RequestRecord(
            id=request_id,
            revision=1,
            state=RequestState.DRAFT,
            document=document,
            requester=caller.principal.id,
            created_at=now,
            updated_at=now,
        )
        return self.store.add_request(record, audit=event)

    def _amended(self, document: SharingRequest) -> AgreementRecord:
        current = self.store.get_agreement(document.amends)
        if current.policy.recipient != document.requesting_organisation:
            raise ValidationError(
                f"amends: {document.amends} is held by {current.policy.recipient!r}, "
                f"not {document.requesting_organisation!r}"
            )
        if current.state not in (AgreementState.ACTIVE, AgreementState.SUSPENDED):
            raise ConflictError(
                f"agreement {current.id} is {current.state.value}: start a new request"
            )
        return current

    def _requester_step(
        self, caller: Caller, request_id: str, action: RequestAction, **details: Any
    ) -> tuple[RequestRecord, Transition, AuditEvent]:
        """Who, then what: the caller is authorised before the state is looked at."""
        request = self._visible(caller, request_id, f"request.{action.value}")
        roles = action_roles(REQUEST_TRANSITIONS, action)
        event = authorise(
            self.store,
            caller,
            can_act_for_requester(caller, request, action.value, roles),
            action=f"request.{action.value}",
            obj=f"request:{request_id}",
            organisation=request.document.requesting_organisation,
            **details,
        )
        transition = self._transition(caller, request, action)
        event = event.with_details(**{"from": request.state.value, "to": transition.target})
        return request, transition, event

    def edit(self, caller: Caller, request_id: str, document: SharingRequest) -> RequestRecord:
        """Change a draft, or a request sent back for changes. Editing a revision that
        was submitted makes a new revision, whose approvals start again."""
        request, _, event = self._requester_step(caller, request_id, RequestAction.EDIT)
        if document.requesting_organisation != request.document.requesting_organisation:
            raise self._invalid(
                caller, event, "requesting_organisation cannot change: make a new request"
            )
        if document.requester != request.requester:
            raise self._invalid(caller, event, "requester cannot change: make a new request")
        submitted = self.store.get_revision(request.id, request.revision) is not None
        revision = request.revision + 1 if submitted else request.revision
        return self.store.update_request(
            request,
            document=document,
            revision=revision if revision != request.revision else None,
            audit=event.with_details(revision=revision),
        )

    def _unchanged(self, request: RequestRecord) -> str:
        """Why a request sent back for changes may not be resubmitted as it is, if so."""
        if self.store.get_revision(request.id, request.revision) is not None:
            return (
                f"revision {request.revision} was sent back for changes and has not been "
                "edited: change the request (`accord request edit`) to make a new revision"
            )
        previous = self.store.list_revisions(request.id)
        if previous and previous[-1].document == request.document:
            return (
                f"revision {request.revision} is the same as revision {previous[-1].revision}, "
                "which was sent back for changes: make the changes asked for first"
            )
        return ""

    def submit(self, caller: Caller, request_id: str) -> tuple[RequestRecord, Assessment]:
        """Submit for review. The assessment is decided now and stored with its hash;
        blocking findings must each be named in ``override_requests``."""
        request, transition, event = self._requester_step(caller, request_id, RequestAction.SUBMIT)
        action, obj = "request.submit", f"request:{request_id}"
        org = request.document.requesting_organisation
        if request.state is RequestState.CHANGES_REQUESTED and (why := self._unchanged(request)):
            raise self._deny(caller, action, obj, org, why, ConflictError(why))
        assessment = self.assess(request.document)
        stored = freeze(assessment)
        if why := unasked_overrides(request.document, stored):
            raise self._deny(caller, action, obj, org, why, ValidationError(why))
        now = self.store.clock()
        updated = self.store.update_request(
            request,
            state=RequestState(transition.target),
            tier=assessment.tier,
            submitted_at=request.submitted_at or now,
            submitted=RevisionRecord(request.id, request.revision, request.document, stored, now),
            audit=event.with_details(
                revision=request.revision,
                tier=assessment.tier,
                blocking=[f.ref for f in assessment.blocking],
                approvers=[r.value for r in assessment.approver_roles],
                assessment_sha256=stored.sha256,
            ),
        )
        return updated, assessment

    def withdraw(self, caller: Caller, request_id: str, note: str = "") -> RequestRecord:
        request, transition, event = self._requester_step(
            caller, request_id, RequestAction.WITHDRAW, note=note
        )
        return self.store.update_request(
            request,
            state=RequestState(transition.target),
            decided_at=self.store.clock(),
            audit=event,
        )

    # -- the reviewers' side ---------------------------------------------------------

    def _review_step(
        self, caller: Caller, request_id: str, action: RequestAction, note: str, invalid: str = ""
    ) -> tuple[RequestRecord, Transition, AuditEvent, Verdict]:
        """Who, then what: the caller is authorised before the input (``invalid`` says
        what is wrong with it, if anything) and the state are looked at."""
        request = self._visible(caller, request_id, f"request.{action.value}")
        verdict = can_review(
            caller, request, action.value, action_roles(REQUEST_TRANSITIONS, action)
        )
        event = authorise(
            self.store,
            caller,
            verdict,
            action=f"request.{action.value}",
            obj=f"request:{request_id}",
            organisation=request.document.requesting_organisation,
            note=note,
        )
        if invalid:
            raise self._invalid(caller, event, invalid)
        transition = self._transition(caller, request, action)
        event = event.with_details(**{"from": request.state.value, "to": transition.target})
        return request, transition, event, verdict

    def _review(
        self,
        caller: Caller,
        request: RequestRecord,
        action: str,
        role: str,
        org: str,
        note: str,
        **extra: Any,
    ) -> Review:
        assert caller.principal is not None
        return Review(
            request.id,
            request.revision,
            action,
            caller.principal.id,
            org,
            role,
            note,
            self.store.clock(),
            **extra,
        )

    def _stored(self, caller: Caller, request: RequestRecord, action: str) -> RevisionRecord:
        """The submitted revision under review, with the assessment it was submitted with."""
        revision = self.store.get_revision(request.id, request.revision)
        if revision is None:
            why = (
                f"revision {request.revision} of {request.id} has no stored assessment: "
                "the requester must submit it again"
            )
            raise self._deny(
                caller,
                action,
                f"request:{request.id}",
                request.document.requesting_organisation,
                why,
                ConflictError(why),
            )
        return revision

    def _move_on(
        self, caller: Caller, request_id: str, action: RequestAction, note: str, invalid: str = ""
    ) -> RequestRecord:
        """A reviewer's transition, recorded as a review."""
        request, transition, event, _ = self._review_step(caller, request_id, action, note, invalid)
        org, role = reviewer_seat(caller, request, transition.roles)
        revision = self.store.get_revision(request.id, request.revision)
        return self.store.update_request(
            request,
            state=RequestState(transition.target),
            review=self._review(
                caller,
                request,
                transition.action,
                role,
                org,
                note,
                assessment_sha256=revision.assessment.sha256 if revision else "",
            ),
            audit=event,
        )

    def start_review(self, caller: Caller, request_id: str, note: str = "") -> RequestRecord:
        return self._move_on(caller, request_id, RequestAction.START_REVIEW, note)

    def request_changes(self, caller: Caller, request_id: str, note: str) -> RequestRecord:
        invalid = "" if note.strip() else "say what needs to change (--note)"
        return self._move_on(caller, request_id, RequestAction.REQUEST_CHANGES, note, invalid)

    def reject(self, caller: Caller, request_id: str, note: str) -> RequestRecord:
        """Any owner's rejection rejects the request: a ``do_not_share`` decision record
        with the reasons, signed by the rejecting owner."""
        invalid = "" if note.strip() else "a rejection needs its reasons (--note)"
        request, transition, event, _ = self._review_step(
            caller, request_id, RequestAction.REJECT, note, invalid
        )
        org, role = reviewer_seat(caller, request, transition.roles)
        revision = self._stored(caller, request, "request.reject")
        review = self._review(
            caller,
            request,
            transition.action,
            role,
            org,
            note,
            assessment_sha256=revision.assessment.sha256,
        )
        approvals = [
            r
            for r in self.store.list_reviews(request.id, request.revision)
            if r.action == RequestAction.APPROVE.value
        ]
        now = self.store.clock()
        record = decision_record(
            request,
            revision.assessment,
            outcome=DecisionOutcome.DO_NOT_SHARE,
            decided_by=(org,),
            reasons=f"rejected by {role} of {org} ({review.principal_id}): {note}",
            reviews=[*approvals, review],
            overridden=(),
            conditions=(),
            policy=None,
            now=now,
        )
        decision = sign_decision(self.keys, record, now)
        return self.store.update_request(
            request,
            state=RequestState(transition.target),
            decided_at=now,
            review=review,
            decision=decision,
            audit=event.with_details(decision=decision.id, outcome=decision.outcome.value),
        )

    def override(self, caller: Caller, request_id: str, finding: str, reason: str) -> Override:
        """Legal of a data-owning organisation accepts a blocking finding for its own data,
        with the reason on the record; it is resolved once every owner's legal has."""
        request = self._visible(caller, request_id, "request.override")
        obj, org_of_request = f"request:{request_id}", request.document.requesting_organisation
        event = authorise(
            self.store,
            caller,
            can_override(caller, request),
            action="request.override",
            obj=obj,
            organisation=org_of_request,
            finding=finding,
            justification=reason,
        )
        if request.state not in REVIEWED:
            why = f"request {request_id} is {request.state.value}: nothing to override"
            raise self._deny(
                caller, "request.override", obj, org_of_request, why, ConflictError(why)
            )
        if not reason.strip():
            raise self._invalid(caller, event, "an override needs its reason (--reason)")
        stored = self._stored(caller, request, "request.override").assessment
        found = next((f for f in stored.blocking if f["ref"] == finding), None)
        if found is None:
            raise self._invalid(
                caller,
                event,
                f"{finding!r} is not a blocking finding of this request; blocking: "
                + (", ".join(sorted(stored.blocking_refs)) or "none"),
            )
        given = [
            (o.organisation_id, Role(o.role))
            for o in self.store.list_overrides(request.id, request.revision)
            if o.finding == finding and o.role
        ]
        verdict, seat = override_seat(
            caller, finding, override_seats(found, request.document.owner_organisations()), given
        )
        if not verdict.allowed or seat is None:
            raise refuse(
                self.store, caller, "request.override", obj, org_of_request, verdict.reason
            )
        assert caller.principal is not None
        override = Override(
            request.id,
            request.revision,
            finding,
            caller.principal.id,
            reason,
            self.store.clock(),
            seat[0],
            seat[1].value,
        )
        return self.store.add_override(
            override, audit=event.with_details(owner=seat[0], role=seat[1].value)
        )

    def approve(
        self,
        caller: Caller,
        request_id: str,
        note: str = "",
        role: Role | None = None,
        *,
        conditions: tuple[str, ...] = (),
        charge_pence: int | None = None,
        charge_basis: str = "",
    ) -> ApprovalOutcome:
        """Record an approval of the stored assessment, for one owner's seat; the one that
        fills every owner's seats activates the agreement, signed by every owner.

        ``conditions`` join the agreement's conditions (the decision is then *share with
        conditions*); ``charge_pence`` with ``charge_basis`` records what the approver's
        organisation charges for the share.
        """
        request = self._visible(caller, request_id, "request.approve")
        action, obj = "request.approve", f"request:{request_id}"
        org_of_request = request.document.requesting_organisation
        verdict = can_review(
            caller, request, "approve", action_roles(REQUEST_TRANSITIONS, RequestAction.APPROVE)
        )
        if not verdict.allowed:
            raise refuse(self.store, caller, action, obj, org_of_request, verdict.reason)
        conditions = tuple(c.strip() for c in conditions if c.strip())
        invalid = ""
        if charge_pence is not None and (charge_pence < 0 or not charge_basis.strip()):
            invalid = "charge_pence must be zero or more and needs its basis (charge_basis)"
        elif charge_pence is None and charge_basis.strip():
            invalid = "charge_basis needs the amount (charge_pence)"
        if invalid:
            error = ValidationError(invalid)
            raise self._deny(caller, action, obj, org_of_request, invalid, error)
        self._transition(caller, request, RequestAction.APPROVE)
        revision = self._stored(caller, request, action)
        stored = revision.assessment
        fresh = freeze(self.assess(request.document))
        if fresh.sha256 != stored.sha256:
            why = (
                "the assessment has changed since this revision was submitted (the catalogue "
                "changed): "
                + "; ".join(assessment_diff(stored, fresh))
                + "; ask for changes so that the requester resubmits"
            )
            raise self._deny(caller, action, obj, org_of_request, why, ConflictError(why))
        approvals = [
            r
            for r in self.store.list_reviews(request.id, request.revision)
            if r.action == RequestAction.APPROVE.value and r.assessment_sha256 == stored.sha256
        ]
        verdict, counted_as, org = approval_role(
            caller, request, stored.approver_roles, approvals, role
        )
        if not verdict.allowed or counted_as is None:
            raise refuse(self.store, caller, action, obj, org_of_request, verdict.reason)
        overrides = self.store.list_overrides(request.id, request.revision)
        overridden, waiting = resolution(request.document, stored, overrides)
        if waiting:
            reason = (
                "blocking findings are unresolved: "
                + ", ".join(waiting)
                + "; change the request, or legal of each data owner overrides them with a reason"
            )
            raise refuse(self.store, caller, action, obj, org_of_request, reason)
        review = self._review(
            caller,
            request,
            RequestAction.APPROVE.value,
            counted_as.value,
            org,
            note,
            assessment_sha256=stored.sha256,
            conditions=conditions,
            charge=Charge(org, charge_pence, charge_basis.strip())
            if charge_pence is not None
            else None,
        )
        seats = required_seats(request.document.owner_organisations(), stored.approver_roles)
        outstanding = outstanding_seats(seats, [*approvals, review])
        still = tuple(dict.fromkeys(r for _, r in outstanding))
        event = AuditEvent(
            actor=caller.actor,
            action=action,
            object=obj,
            organisation=org_of_request,
            reason=verdict.reason,
            details={
                "role": counted_as.value,
                "owner": org,
                "tier": stored.tier,
                "assessment_sha256": stored.sha256,
                "still_needed": [f"{r.value} of {o}" for o, r in outstanding],
                **({"conditions": list(conditions)} if conditions else {}),
                **({"charge_pence": charge_pence} if charge_pence is not None else {}),
                **({"via": caller.via} if caller.via else {}),
            },
        )
        if outstanding:
            updated = self.store.update_request(request, review=review, audit=event)
            return ApprovalOutcome(updated, counted_as, None, still, org, outstanding)
        final = find_transition(REQUEST_TRANSITIONS, request.state, RequestAction.APPROVE_FINAL)
        event = event.with_details(to=final.target)
        agreement, decision, supersedes = self._agreement_for(
            request, stored, [*approvals, review], overridden
        )
        events = [
            event,
            AuditEvent(
                actor=caller.actor,
                action="agreement.activate",
                object=f"agreement:{agreement.id}:v{agreement.version}",
                organisation=agreement.policy.recipient,
                reason="approved by "
                + ", ".join(f"{a.role} of {a.organisation_id}" for a in [*approvals, review]),
                details={
                    "request": request.id,
                    "policy_sha256": agreement.policy.sha256(),
                    "decision": decision.id,
                    "outcome": decision.outcome.value,
                    "signed_by": [s.organisation for s in agreement.signatures],
                    "keys": [s.key_fingerprint for s in agreement.signatures],
                    "linkage_domains": list(pseudonymised_domains(agreement.policy.datasets)),
                },
            ),
        ]
        if supersedes is not None:
            events.append(
                AuditEvent(
                    actor=caller.actor,
                    action="agreement.supersede",
                    object=f"agreement:{supersedes.id}:v{supersedes.version}",
                    organisation=supersedes.policy.recipient,
                    reason=f"amended by version {agreement.version}",
                )
            )
        self.store.approve_request(
            request, review, agreement, decision, supersedes=supersedes, audit=events
        )
        return ApprovalOutcome(
            self.store.get_request(request.id), counted_as, agreement, (), org, ()
        )

    def _agreement_for(
        self,
        request: RequestRecord,
        stored: StoredAssessment,
        approvals: list[Review],
        overridden: set[str],
    ) -> tuple[AgreementRecord, DecisionEntry, AgreementRecord | None]:
        document = request.document
        supersedes = self._amended(document) if document.amends else None
        agreement_id = supersedes.id if supersedes else "agr-" + secrets.token_hex(4)
        version = supersedes.version + 1 if supersedes else 1
        overrides = self.store.list_overrides(request.id, request.revision)
        policy = policy_from_request(
            document,
            agreement_id=agreement_id,
            version=version,
            request_id=request.id,
            tier=stored.tier,
            per_record_answers=per_record_answers(document),
            conditions=approval_conditions(overrides, approvals),
        )
        now = self.store.clock()
        outcome = (
            DecisionOutcome.SHARE_WITH_CONDITIONS if policy.conditions else DecisionOutcome.SHARE
        )
        record = decision_record(
            request,
            stored,
            outcome=outcome,
            decided_by=document.owner_organisations(),
            reasons=f"tier {stored.tier}; approved by "
            + ", ".join(f"{a.role} of {a.organisation_id} ({a.principal_id})" for a in approvals),
            reviews=approvals,
            overridden=tuple(sorted(overridden)),
            conditions=policy.conditions,
            policy=policy,
            now=now,
        )
        decision = sign_decision(self.keys, record, now)
        agreement = AgreementRecord(
            id=agreement_id,
            version=version,
            state=AgreementState.ACTIVE,
            policy=policy,
            request_id=request.id,
            decision_record=decision.record_json,
            signatures=decision.signatures,
            created_at=now,
            updated_at=now,
        )
        return agreement, decision, supersedes
