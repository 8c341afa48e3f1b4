"""Requests, reviews, agreements, the public register and governance metrics."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from accord.api.deps import AccordDep, CallerDep
from accord.api.schemas import StrictModel
from accord.core.governance.gateways import GATEWAYS
from accord.core.governance.presentation import decision_view, request_view
from accord.core.governance.records import AgreementRecord, RequestRecord
from accord.core.governance.report import assessment_dict
from accord.core.governance.request import SharingRequest
from accord.core.identity import Role
from accord.core.permissions import can_read_catalogue
from accord.services.decisions import verify_agreement
from accord.services.guard import authorise

router = APIRouter(tags=["governance"])


class RequestOut(BaseModel):
    id: str
    revision: int
    state: str
    tier: int | None
    requester: str
    created_at: str
    submitted_at: str | None
    decided_at: str | None
    request: dict[str, Any]

    @classmethod
    def of(cls, r: RequestRecord) -> RequestOut:
        return cls(
            id=r.id,
            revision=r.revision,
            state=r.state.value,
            tier=r.tier,
            requester=r.requester,
            created_at=r.created_at.isoformat(),
            submitted_at=r.submitted_at.isoformat() if r.submitted_at else None,
            decided_at=r.decided_at.isoformat() if r.decided_at else None,
            request=r.document.model_dump(mode="json"),
        )


class AssessmentOut(BaseModel):
    tier: int
    tier_name: str
    approver_roles: list[str]
    approving_organisations: list[str]
    blocking: list[str]
    findings: list[dict[str, Any]]
    published_alternatives: list[str]
    dpia_required_because: list[str]
    ico_checklist: list[dict[str, Any]]
    considerations: list[dict[str, Any]] = []
    """Seed 001's questions (paragraphs 19 and 51) with the request's answers."""


class SubmitOut(BaseModel):
    request: RequestOut
    assessment: AssessmentOut


class ReviewIn(StrictModel):
    action: Literal["start_review", "approve", "reject", "request_changes"]
    note: str = ""
    role: Role | None = Field(default=None, description="For approve: the role it is given as")
    conditions: list[str] = Field(
        default=[], description="For approve: conditions of approval; they join the agreement"
    )
    charge_pence: int | None = Field(
        default=None, ge=0, description="For approve: what the approver's organisation charges"
    )
    charge_basis: str = Field(default="", description="For approve: the basis of the charge")


class ReviewOut(BaseModel):
    request: RequestOut
    approved_as: str | None = None
    approved_for: str | None = None
    still_needed: list[str] = []
    outstanding: list[str] = Field(default=[], description="Each `role of organisation` needed")
    agreement: str | None = None
    agreement_version: int | None = None


class SignatureOut(BaseModel):
    organisation: str
    key_fingerprint: str
    signature: str


class DecisionOut(BaseModel):
    id: str
    request: str
    revision: int
    outcome: str
    decided_at: str
    agreement: str | None
    agreement_version: int | None
    signatures: list[SignatureOut]
    signatures_valid: bool
    verification: list[str]
    record: dict[str, Any]
    text: str


class OverrideIn(StrictModel):
    finding: str
    reason: str = Field(min_length=1)


class ReasonIn(StrictModel):
    reason: str = Field(min_length=1)


class AgreementOut(BaseModel):
    id: str
    version: int
    state: str
    request: str
    signed_by: str
    signatures: list[SignatureOut]
    signature_valid: bool = Field(
        description="True only when every data owner's signature verifies"
    )
    verification: list[str]
    policy_sha256: str
    policy: dict[str, Any]
    decision_record: dict[str, Any]


def _agreement(accord: Any, record: AgreementRecord) -> AgreementOut:
    check = verify_agreement(accord.keys, record)
    return AgreementOut(
        id=record.id,
        version=record.version,
        state=record.state.value,
        request=record.request_id,
        signed_by=record.signed_by,
        signatures=[
            SignatureOut(
                organisation=s.organisation,
                key_fingerprint=s.key_fingerprint,
                signature=s.signature,
            )
            for s in record.signatures
        ],
        signature_valid=check.valid,
        verification=list(check.reasons),
        policy_sha256=record.policy.sha256(),
        policy=record.policy.model_dump(mode="json"),
        decision_record=json.loads(record.decision_record),
    )


@router.post("/requests", response_model=RequestOut, status_code=status.HTTP_201_CREATED)
def create_request(body: SharingRequest, accord: AccordDep, caller: CallerDep) -> RequestOut:
    """A draft request from the caller, a requester of the requesting organisation."""
    return RequestOut.of(accord.requests.create(caller, body))


@router.get("/requests", response_model=list[RequestOut])
def list_requests(accord: AccordDep, caller: CallerDep) -> list[RequestOut]:
    """The requests the caller's organisations are party to."""
    return [RequestOut.of(r) for r in accord.requests.list_visible(caller)]


@router.post("/requests/assess", response_model=AssessmentOut)
def assess_request(body: SharingRequest, accord: AccordDep, caller: CallerDep) -> AssessmentOut:
    """Assess a request without storing it: try a request before making it."""
    authorise(
        accord.store,
        caller,
        can_read_catalogue(caller),
        action="request.assess",
        obj="request:unsaved",
    )
    return AssessmentOut(**assessment_dict(accord.requests.assess(body)))


@router.get("/requests/{request_id}", response_model=RequestOut)
def get_request(request_id: str, accord: AccordDep, caller: CallerDep) -> RequestOut:
    return RequestOut.of(accord.requests.get(caller, request_id))


@router.get("/requests/{request_id}/view")
def view_request(request_id: str, accord: AccordDep, caller: CallerDep) -> dict[str, Any]:
    """The request as its reviewers see it (the same view `accord request show` prints):
    purpose, lawful basis, fields with transforms and justifications, cohorts, the stored
    findings, the changes since the previous revision, reviews, overrides, decisions."""
    return request_view(*accord.requests.history(caller, request_id))


@router.put("/requests/{request_id}", response_model=RequestOut)
def edit_request(
    request_id: str, body: SharingRequest, accord: AccordDep, caller: CallerDep
) -> RequestOut:
    """Change a draft, or a request sent back for changes (a new revision)."""
    return RequestOut.of(accord.requests.edit(caller, request_id, body))


@router.get("/requests/{request_id}/assessment", response_model=AssessmentOut)
def request_assessment(request_id: str, accord: AccordDep, caller: CallerDep) -> AssessmentOut:
    record = accord.requests.get(caller, request_id)
    return AssessmentOut(**assessment_dict(accord.requests.assess(record.document)))


@router.post("/requests/{request_id}/submit", response_model=SubmitOut)
def submit_request(request_id: str, accord: AccordDep, caller: CallerDep) -> SubmitOut:
    record, assessment = accord.requests.submit(caller, request_id)
    return SubmitOut(
        request=RequestOut.of(record), assessment=AssessmentOut(**assessment_dict(assessment))
    )


@router.post("/requests/{request_id}/withdraw", response_model=RequestOut)
def withdraw_request(request_id: str, accord: AccordDep, caller: CallerDep) -> RequestOut:
    return RequestOut.of(accord.requests.withdraw(caller, request_id))


@router.post("/requests/{request_id}/reviews", response_model=ReviewOut)
def review_request(
    request_id: str, body: ReviewIn, accord: AccordDep, caller: CallerDep
) -> ReviewOut:
    """Start review, approve, reject or request changes, as a reviewer of the data owner."""
    service = accord.requests
    if body.action == "approve":
        outcome = service.approve(
            caller,
            request_id,
            body.note,
            body.role,
            conditions=tuple(body.conditions),
            charge_pence=body.charge_pence,
            charge_basis=body.charge_basis,
        )
        return ReviewOut(
            request=RequestOut.of(outcome.request),
            approved_as=outcome.role.value,
            approved_for=outcome.organisation,
            still_needed=[r.value for r in outcome.still_needed],
            outstanding=[f"{r.value} of {o}" for o, r in outcome.outstanding],
            agreement=outcome.agreement.id if outcome.agreement else None,
            agreement_version=outcome.agreement.version if outcome.agreement else None,
        )
    act = {
        "start_review": service.start_review,
        "reject": service.reject,
        "request_changes": service.request_changes,
    }[body.action]
    return ReviewOut(request=RequestOut.of(act(caller, request_id, body.note)))


@router.post("/requests/{request_id}/overrides", status_code=status.HTTP_201_CREATED)
def override_finding(
    request_id: str, body: OverrideIn, accord: AccordDep, caller: CallerDep
) -> dict[str, Any]:
    """Legal accepts a blocking finding, with the reason on the record."""
    override = accord.requests.override(caller, request_id, body.finding, body.reason)
    return {**asdict(override), "at": override.at.isoformat()}


@router.get("/decisions", response_model=list[DecisionOut])
def list_decisions(
    accord: AccordDep, caller: CallerDep, request: str | None = None
) -> list[DecisionOut]:
    """Decision records of every outcome, for the requests the caller is party to."""
    service = accord.requests
    return [
        DecisionOut(**decision_view(e, service.decisions.verify(e)))
        for e in service.decisions.list(caller, request)
    ]


@router.get("/decisions/{decision_id}", response_model=DecisionOut)
def get_decision(decision_id: str, accord: AccordDep, caller: CallerDep) -> DecisionOut:
    """A signed decision record (the ICO decision form) and whether every signature verifies."""
    entry = accord.requests.decisions.get(caller, decision_id)
    return DecisionOut(**decision_view(entry, accord.requests.decisions.verify(entry)))


@router.get("/agreements/{agreement_id}", response_model=AgreementOut)
def get_agreement(
    agreement_id: str, accord: AccordDep, caller: CallerDep, version: int | None = None
) -> AgreementOut:
    return _agreement(accord, accord.agreements.show(caller, agreement_id, version))


@router.get("/agreements/{agreement_id}/odrl")
def agreement_odrl(
    agreement_id: str, accord: AccordDep, caller: CallerDep, version: int | None = None
) -> dict[str, Any]:
    """The agreement as ODRL 2.2 JSON-LD with DPV terms."""
    record = accord.agreements.show(caller, agreement_id, version)
    return accord.agreements.export_odrl(record.id, record.version)


@router.post("/agreements/{agreement_id}/{action}", response_model=AgreementOut)
def steward_agreement(
    agreement_id: str,
    action: Literal["suspend", "reinstate", "revoke"],
    body: ReasonIn,
    accord: AccordDep,
    caller: CallerDep,
) -> AgreementOut:
    do = {
        "suspend": accord.agreements.suspend,
        "reinstate": accord.agreements.reinstate,
        "revoke": accord.agreements.revoke,
    }[action]
    return _agreement(accord, do(caller, agreement_id, body.reason))


@router.get("/governance/metrics")
def governance_metrics(accord: AccordDep, caller: CallerDep) -> dict[str, Any]:
    """Time from submission to decision, and the open queue by state and role."""
    return accord.agreements.metrics_for(caller)


@router.get("/gateways")
def list_gateways(accord: AccordDep, caller: CallerDep) -> list[dict[str, Any]]:
    """The legal gateways Accord knows and the purposes each serves."""
    authorise(
        accord.store, caller, can_read_catalogue(caller), action="gateways.list", obj="gateways"
    )
    return [g.as_dict() for g in GATEWAYS]


public = APIRouter(tags=["register"])


@public.get("/register")
def register(accord: AccordDep) -> list[dict[str, Any]]:
    """The public register of data-sharing agreements: open to anyone, no token needed."""
    return [asdict(e) for e in accord.agreements.register()]
