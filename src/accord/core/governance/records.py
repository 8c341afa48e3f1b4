"""What the store keeps of requests, their revisions, reviews, overrides, decisions and
agreements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from accord.core.governance.agreement import AgreementPolicy
from accord.core.governance.decision import Charge, DecisionOutcome, DecisionRecord, OwnerSignature
from accord.core.governance.request import SharingRequest
from accord.core.governance.stored import StoredAssessment
from accord.core.governance.workflow import AgreementState, RequestState

__all__ = [
    "AgreementRecord",
    "DecisionEntry",
    "Override",
    "RequestRecord",
    "Review",
    "RevisionRecord",
]


@dataclass(frozen=True, slots=True)
class RequestRecord:
    id: str
    revision: int
    """Goes up each time the requester edits after submitting: approvals are per revision."""
    state: RequestState
    document: SharingRequest
    requester: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None = None
    decided_at: datetime | None = None
    tier: int | None = None


@dataclass(frozen=True, slots=True)
class Review:
    request_id: str
    revision: int
    action: str
    principal_id: str
    organisation_id: str
    role: str
    note: str
    at: datetime
    assessment_sha256: str = ""
    """The stored assessment this review was given against."""
    conditions: tuple[str, ...] = ()
    """Conditions an approver attached: they join the agreement's conditions."""
    charge: Charge | None = None
    """What the approver's organisation charges for the share, if anything."""


@dataclass(frozen=True, slots=True)
class Override:
    request_id: str
    revision: int
    finding: str
    principal_id: str
    reason: str
    at: datetime
    organisation_id: str = ""
    """The data-owning organisation it was given for: each owner overrides for itself."""
    role: str = ""
    """The role it was given in (legal, unless the finding names another)."""


@dataclass(frozen=True, slots=True)
class RevisionRecord:
    """A submitted revision: the document as reviewed and its assessment, decided once."""

    request_id: str
    revision: int
    document: SharingRequest
    assessment: StoredAssessment
    submitted_at: datetime


@dataclass(frozen=True, slots=True)
class DecisionEntry:
    """A signed decision record, for any outcome, as stored and listed."""

    id: str
    request_id: str
    revision: int
    outcome: DecisionOutcome
    record_json: str
    """The canonical JSON that was signed, byte for byte."""
    signatures: tuple[OwnerSignature, ...]
    decided_at: datetime
    agreement_id: str = ""
    agreement_version: int = 0

    @property
    def record(self) -> DecisionRecord:
        return DecisionRecord.from_json(self.record_json)


@dataclass(frozen=True, slots=True)
class AgreementRecord:
    id: str
    version: int
    state: AgreementState
    policy: AgreementPolicy
    request_id: str
    decision_record: str
    """Canonical JSON of the signed :class:`~accord.core.governance.decision.DecisionRecord`."""
    signatures: tuple[OwnerSignature, ...]
    """One per data-owning organisation: the record verifies only when every one does."""
    created_at: datetime
    updated_at: datetime

    @property
    def signed_by(self) -> str:
        return ", ".join(s.organisation for s in self.signatures)
