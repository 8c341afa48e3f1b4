"""The inbound channel: who may send a form back under an agreement, and who reads it.

Seed 003 paragraph 49 lets a provider send the department its forms (WHP07, the
Employment Business Customer Form, exit reports: :mod:`.inbound_forms`) only "from and
to a designated inbox", one record per message. Here the agreement names both ends:

- **senders**: ``designated_senders``, principals of the agreement's recipient, for the
  forms in ``inbound_forms``, while the agreement is active;
- **readers**: at each data owner, its data owners, DPOs and admins read every form;
  its analysts (the payment team, paragraph 14) read Employment Business forms only.

A message is received, then actioned, then (paragraph 57: "you must delete the email
from your inbox once you have actioned it") deleted; :data:`TRANSITIONS` is that
lifecycle with the role that owns each step. Pure verdicts with reasons; the service
audits them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from accord.core.governance.records import AgreementRecord
from accord.core.governance.workflow import AgreementState
from accord.core.identity import Role
from accord.core.lifecycle.inbound_forms import InboundForm
from accord.core.permissions import Caller, Verdict

__all__ = [
    "ALL_FORMS_READERS",
    "PAYMENT_TEAM_FORMS",
    "TRANSITIONS",
    "InboundMessage",
    "MessageAction",
    "MessageState",
    "can_act_on",
    "can_read_inbox",
    "can_send",
    "readable_forms",
]

ALL_FORMS_READERS = (Role.DATA_OWNER, Role.DPO, Role.ADMIN)
"""Roles at the department that read every inbound form."""
PAYMENT_TEAM_FORMS = frozenset({InboundForm.EMPLOYMENT_BUSINESS})
"""The forms the department's analysts (its payment team) read."""


class MessageState(StrEnum):
    RECEIVED = "received"
    ACTIONED = "actioned"
    DELETED = "deleted"


class MessageAction(StrEnum):
    ACTION = "action"
    DELETE = "delete"


TRANSITIONS: dict[tuple[MessageState, MessageAction], MessageState] = {
    (MessageState.RECEIVED, MessageAction.ACTION): MessageState.ACTIONED,
    (MessageState.ACTIONED, MessageAction.DELETE): MessageState.DELETED,
}
"""Each step of a message's life; the department's readers of the form own both."""


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One received message: one record of one form about one participant."""

    id: str
    agreement_id: str
    organisation: str
    """The data owner whose inbox holds it."""
    sender_organisation: str
    sender: str
    """The principal id of the designated sender."""
    form: InboundForm
    template: str
    """The template the participant's programme chose (WHP Core or WHPEREJ1)."""
    referral_id: str
    received_at: datetime
    payload: dict[str, Any]
    """The validated record: it holds the participant's NINO and name, so it is shown
    only to the inbox's readers, never written to the audit log or a notice."""
    sha256: str
    state: MessageState
    actioned_at: datetime | None = None
    actioned_by: str = ""


def can_send(caller: Caller, agreement: AgreementRecord, form: InboundForm) -> Verdict:
    """Whether ``caller`` may send ``form`` to the data owners under ``agreement``."""
    policy = agreement.policy
    if caller.principal is None:
        return Verdict(False, "only a designated sender of the recipient may send a form")
    if not caller.has_role(policy.recipient, *Role):
        return Verdict(False, f"only members of {policy.recipient!r} send under this agreement")
    if agreement.state is not AgreementState.ACTIVE:
        return Verdict(False, f"the agreement is {agreement.state.value}: nothing may be sent")
    if form.value not in policy.inbound_forms:
        allowed = ", ".join(policy.inbound_forms) or "none"
        return Verdict(
            False, f"the agreement does not allow {form.value} back (it allows: {allowed})"
        )
    if caller.principal.id not in policy.designated_senders:
        return Verdict(
            False,
            f"{caller.principal.id} is not a designated sender of this agreement: only "
            f"{', '.join(policy.designated_senders) or 'nobody'} may send its forms",
        )
    return Verdict(True, f"designated sender of {policy.recipient} for {form.value}")


def readable_forms(caller: Caller, organisation: str) -> frozenset[InboundForm]:
    """The forms ``caller`` reads in ``organisation``'s inbox (none: no inbox for them)."""
    if caller.has_role(organisation, *ALL_FORMS_READERS):
        return frozenset(InboundForm)
    if caller.has_role(organisation, Role.ANALYST):
        return PAYMENT_TEAM_FORMS
    return frozenset()


def can_read_inbox(caller: Caller, organisation: str) -> Verdict:
    forms = readable_forms(caller, organisation)
    if not forms:
        return Verdict(
            False,
            f"only {organisation}'s data owners, DPOs, admins and (for employment business "
            "forms) analysts read its inbox",
        )
    return Verdict(True, f"reads {organisation}'s inbox: {', '.join(sorted(forms))}")


def can_act_on(
    caller: Caller,
    organisation: str,
    form: InboundForm,
    state: MessageState,
    action: MessageAction | None = None,
) -> Verdict:
    """Whether ``caller`` may read (``action`` None) or take ``action`` on a message."""
    if form not in readable_forms(caller, organisation):
        return Verdict(False, f"{form.value} messages are not for this reader")
    if action is None:
        return Verdict(True, f"reader of {form.value} messages at {organisation}")
    if (state, action) not in TRANSITIONS:
        needed = " or ".join(s.value for (s, a) in TRANSITIONS if a is action)
        done = "marked actioned" if action is MessageAction.ACTION else "deleted"
        return Verdict(
            False, f"only a message that is {needed} can be {done}; this one is {state.value}"
        )
    return Verdict(True, f"reader of {form.value} messages at {organisation}")
