"""Use cases for data-sharing requests: draft, assess, submit, review, approve.

The final approval turns the request into an active agreement version, signs the
decision record with the data owner's key, and supersedes the version it amends, all
in one transaction with the audit events that record it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from accord.core.audit import AuditEvent
from accord.core.governance.agreement import AgreementPolicy, policy_from_request
from accord.core.governance.assessment import (
    Assessment,
    AssessmentContext,
    PriorAgreement,
    assess,
)
from accord.core.governance.decision import ApprovalEntry, DecisionRecord, sign_record
from accord.core.governance.findings import Severity
from accord.core.governance.gateways import gateway as find_gateway
from accord.core.governance.permissions import (
    approval_role,
    can_act_for_requester,
    can_create_request,
    can_override,
    can_review,
    can_view_request,
)
from accord.core.governance.records import AgreementRecord, Override, RequestRecord, Review
from accord.core.governance.request import Channel, SharingRequest
from accord.core.governance.workflow import (
    REQUEST_TRANSITIONS,
    AgreementState,
    RequestAction,
    RequestState,
    Transition,
    find_transition,
)
from accord.core.identity import Role
from accord.core.permissions import Caller, Verdict, can_read_catalogue
from accord.errors import ConflictError, NotFoundError, ValidationError
from accord.keys import KeyStore
from accord.services.guard import authorise, refuse
from accord.store import Store

__all__ = ["ApprovalOutcome", "RequestService", "org_signing_key_name"]


def org_signing_key_name(org_id: str) -> str:
    return f"org-{org_id}-signing"


@dataclass(frozen=True, slots=True)
class ApprovalOutcome:
    request: RequestRecord
    role: Role
    agreement: AgreementRecord | None
    """Set when this approval completed the set and the agreement became active."""
    still_needed: tuple[Role, ...]


class RequestService:
    def __init__(self, store: Store, keys: KeyStore) -> None:
        self.store = store
        self.keys = keys

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
        )

    def assess(self, document: SharingRequest) -> Assessment:
        return assess(document, self.context(document))

    def get(self, caller: Caller, request_id: str) -> RequestRecord:
        """A request, for its requesting organisation, its reviewers and platform auditors."""
        request = self.store.get_request(request_id)
        authorise(
            self.store,
            caller,
            can_view_request(caller, request),
            action="request.show",
            obj=f"request:{request_id}",
            organisation=request.document.requesting_organisation,
        )
        return request

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
            raise ValidationError(
                f"requester is {document.requester!r} but the request is made by "
                f"{caller.principal.id!r}: the requester field must name who asks"
            )
        for owner in document.owner_organisations():
            self.store.get_organisation(owner)
        if document.amends:
            self._amended(document)
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
        request = self.store.get_request(request_id)
        transition = find_transition(REQUEST_TRANSITIONS, request.state, action)
        event = authorise(
            self.store,
            caller,
            can_act_for_requester(caller, request, transition),
            action=f"request.{action.value}",
            obj=f"request:{request_id}",
            organisation=request.document.requesting_organisation,
            **{"from": request.state.value, "to": transition.target, **details},
        )
        return request, transition, event

    def edit(self, caller: Caller, request_id: str, document: SharingRequest) -> RequestRecord:
        """Change a draft, or a request sent back for changes (a new revision)."""
        request, _, event = self._requester_step(caller, request_id, RequestAction.EDIT)
        if document.requesting_organisation != request.document.requesting_organisation:
            raise ValidationError("requesting_organisation cannot change: make a new request")
        if document.requester != request.requester:
            raise ValidationError("requester cannot change: make a new request")
        revision = request.revision + (request.state is RequestState.CHANGES_REQUESTED)
        return self.store.update_request(
            request,
            document=document,
            revision=revision if revision != request.revision else None,
            audit=event.with_details(revision=revision),
        )

    def submit(self, caller: Caller, request_id: str) -> tuple[RequestRecord, Assessment]:
        """Submit for review, with its assessment; the tier decides who must approve."""
        request, transition, event = self._requester_step(caller, request_id, RequestAction.SUBMIT)
        assessment = self.assess(request.document)
        now = self.store.clock()
        updated = self.store.update_request(
            request,
            state=RequestState(transition.target),
            tier=assessment.tier,
            submitted_at=request.submitted_at or now,
            audit=event.with_details(
                tier=assessment.tier,
                blocking=[f.ref for f in assessment.blocking],
                approvers=[r.value for r in assessment.approver_roles],
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
        self, caller: Caller, request_id: str, action: RequestAction, note: str
    ) -> tuple[RequestRecord, Transition, AuditEvent, Verdict]:
        request = self.store.get_request(request_id)
        transition = find_transition(REQUEST_TRANSITIONS, request.state, action)
        verdict = can_review(caller, request, transition)
        event = authorise(
            self.store,
            caller,
            verdict,
            action=f"request.{action.value}",
            obj=f"request:{request_id}",
            organisation=request.document.requesting_organisation,
            **{"from": request.state.value, "to": transition.target, "note": note},
        )
        return request, transition, event, verdict

    def _review(
        self, caller: Caller, request: RequestRecord, action: str, role: str, org: str, note: str
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
        )

    def _reviewer_org_role(
        self, caller: Caller, request: RequestRecord, transition: Transition
    ) -> tuple[str, str]:
        for org in request.document.owner_organisations():
            for role in sorted(transition.roles, key=lambda r: r.value):
                if caller.has_role(org, role):
                    return org, role.value
        return "", ""

    def _move_on(
        self, caller: Caller, request_id: str, action: RequestAction, note: str, *, final: bool
    ) -> RequestRecord:
        """A reviewer's transition, recorded as a review; ``final`` marks the decision time."""
        request, transition, event, _ = self._review_step(caller, request_id, action, note)
        org, role = self._reviewer_org_role(caller, request, transition)
        return self.store.update_request(
            request,
            state=RequestState(transition.target),
            decided_at=self.store.clock() if final else None,
            review=self._review(caller, request, transition.action, role, org, note),
            audit=event,
        )

    def start_review(self, caller: Caller, request_id: str, note: str = "") -> RequestRecord:
        return self._move_on(caller, request_id, RequestAction.START_REVIEW, note, final=False)

    def request_changes(self, caller: Caller, request_id: str, note: str) -> RequestRecord:
        if not note.strip():
            raise ValidationError("say what needs to change (--note)")
        return self._move_on(caller, request_id, RequestAction.REQUEST_CHANGES, note, final=False)

    def reject(self, caller: Caller, request_id: str, note: str) -> RequestRecord:
        if not note.strip():
            raise ValidationError("a rejection needs its reasons (--note)")
        return self._move_on(caller, request_id, RequestAction.REJECT, note, final=True)

    def override(self, caller: Caller, request_id: str, finding: str, reason: str) -> Override:
        """Legal accepts a blocking finding, with the reason on the record."""
        request = self.store.get_request(request_id)
        if request.state not in (RequestState.SUBMITTED, RequestState.IN_REVIEW):
            raise ConflictError(
                f"request {request_id} is {request.state.value}: nothing to override"
            )
        event = authorise(
            self.store,
            caller,
            can_override(caller, request),
            action="request.override",
            obj=f"request:{request_id}",
            organisation=request.document.requesting_organisation,
            finding=finding,
            justification=reason,
        )
        if not reason.strip():
            raise ValidationError("an override needs its reason (--reason)")
        blocking = {f.ref for f in self.assess(request.document).blocking}
        if finding not in blocking:
            raise ValidationError(
                f"{finding!r} is not a blocking finding of this request; blocking: "
                + (", ".join(sorted(blocking)) or "none")
            )
        assert caller.principal is not None
        override = Override(
            request.id, request.revision, finding, caller.principal.id, reason, self.store.clock()
        )
        return self.store.add_override(override, audit=event)

    def approve(
        self, caller: Caller, request_id: str, note: str = "", role: Role | None = None
    ) -> ApprovalOutcome:
        """Record an approval; the one that completes the tier's set activates the agreement."""
        request = self.store.get_request(request_id)
        transition = find_transition(REQUEST_TRANSITIONS, request.state, RequestAction.APPROVE)
        action, obj = "request.approve", f"request:{request_id}"
        org_of_request = request.document.requesting_organisation
        verdict = can_review(caller, request, transition)
        if not verdict.allowed:
            raise refuse(self.store, caller, action, obj, org_of_request, verdict.reason)
        assessment = self.assess(request.document)
        approvals = [
            r
            for r in self.store.list_reviews(request.id, request.revision)
            if r.action == "approve"
        ]
        verdict, counted_as, org = approval_role(
            caller, request, assessment.approver_roles, approvals, role
        )
        if not verdict.allowed or counted_as is None:
            raise refuse(self.store, caller, action, obj, org_of_request, verdict.reason)
        overridden = {o.finding for o in self.store.list_overrides(request.id, request.revision)}
        unresolved = [f.ref for f in assessment.blocking if f.ref not in overridden]
        if unresolved:
            reason = (
                "blocking findings are unresolved: "
                + ", ".join(unresolved)
                + "; change the request, or legal overrides them with a reason"
            )
            raise refuse(self.store, caller, action, obj, org_of_request, reason)
        review = self._review(caller, request, "approve", counted_as.value, org, note)
        filled = {a.role for a in approvals} | {counted_as.value}
        still = tuple(r for r in assessment.approver_roles if r.value not in filled)
        event = AuditEvent(
            actor=caller.actor,
            action=action,
            object=obj,
            organisation=org_of_request,
            reason=verdict.reason,
            details={
                "role": counted_as.value,
                "tier": assessment.tier,
                "still_needed": [r.value for r in still],
                **({"via": caller.via} if caller.via else {}),
            },
        )
        if still:
            updated = self.store.update_request(request, review=review, audit=event)
            return ApprovalOutcome(updated, counted_as, None, still)
        final = find_transition(REQUEST_TRANSITIONS, request.state, RequestAction.APPROVE_FINAL)
        event = event.with_details(to=final.target)
        agreement, supersedes = self._agreement_for(
            request, assessment, [*approvals, review], overridden
        )
        events = [
            event,
            AuditEvent(
                actor=caller.actor,
                action="agreement.activate",
                object=f"agreement:{agreement.id}:v{agreement.version}",
                organisation=agreement.policy.recipient,
                reason=f"approved by {', '.join(r.value for r in assessment.approver_roles)}",
                details={
                    "request": request.id,
                    "policy_sha256": agreement.policy.sha256(),
                    "signed_by": agreement.signed_by,
                    "key": agreement.key_fingerprint,
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
        self.store.approve_request(request, review, agreement, supersedes=supersedes, audit=events)
        return ApprovalOutcome(self.store.get_request(request.id), counted_as, agreement, ())

    def _agreement_for(
        self,
        request: RequestRecord,
        assessment: Assessment,
        approvals: list[Review],
        overridden: set[str],
    ) -> tuple[AgreementRecord, AgreementRecord | None]:
        document = request.document
        supersedes = self._amended(document) if document.amends else None
        agreement_id = supersedes.id if supersedes else "agr-" + secrets.token_hex(4)
        version = supersedes.version + 1 if supersedes else 1
        gw = find_gateway(document.gateway) if document.gateway else None
        per_record = (
            gw is not None
            and gw.per_record
            and document.purpose_category in gw.purposes
            and Channel.ELIGIBILITY_CHECK in document.channels
        )
        overrides = self.store.list_overrides(request.id, request.revision)
        conditions = tuple(
            f"{o.finding} accepted by {o.principal_id}: {o.reason}" for o in overrides
        )
        policy = policy_from_request(
            document,
            agreement_id=agreement_id,
            version=version,
            request_id=request.id,
            tier=assessment.tier,
            per_record_answers=per_record,
            conditions=conditions,
        )
        now = self.store.clock()
        record = self._decision_record(request, assessment, policy, approvals, overridden, now)
        signer = document.owner_organisations()[0]
        key = self.keys.signing_key(org_signing_key_name(signer), create=True)
        signature, fingerprint = sign_record(record, key)
        agreement = AgreementRecord(
            id=agreement_id,
            version=version,
            state=AgreementState.ACTIVE,
            policy=policy,
            request_id=request.id,
            decision_record=record.canonical().decode(),
            signature=signature,
            key_fingerprint=fingerprint,
            signed_by=signer,
            created_at=now,
            updated_at=now,
        )
        return agreement, supersedes

    @staticmethod
    def _decision_record(
        request: RequestRecord,
        assessment: Assessment,
        policy: AgreementPolicy,
        approvals: list[Review],
        overridden: set[str],
        now: datetime,
    ) -> DecisionRecord:
        document = request.document
        gw = find_gateway(document.gateway) if document.gateway else None
        warnings = [f.reason for f in assessment.findings if f.severity is Severity.WARN]
        return DecisionRecord(
            request_id=request.id,
            request_title=document.title,
            requesting_organisation=document.requesting_organisation,
            data_owners=document.owner_organisations(),
            decision="share",
            decided_at=now.isoformat(),
            reasons=f"tier {assessment.tier}; approved by "
            + ", ".join(f"{a.role} ({a.principal_id})" for a in approvals)
            + (f"; noted: {'; '.join(warnings)}" if warnings else ""),
            purpose=document.purpose,
            lawful_basis=document.lawful_basis.value if document.lawful_basis else "",
            legal_power=gw.title if gw else document.gateway,
            data_items=tuple(
                f"{d.dataset}.{f.name}:{f.transform.label()}"
                for d in document.datasets
                for f in d.fields
            ),
            tier=assessment.tier,
            dpia_reference=document.dpia.reference,
            conditions=policy.conditions,
            overridden_findings=tuple(sorted(overridden)),
            approvals=tuple(
                ApprovalEntry(a.principal_id, a.organisation_id, a.role, a.at.isoformat(), a.note)
                for a in approvals
            ),
            review_date=document.end_date.isoformat(),
            agreement_id=policy.id,
            agreement_version=policy.version,
            policy_sha256=policy.sha256(),
        )
