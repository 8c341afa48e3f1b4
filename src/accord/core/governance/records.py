"""What the store keeps of requests, reviews, overrides and agreements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from accord.core.governance.agreement import AgreementPolicy
from accord.core.governance.request import SharingRequest
from accord.core.governance.workflow import AgreementState, RequestState

__all__ = ["AgreementRecord", "Override", "RequestRecord", "Review"]


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


@dataclass(frozen=True, slots=True)
class Override:
    request_id: str
    revision: int
    finding: str
    principal_id: str
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AgreementRecord:
    id: str
    version: int
    state: AgreementState
    policy: AgreementPolicy
    request_id: str
    decision_record: str
    """Canonical JSON of the signed :class:`~accord.core.governance.decision.DecisionRecord`."""
    signature: str
    key_fingerprint: str
    signed_by: str
    created_at: datetime
    updated_at: datetime
