"""Recalling data sent to the wrong organisation (seed 003, paragraphs 55-56).

"If you send data to the wrong sub-contractor, you must alert the sub-contractor to the
error and ensure that they delete the record. You must keep records of the actions
taken for three months."

A recall is opened by the organisation that sent a package: its data owner, DPO or
admin. Opening it alerts the recipient (a ``recall`` notice, in the same transaction).
The recipient's data owner, DPO or admin confirms: Accord deletes the received copy and
the recipient signs a destruction certificate. The recall record (who opened it, when
the recipient was alerted, who confirmed, which certificate) is kept for three months
after the confirmation and then purged; the audit events of each step stay in the
hash chain for good.

The lifecycle is a transition table with an owner per state, like every other here.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from accord.core.identity import Role
from accord.core.permissions import Caller, Verdict
from accord.errors import ValidationError

__all__ = [
    "KEEP_MONTHS",
    "MAX_REASON_CHARS",
    "OWNERS",
    "RECALL_ROLES",
    "TRANSITIONS",
    "Recall",
    "RecallAction",
    "RecallState",
    "add_months",
    "can_confirm_recall",
    "can_open_recall",
    "can_purge_recalls",
    "can_read_recalls",
    "check_reason",
    "purgeable",
]

KEEP_MONTHS = 3
"""Seed 003, paragraph 55: the record of the actions taken is kept three months."""
MAX_REASON_CHARS = 1_000
RECALL_ROLES = (Role.DATA_OWNER, Role.DPO, Role.ADMIN)
"""Who answers for a recall on either side: the people who can certify a destruction."""


class RecallState(StrEnum):
    OPEN = "open"
    """The recipient has been alerted and must delete its copy."""
    CONFIRMED = "confirmed"
    """The recipient deleted its copy and certified it; the record waits to be purged."""


class RecallAction(StrEnum):
    CONFIRM = "confirm"


TRANSITIONS: dict[RecallState, dict[RecallAction, RecallState]] = {
    RecallState.OPEN: {RecallAction.CONFIRM: RecallState.CONFIRMED},
    RecallState.CONFIRMED: {},
}
OWNERS: dict[RecallState, str] = {
    RecallState.OPEN: "recipient (data owner, DPO or admin)",
    RecallState.CONFIRMED: "nobody: purged three months after confirmation",
}


@dataclass(frozen=True, slots=True)
class Recall:
    """One recall of one package transfer. It names organisations, principals and the
    transfer, never a person whose data the package held."""

    id: str
    transfer_id: str
    agreement_id: str
    agreement_version: int
    dataset_id: str
    sender: str
    recipient: str
    reason: str
    state: RecallState
    opened_at: datetime
    opened_by: str
    notice_id: str
    confirmed_at: datetime | None = None
    confirmed_by: str = ""
    certificate_id: str = ""
    copy_deleted: bool = False
    """Whether the recipient had loaded the package (and Accord deleted that copy)."""

    def confirmed(self, at: datetime, by: str, certificate_id: str, copy_deleted: bool) -> Recall:
        nxt = TRANSITIONS[self.state].get(RecallAction.CONFIRM)
        if nxt is None:
            raise ValueError(f"recall {self.id} is {self.state.value}: it cannot be confirmed")
        return replace(
            self,
            state=nxt,
            confirmed_at=at,
            confirmed_by=by,
            certificate_id=certificate_id,
            copy_deleted=copy_deleted,
        )

    @property
    def keep_until(self) -> datetime | None:
        """When the record may be purged: three months after confirmation. An open
        recall is kept until it is confirmed."""
        return None if self.confirmed_at is None else add_months(self.confirmed_at, KEEP_MONTHS)

    def as_dict(self) -> dict[str, Any]:
        """One presentation for the CLI, the API and the web page."""
        keep = self.keep_until
        return {
            "id": self.id,
            "transfer_id": self.transfer_id,
            "agreement": f"{self.agreement_id}:v{self.agreement_version}",
            "dataset": self.dataset_id,
            "sender": self.sender,
            "recipient": self.recipient,
            "reason": self.reason,
            "state": self.state.value,
            "opened_at": self.opened_at.isoformat(),
            "opened_by": self.opened_by,
            "notice": self.notice_id,
            "confirmed_at": None if self.confirmed_at is None else self.confirmed_at.isoformat(),
            "confirmed_by": self.confirmed_by,
            "certificate": self.certificate_id,
            "copy_deleted": self.copy_deleted,
            "keep_until": None if keep is None else keep.isoformat(),
        }


def add_months(when: datetime, months: int) -> datetime:
    """The same day ``months`` later, or the month's last day (31 May + 3 -> 31 Aug;
    30 Nov + 3 -> 28 or 29 Feb)."""
    index = when.month - 1 + months
    year, month = when.year + index // 12, index % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def purgeable(recall: Recall, now: datetime) -> bool:
    keep = recall.keep_until
    return recall.state is RecallState.CONFIRMED and keep is not None and keep <= now


def _role_in(caller: Caller, organisation: str, what: str) -> Verdict:
    for role in RECALL_ROLES:
        if caller.has_role(organisation, role):
            return Verdict(True, f"{role.value} of {organisation!r}, {what}")
    return Verdict(
        False, f"only a data owner, DPO or admin of {organisation!r}, {what}, may do this"
    )


def can_open_recall(caller: Caller, sender: str) -> Verdict:
    """Only the organisation that sent the package recalls it."""
    return _role_in(caller, sender, "the sender")


def can_confirm_recall(caller: Caller, recipient: str) -> Verdict:
    """Only the recipient confirms that its copy is deleted: the certificate speaks for it."""
    return _role_in(caller, recipient, "the recipient")


def can_read_recalls(caller: Caller, organisation: str) -> Verdict:
    """An organisation's recalls (sent or received) are read by its own governance roles,
    by the local operator and by platform admins."""
    if caller.is_platform_admin:
        return Verdict(True, "local operator or platform admin")
    return _role_in(caller, organisation, "a party")


def can_purge_recalls(caller: Caller) -> Verdict:
    """The purge is housekeeping the platform runs (like the retention job)."""
    if caller.is_platform_admin:
        return Verdict(True, "local operator or platform admin")
    return Verdict(False, "only the local operator or a platform admin purges recall records")


def check_reason(reason: str) -> str:
    """The sender's reason, required and bounded; it must name no person (the form says
    so), and is kept only as long as the recall record."""
    text = reason.strip()
    if not text:
        raise ValidationError(
            "reason: say why the package is recalled (e.g. sent to the wrong provider)",
            problems=[{"field": "reason", "error": "required"}],
        )
    if len(text) > MAX_REASON_CHARS:
        raise ValidationError(
            f"reason: at most {MAX_REASON_CHARS} characters (got {len(text)})",
            problems=[{"field": "reason", "error": f"longer than {MAX_REASON_CHARS}"}],
        )
    return text
