"""Blocking findings and their overrides, decided from the stored assessment alone.

A blocking finding is submitted only when the requester names it in
``override_requests`` (asking the data owners to accept it), and only if somebody may
override it at all; it is resolved once every seat it needs (by default legal of each
data owner, see :func:`~accord.core.governance.permissions.override_seats`) has given
an override with its reason. Pure functions: the service passes what the store holds.
"""

from __future__ import annotations

from collections.abc import Iterable

from accord.core.governance.permissions import override_seats
from accord.core.governance.records import Override
from accord.core.governance.request import SharingRequest
from accord.core.governance.stored import StoredAssessment

__all__ = ["resolution", "unasked_overrides"]


def unasked_overrides(document: SharingRequest, stored: StoredAssessment) -> str:
    """Why the request may not be submitted with its blocking findings, or "" if it may:
    each must be named in ``override_requests`` and be one somebody may override, and
    nothing else may be named there."""
    asked = document.override_requests
    owners = document.owner_organisations()
    problems = []
    for finding in stored.blocking:
        named = any(a.finding in (finding["ref"], finding["code"]) for a in asked)
        if not override_seats(finding, owners):
            problems.append(f"{finding['ref']} cannot be overridden: the request must change")
        elif not named:
            problems.append(
                f"{finding['ref']} is not named in override_requests ({{finding, reason}}), "
                "which asks the data owners to override it"
            )
    strays = [
        a.finding
        for a in asked
        if not any(a.finding in (f["ref"], f["code"]) for f in stored.blocking)
    ]
    if strays:
        problems.append(
            "override_requests names what is not a blocking finding of this request: "
            + ", ".join(strays)
            + "; blocking: "
            + (", ".join(stored.blocking_refs) or "none")
        )
    if not problems:
        return ""
    return "blocking findings are unresolved: " + "; ".join(problems)


def resolution(
    document: SharingRequest, stored: StoredAssessment, overrides: Iterable[Override]
) -> tuple[set[str], list[str]]:
    """(the findings overridden in every seat they need, those still waiting and on whom)."""
    given_all = list(overrides)
    owners = document.owner_organisations()
    resolved: set[str] = set()
    waiting: list[str] = []
    for finding in stored.blocking:
        ref = finding["ref"]
        given = {(o.organisation_id, o.role) for o in given_all if o.finding == ref}
        seats = override_seats(finding, owners)
        missing = [
            f"{role.value} of {org}" for org, role in seats if (org, role.value) not in given
        ]
        if not seats:
            waiting.append(f"{ref} (nobody may override it: the request must change)")
        elif missing:
            waiting.append(f"{ref} (needs {', '.join(missing)})")
        else:
            resolved.add(ref)
    return resolved, waiting
