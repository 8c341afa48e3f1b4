"""Authorise, or refuse on the record.

Every service call starts here: a verdict that allows yields the audit event the
change will be written with; a verdict that refuses is written to the audit log as
a ``deny`` event and raised. A refusal is never silent and never releases anything.

A refusal about another organisation's private object (a request, an agreement, a
package… see :data:`accord.store.audit_owners.PRIVATE_KINDS`) is answered exactly as
a missing one would be, with :func:`accord.errors.not_found`: only the parties to an
object, and the platform's auditors and admins, learn why they were refused. The log
records the real reason either way. ``PermissionDenied`` is made here and nowhere
else (``tests/services/test_refusals.py`` checks the source).
"""

from __future__ import annotations

from typing import Any

from accord.core.actions import CREATING
from accord.core.audit import AuditEvent, Decision
from accord.core.identity import Role
from accord.core.permissions import Caller, Verdict
from accord.errors import NotFoundError, PermissionDenied, not_found
from accord.store import Store
from accord.store.audit_owners import PRIVATE_KINDS, private_ident

__all__ = ["authorise", "may_know_of", "refuse", "released"]


def refuse(
    store: Store,
    caller: Caller,
    action: str,
    obj: str,
    organisation: str,
    reason: str,
    **details: Any,
) -> PermissionDenied | NotFoundError:
    """Record a refusal as a ``deny`` event, and return the error to raise.

    The error is :class:`PermissionDenied` with ``reason`` for a caller who may know of
    ``obj``, or when ``action`` creates it (see :data:`accord.core.actions.CREATING`);
    for anyone else, the same :func:`not_found` a missing object answers.
    """
    if caller.via:
        details["via"] = caller.via
    hidden = action not in CREATING and not may_know_of(store, caller, obj)
    if hidden:
        details["answered"] = "not found"
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
    if hidden:
        return not_found(PRIVATE_KINDS[obj.partition(":")[0]], private_ident(obj))
    return PermissionDenied(reason)


def may_know_of(store: Store, caller: Caller, obj: str) -> bool:
    """Whether the caller may learn that ``obj`` exists (and so why it was refused).

    Objects that are not private (datasets, organisations, the catalogue) are known to
    everyone; a private one to its parties' members and the platform's auditors and
    admins. A private object that does not exist is known to nobody.
    """
    if obj.partition(":")[0] not in PRIVATE_KINDS:
        return True
    parties = store.object_parties(obj)
    if parties is None:
        return False
    if caller.is_platform_admin or caller.has_role(caller.platform_org, Role.AUDITOR):
        return True
    if caller.principal is None:
        return False
    return any(m.organisation_id in parties for m in caller.principal.memberships)


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
