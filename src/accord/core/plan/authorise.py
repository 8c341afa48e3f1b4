"""May this caller use this agreement through this channel now? Pure decisions.

Every check in order, each with the reason that goes to the audit log: who the caller
is (a requester or analyst of the recipient, or for a package a data owner of the
dataset's owner) before anything about the agreement's state; then the agreement is
active and in date; the recipient's access review is current and the caller was not
removed at it (seed 003's 30-day reviews); the channel is one the agreement names; the
recipient holds one of the assurance schemes the agreement requires, valid today; and
the agreement's frequency allows the channel at all (in-place channels need a
continuous agreement). The terms that depend on what has already been released (test
exchange, one-off and recurring deliveries) and on what the caller declares
(territory, processor) are in :mod:`accord.core.plan.release`. A caller from another
organisation is told the agreement does not exist.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from accord.core.governance.records import AgreementRecord
from accord.core.governance.request import Channel, Frequency
from accord.core.governance.workflow import AgreementState
from accord.core.identity import Organisation, Role
from accord.core.lifecycle.reviews import AccessStanding, access_review_current
from accord.core.permissions import Caller, Verdict

__all__ = [
    "IN_PLACE",
    "LIVE_DELIVERY",
    "USE_ROLES",
    "PlaneChannel",
    "allowed_by",
    "can_use",
    "hides_agreement",
]

USE_ROLES = (Role.REQUESTER, Role.ANALYST)


class PlaneChannel(StrEnum):
    """Every way rows (or anything computed from them) leave: each is a release."""

    EXTRACT = "extract"
    PACKAGE = "package"
    QUERY = "query"
    CHECK = "check"
    DELTA_SHARING = "delta_sharing"
    LINK = "link"
    AGGREGATE = "aggregate_statistics"
    BATCH_VALIDATION = "batch_validation"
    OUTCOME = "outcome"
    """A participant's first pay date and earnings thresholds, answered per record."""


LIVE_DELIVERY = frozenset({PlaneChannel.EXTRACT, PlaneChannel.PACKAGE})
"""A live delivery is an extract or a (receipted) package: what frequency counts."""
IN_PLACE = frozenset({PlaneChannel.QUERY, PlaneChannel.DELTA_SHARING})
"""Channels that serve the governed view again and again: only a continuous share."""

_ALLOWED_BY = {
    PlaneChannel.EXTRACT: (Channel.BULK_PACKAGE, Channel.DELTA_SHARING),
    PlaneChannel.PACKAGE: (Channel.BULK_PACKAGE,),
    PlaneChannel.QUERY: (Channel.IN_PLACE_QUERY,),
    PlaneChannel.CHECK: (Channel.ELIGIBILITY_CHECK,),
    PlaneChannel.DELTA_SHARING: (Channel.DELTA_SHARING,),
    # A match table says, record by record, which of the recipient's people are in the
    # governed view: per-record release, so only channels that already release the
    # view's rows to the recipient allow it (never aggregate or yes/no-only channels).
    PlaneChannel.LINK: (Channel.IN_PLACE_QUERY, Channel.BULK_PACKAGE, Channel.DELTA_SHARING),
    PlaneChannel.AGGREGATE: (Channel.AGGREGATE_STATISTICS,),
    PlaneChannel.BATCH_VALIDATION: (Channel.BATCH_VALIDATION,),
    # Outcome validation answers about one named participant at a time, as an
    # eligibility check does: the same channel and the same per-record term allow it.
    PlaneChannel.OUTCOME: (Channel.ELIGIBILITY_CHECK,),
}


def allowed_by(channel: PlaneChannel) -> tuple[Channel, ...]:
    """The agreement channels under which ``channel`` may release anything."""
    return _ALLOWED_BY[channel]


def hides_agreement(
    caller: Caller, agreement: AgreementRecord, channel: PlaneChannel | None = None
) -> bool:
    """Another organisation's agreement is not acknowledged to exist.

    The channels serve the recipient, so to them the agreement is the recipient's: to
    anyone else it answers as not found. A package is pushed by a data owner, so there
    the agreement's parties (its data owners and recipient) learn that it exists and are
    told why they may not send.
    """
    if caller.principal is None:
        return True
    mine = set(caller.principal.organisations_with(*Role))
    if channel is PlaneChannel.PACKAGE:
        return not {agreement.policy.recipient, *agreement.policy.data_owners} & mine
    return agreement.policy.recipient not in mine


def _entitled(
    caller: Caller, agreement: AgreementRecord, channel: PlaneChannel, owner: str
) -> Verdict:
    policy = agreement.policy
    label = f"agreement {agreement.id} v{agreement.version}"
    if channel is PlaneChannel.PACKAGE:
        if owner not in policy.data_owners:
            return Verdict(False, f"{owner!r} is not a data owner under {label}")
        if not caller.has_role(owner, Role.DATA_OWNER):
            return Verdict(False, f"only a data owner of {owner!r} may send its packages")
        return Verdict(True, f"a data owner of {owner}")
    if not any(caller.has_role(policy.recipient, role) for role in USE_ROLES):
        return Verdict(
            False, f"only a requester or analyst of {policy.recipient!r} may use {label}"
        )
    return Verdict(True, f"{policy.recipient} staff")


def can_use(
    caller: Caller,
    agreement: AgreementRecord,
    channel: PlaneChannel,
    recipient: Organisation,
    today: date,
    *,
    review: AccessStanding,
    owner: str = "",
    test: bool = False,
) -> Verdict:
    """Who, then the agreement's state and term, the recipient's access review, channel,
    assurance and frequency.

    ``review`` is the recipient organisation's access-review standing under the agreement
    (:func:`accord.services.reviews.standing_of` looks it up): a lapsed review suspends
    every channel, a package sent to the recipient included, and a principal removed at
    the latest recertification is refused.

    ``owner`` is the organisation whose dataset a package carries; ``test`` marks a
    test package (synthetic rows), which an agreement that requires a test exchange
    allows even where bulk packages are not its channel: it releases no one's data.
    """
    policy = agreement.policy
    label = f"agreement {agreement.id} v{agreement.version}"
    who = _entitled(caller, agreement, channel, owner)
    if not who:
        return who
    if agreement.state is not AgreementState.ACTIVE:
        return Verdict(False, f"{label} is {agreement.state.value}")
    if today < policy.valid_from:
        return Verdict(False, f"{label} starts on {policy.valid_from.isoformat()}")
    if today > policy.valid_to:
        return Verdict(False, f"{label} ended on {policy.valid_to.isoformat()}")
    if review.agreement_id != agreement.id or review.organisation != policy.recipient:
        return Verdict(False, f"no access-review standing of {policy.recipient} was given")
    reviewed = access_review_current(
        review, caller.principal.id if caller.principal is not None else None, today
    )
    if not reviewed:
        return reviewed
    allowed = _ALLOWED_BY[channel]
    testing = channel is PlaneChannel.PACKAGE and test and policy.test_exchange_required
    if not set(allowed) & set(policy.channels) and not testing:
        return Verdict(
            False,
            f"{label} does not allow the {channel.value} channel (it allows "
            + ", ".join(c.value for c in policy.channels)
            + ")",
        )
    if (
        channel in (PlaneChannel.CHECK, PlaneChannel.OUTCOME)
        and not policy.output_controls.per_record_answers
    ):
        return Verdict(False, f"{label} does not allow per-record answers: use batch validation")
    held = recipient.valid_assurances(today)
    if not held:
        return Verdict(False, f"{recipient.name} has no valid security assurance today")
    required = set(policy.assurance_schemes)
    if not any(a.scheme in required for a in held):
        return Verdict(
            False,
            f"{label} requires the recipient to hold "
            + " or ".join(s.value for s in policy.assurance_schemes)
            + f"; {recipient.name} holds "
            + ", ".join(sorted({a.scheme.value for a in held})),
        )
    if channel in IN_PLACE and policy.frequency is not Frequency.CONTINUOUS:
        return Verdict(
            False,
            f"{label} is a {policy.frequency.value} share: the {channel.value} channel serves "
            "the data continuously, which only a continuous agreement allows",
        )
    if channel is PlaneChannel.PACKAGE:
        return Verdict(
            True,
            f"{'test ' if test else ''}package under {label}, sent by {who.reason}",
        )
    return Verdict(True, f"{channel.value} under {label}, as {who.reason}")
