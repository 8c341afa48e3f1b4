"""Authorise, or refuse on the record.

Every service call starts here: a verdict that allows yields the audit event the
change will be written with; a verdict that refuses is written to the audit log as
a ``deny`` event and raised. A refusal is never silent and never releases anything.
"""

from __future__ import annotations

from typing import Any

from accord.core.audit import AuditEvent, Decision
from accord.core.permissions import Caller, Verdict
from accord.errors import PermissionDenied
from accord.store import Store

__all__ = ["authorise", "refuse", "released"]


def refuse(
    store: Store,
    caller: Caller,
    action: str,
    obj: str,
    organisation: str,
    reason: str,
    **details: Any,
) -> PermissionDenied:
    if caller.via:
        details["via"] = caller.via
    store.record(
        AuditEvent(
            actor=caller.actor,
            action=action,
            object=obj,
            organisation=organisation,
            decision=Decision.DENY,
            reason=reason,
            details=details,
        )
    )
    return PermissionDenied(reason)


def authorise(
    store: Store,
    caller: Caller,
    verdict: Verdict,
    *,
    action: str,
    obj: str,
    organisation: str = "",
    **details: Any,
) -> AuditEvent:
    """The allow event for the change, or a recorded refusal raised as PermissionDenied."""
    if not verdict.allowed:
        raise refuse(store, caller, action, obj, organisation, verdict.reason, **details)
    if caller.via:
        details["via"] = caller.via
    return AuditEvent(
        actor=caller.actor,
        action=action,
        object=obj,
        organisation=organisation,
        decision=Decision.ALLOW,
        reason=verdict.reason,
        details=details,
    )


def released(allowed: AuditEvent, *, action: str, reason: str, **details: Any) -> AuditEvent:
    """The event recording what an authorised call then released, keeping why it was allowed.

    A release names its own action and says what left (``extract.release``, "governed
    extract of dwp/carers v3"); the verdict that allowed it stays in the record as
    ``details["authorised"]``, with the action it was given under, so that an allow's
    reason is never lost to a more descriptive one.
    """
    return AuditEvent(
        actor=allowed.actor,
        action=action,
        object=allowed.object,
        organisation=allowed.organisation,
        decision=Decision.ALLOW,
        reason=reason,
        details={
            **allowed.details,
            **details,
            "authorised": {"action": allowed.action, "reason": allowed.reason},
        },
        owners=allowed.owners,
    )
