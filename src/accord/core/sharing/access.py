"""Recipient credentials for Delta Sharing, and who may hold one.

A Delta Sharing client carries one bearer token in a profile file, so Accord issues a
token per recipient principal per agreement share: it opens that one share and nothing
else, and only while the agreement itself allows the principal to use it (the data
plane's :func:`~accord.core.plan.authorise.can_use` is asked again on every call). Only
the SHA-256 of the secret is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from accord.core.governance.records import AgreementRecord
from accord.core.governance.request import Channel
from accord.core.governance.workflow import AgreementState
from accord.core.identity import Principal, Role
from accord.core.permissions import Caller, Verdict
from accord.core.plan.authorise import USE_ROLES

__all__ = ["SHARE_TOKEN_PREFIX", "ShareToken", "can_issue_share_token", "share_token_problem"]

SHARE_TOKEN_PREFIX = "accord_ds_"  # noqa: S105 - a label, not a secret


@dataclass(frozen=True, slots=True)
class ShareToken:
    """A recipient's Delta Sharing credential: one principal, one agreement's share."""

    id: str
    agreement_id: str
    principal_id: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    description: str = ""


def share_token_problem(token: ShareToken, now: datetime) -> str:
    """Why the token cannot be used now, or ``""`` when it can."""
    if token.revoked_at is not None:
        return f"share token {token.id} was revoked"
    if now >= token.expires_at:
        return f"share token {token.id} expired at {token.expires_at.isoformat()}"
    return ""


def can_issue_share_token(
    caller: Caller, principal: Principal, agreement: AgreementRecord
) -> Verdict:
    """The recipient's own staff (the principal, or an admin of the recipient organisation)
    or the platform operator may issue a credential, for a principal who may use an active
    agreement that allows the Delta Sharing channel."""
    policy = agreement.policy
    label = f"agreement {agreement.id} v{agreement.version}"
    if not (
        caller.operator
        or caller.is_platform_admin
        or caller.has_role(policy.recipient, Role.ADMIN)
        or (caller.principal is not None and caller.principal.id == principal.id)
    ):
        return Verdict(
            False,
            f"only {principal.id}, an admin of {policy.recipient!r} or the platform operator "
            f"may issue {principal.id} a share token",
        )
    if agreement.state is not AgreementState.ACTIVE:
        return Verdict(False, f"{label} is {agreement.state.value}")
    if Channel.DELTA_SHARING not in policy.channels:
        return Verdict(False, f"{label} does not allow the delta_sharing channel")
    if not principal.has_role(policy.recipient, *USE_ROLES):
        return Verdict(
            False, f"{principal.id} is not a requester or analyst of {policy.recipient!r}"
        )
    return Verdict(True, f"{principal.id} may use {label} through Delta Sharing")
