"""Notices: what Accord tells an organisation about its data after it has been shared.

A notice is written to the *outbox* in the same transaction as the change it reports
(an access review lapsing, an erasure deadline approaching, a change event for a
provider, a destruction certificate overdue), so a change is never made without its
notice, nor a notice sent about a change that rolled back. Delivery (email over SMTP,
signed webhooks, with retries) reads the outbox afterwards; see
:mod:`accord.services.outbox`.

A notice never carries a direct identifier of a person: its body names objects
(agreements, erasure requests, items) by their ids, and people by pseudonymous
references only, because notices leave the platform by email and webhook.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = ["Notice", "NoticeKind", "NoticeState"]


class NoticeKind(StrEnum):
    """What a notice is about; subscribers choose the kinds they receive."""

    ACCESS_REVIEW_DUE = "access_review_due"
    ACCESS_REVIEW_LAPSED = "access_review_lapsed"
    ACCESS_RESTORED = "access_restored"
    CHANGE_EVENTS = "change_events"
    INBOUND_MESSAGE = "inbound_message"
    OUTCOME_CONFIRMED = "outcome_confirmed"
    ERASURE_RECEIVED = "erasure_received"
    ERASURE_DEADLINE = "erasure_deadline"
    ERASURE_DECIDED = "erasure_decided"
    ERASURE_REQUIRED = "erasure_required"
    DESTRUCTION_CERTIFICATE_OVERDUE = "destruction_certificate_overdue"
    RECALL = "recall"
    RETENTION_DELETED = "retention_deleted"
    SUBSCRIPTION_ADDED = "subscription_added"
    """A new destination receives the organisation's notices: its other destinations are
    told too, so a destination added by someone who should not have is noticed."""
    SUBCONTRACTOR_WITHDRAWN = "subcontractor_withdrawn"


class NoticeState(StrEnum):
    QUEUED = "queued"
    """Waiting for its first or next attempt."""
    DELIVERED = "delivered"
    FAILED = "failed"
    """Every attempt failed: kept for an admin to see and send again."""
    NOBODY = "delivered_to_nobody"
    """The organisation had no subscription for its kind: nobody was told (shown to its admin)."""


@dataclass(frozen=True, slots=True)
class Notice:
    """One message to one organisation, queued in the outbox."""

    id: str
    organisation: str
    """The organisation told: its subscribed addresses and webhooks receive it."""
    kind: NoticeKind
    subject: str
    body: str
    reference: str = ""
    """The object it concerns (``agreement:agr-1``, ``erasure:ER-2026-0001``)."""
    created_at: datetime | None = None
