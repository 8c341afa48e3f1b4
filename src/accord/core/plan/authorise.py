"""May this caller use this agreement through this channel now? A pure decision.

Every check in order, each with the reason that goes to the audit log: the agreement
is active and in date; the caller works for the recipient in a role that uses data;
the channel is one the agreement allows; the recipient's security assurance is valid
today. A caller from another organisation is told the agreement does not exist.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from accord.core.governance.records import AgreementRecord
from accord.core.governance.request import Channel
from accord.core.governance.workflow import AgreementState
from accord.core.identity import Organisation, Role
from accord.core.permissions import Caller, Verdict

__all__ = ["USE_ROLES", "PlaneChannel", "can_use", "hides_agreement"]

USE_ROLES = (Role.REQUESTER, Role.ANALYST)


class PlaneChannel(StrEnum):
    EXTRACT = "extract"
    QUERY = "query"
    CHECK = "check"
    DELTA_SHARING = "delta_sharing"
    LINK = "link"


_ALLOWED_BY = {
    PlaneChannel.EXTRACT: (Channel.BULK_PACKAGE, Channel.DELTA_SHARING),
    PlaneChannel.QUERY: (Channel.IN_PLACE_QUERY,),
    PlaneChannel.CHECK: (Channel.ELIGIBILITY_CHECK,),
    PlaneChannel.DELTA_SHARING: (Channel.DELTA_SHARING,),
    # A match table says, record by record, which of the recipient's people are in the
    # governed view: per-record release, so only channels that already release the
    # view's rows to the recipient allow it (never aggregate or yes/no-only channels).
    PlaneChannel.LINK: (Channel.IN_PLACE_QUERY, Channel.BULK_PACKAGE, Channel.DELTA_SHARING),
}


def hides_agreement(caller: Caller, agreement: AgreementRecord) -> bool:
    """Another organisation's agreement is not acknowledged to exist."""
    return not (
        caller.principal is not None
        and agreement.policy.recipient in caller.principal.organisations_with(*Role)
    )


def can_use(
    caller: Caller,
    agreement: AgreementRecord,
    channel: PlaneChannel,
    recipient: Organisation,
    today: date,
) -> Verdict:
    policy = agreement.policy
    label = f"agreement {agreement.id} v{agreement.version}"
    if agreement.state is not AgreementState.ACTIVE:
        return Verdict(False, f"{label} is {agreement.state.value}")
    if today < policy.valid_from:
        return Verdict(False, f"{label} starts on {policy.valid_from.isoformat()}")
    if today > policy.valid_to:
        return Verdict(False, f"{label} ended on {policy.valid_to.isoformat()}")
    if not any(caller.has_role(policy.recipient, role) for role in USE_ROLES):
        return Verdict(
            False, f"only a requester or analyst of {policy.recipient!r} may use {label}"
        )
    allowed = _ALLOWED_BY[channel]
    if not set(allowed) & set(policy.channels):
        return Verdict(
            False,
            f"{label} does not allow the {channel.value} channel (it allows "
            + ", ".join(c.value for c in policy.channels)
            + ")",
        )
    if channel is PlaneChannel.CHECK and not policy.output_controls.per_record_answers:
        return Verdict(False, f"{label} does not allow per-record answers: use batch validation")
    if not recipient.valid_assurances(today):
        return Verdict(False, f"{recipient.name} has no valid security assurance today")
    return Verdict(True, f"{channel.value} under {label}, as {policy.recipient} staff")
