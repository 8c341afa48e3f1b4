"""Who may act on requests and agreements, apart from what their state allows.

Each organisation decides for its own data: a request over several owning
organisations needs the tier's roles from *each* owner, tracked as (organisation,
role) pairs. Separation of duties lives here too: nobody from the requesting
organisation reviews, and one person gives at most one approval to a revision, so no
person fills two roles, within one owner or across owners. Each rule returns a
verdict with the reason that goes to the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from accord.core.governance.records import RequestRecord, Review
from accord.core.governance.workflow import Transition
from accord.core.identity import Role
from accord.core.permissions import Caller, Verdict

__all__ = [
    "Seat",
    "approval_role",
    "can_act_for_requester",
    "can_create_request",
    "can_override",
    "can_read_dashboard",
    "can_read_metrics",
    "can_review",
    "can_steward_agreement",
    "can_view_agreement",
    "can_view_request",
    "outstanding_seats",
    "override_seat",
    "override_seats",
    "overrides_needed",
    "required_seats",
    "reviewer_seat",
    "seats_waiting_on",
]


def _person(caller: Caller) -> Verdict | None:
    if caller.principal is None:
        return Verdict(
            False,
            "governance actions are taken by a named person: act as a principal "
            "(`--as PRINCIPAL` on the command line)",
        )
    return None


def can_create_request(caller: Caller, organisation: str) -> Verdict:
    if (refused := _person(caller)) is not None:
        return refused
    if caller.has_role(organisation, Role.REQUESTER):
        return Verdict(True, f"requester of {organisation!r}")
    return Verdict(False, f"only a requester of {organisation!r} may ask on its behalf")


def can_act_for_requester(
    caller: Caller, request: RequestRecord, action: str, roles: frozenset[Role]
) -> Verdict:
    """The requester's side: one of ``roles`` (those the action's transitions name) in
    the requesting organisation. Decided before the request's state is looked at."""
    org = request.document.requesting_organisation
    if (refused := _person(caller)) is not None:
        return refused
    if any(caller.has_role(org, role) for role in roles):
        return Verdict(True, f"requester of {org!r}")
    return Verdict(False, f"only a requester of {org!r} may {action.replace('_', ' ')} it")


def can_review(
    caller: Caller, request: RequestRecord, action: str, roles: frozenset[Role]
) -> Verdict:
    """Reviewers hold one of ``roles`` in an organisation whose data it is, and none in
    the requesting organisation. Decided before the request's state is looked at."""
    if (refused := _person(caller)) is not None:
        return refused
    assert caller.principal is not None
    requesting = request.document.requesting_organisation
    if caller.principal.organisations_with(*Role) & {requesting}:
        return Verdict(
            False,
            f"separation of duties: {caller.principal.id!r} belongs to the requesting "
            f"organisation {requesting!r}",
        )
    for org in request.document.owner_organisations():
        held = sorted((r for r in roles if caller.has_role(org, r)), key=lambda r: r.value)
        if held:
            return Verdict(True, f"{held[0].value} of {org!r}, whose data is asked for")
    names = ", ".join(sorted(r.value for r in roles))
    owners = ", ".join(request.document.owner_organisations())
    return Verdict(False, f"only a {names} of {owners} may {action.replace('_', ' ')} it")


Seat = tuple[str, Role]
"""An approval a request needs: a role in one data-owning organisation."""


def required_seats(owners: Iterable[str], roles: Iterable[Role]) -> tuple[Seat, ...]:
    """Every owner's copy of the tier's roles, owner by owner, in the tier's order."""
    wanted = tuple(roles)
    return tuple((org, role) for org in owners for role in wanted)


def outstanding_seats(required: Iterable[Seat], approvals: Iterable[Review]) -> tuple[Seat, ...]:
    """The seats no approval of this revision has filled yet."""
    filled = {(a.organisation_id, a.role) for a in approvals}
    return tuple((org, role) for org, role in required if (org, role.value) not in filled)


def seats_waiting_on(
    caller: Caller, request: RequestRecord, required: Iterable[Role], approvals: Iterable[Review]
) -> tuple[Seat, ...]:
    """The open seats of a revision this caller could fill: those the tier still needs
    in an owner where they hold the role; none once they have approved the revision,
    since one person gives one approval."""
    if caller.principal is None:
        return ()
    given = list(approvals)
    if any(a.principal_id == caller.principal.id for a in given):
        return ()
    seats = required_seats(request.document.owner_organisations(), required)
    return tuple(
        (org, role) for org, role in outstanding_seats(seats, given) if caller.has_role(org, role)
    )


def reviewer_seat(caller: Caller, request: RequestRecord, roles: Iterable[Role]) -> tuple[str, str]:
    """(owner, role) a reviewer acts as: the first owner where they hold one of ``roles``."""
    ordered = sorted(roles, key=lambda r: r.value)
    for org in request.document.owner_organisations():
        for role in ordered:
            if caller.has_role(org, role):
                return org, role.value
    return "", ""


def approval_role(
    caller: Caller,
    request: RequestRecord,
    required: Iterable[Role],
    approvals: Iterable[Review],
    wanted: Role | None = None,
) -> tuple[Verdict, Role | None, str]:
    """The role this approval counts as, and the organisation it is given for.

    Each owner's copy of each required role is filled once, by someone holding that
    role in that owner; one person gives at most one approval to a revision, so nobody
    fills two seats, within one owner or across owners.
    """
    assert caller.principal is not None
    given = list(approvals)
    if any(a.principal_id == caller.principal.id for a in given):
        return (
            Verdict(False, f"{caller.principal.id!r} has already approved this revision"),
            None,
            "",
        )
    seats = required_seats(request.document.owner_organisations(), required)
    open_seats = outstanding_seats(seats, given)
    for org, role in open_seats:
        if (wanted is None or role is wanted) and caller.has_role(org, role):
            return Verdict(True, f"approves as {role.value} of {org!r}"), role, org
    needed = ", ".join(f"{role.value} of {org}" for org, role in open_seats) or "none"
    return (
        Verdict(
            False,
            f"{caller.principal.id!r} holds none of the approvals still needed ({needed})"
            + (f" as {wanted.value}" if wanted else ""),
        ),
        None,
        "",
    )


def overrides_needed(owners: Iterable[str]) -> tuple[Seat, ...]:
    """Who must override a blocking finding before it counts as resolved, by default:
    legal of each owner, since each owner decides for its own data."""
    return tuple((org, Role.LEGAL) for org in owners)


def override_seats(finding: Mapping[str, Any], owners: Iterable[str]) -> tuple[Seat, ...]:
    """Who must override this stored finding: the seats it names (``override_by``, each
    ``{organisation_id, role}``; none means nobody may, the request must change), or
    legal of each owner for findings that do not say."""
    named = finding.get("override_by")
    if named is None:
        return overrides_needed(owners)
    return tuple((m["organisation_id"], Role(m["role"])) for m in named)


def override_seat(
    caller: Caller, ref: str, seats: Iterable[Seat], given: Iterable[Seat]
) -> tuple[Verdict, Seat | None]:
    """The seat this caller overrides ``ref`` in: one it holds that nobody has filled."""
    wanted = tuple(seats)
    done = set(given)
    if not wanted:
        return Verdict(False, f"nobody may override {ref}: the request must change"), None
    for org, role in wanted:
        if (org, role) not in done and caller.has_role(org, role):
            return Verdict(True, f"{role.value} of {org!r} overrides {ref}"), (org, role)
    if any(caller.has_role(org, role) for org, role in wanted):
        return Verdict(False, f"{ref} is already overridden for the seats you hold"), None
    names = ", ".join(f"{role.value} of {org}" for org, role in wanted)
    return Verdict(False, f"only {names} may override {ref}"), None


def can_override(caller: Caller, request: RequestRecord) -> Verdict:
    """Whether the caller may override findings of this request at all: a reviewer in an
    organisation whose data it is, not in the requesting organisation. Which findings
    (by default legal of each owner) :func:`override_seat` decides per finding."""
    if (refused := _person(caller)) is not None:
        return refused
    assert caller.principal is not None
    requesting = request.document.requesting_organisation
    if requesting in caller.principal.organisations_with(*Role):
        return Verdict(False, "separation of duties: the requesting organisation cannot override")
    for org in request.document.owner_organisations():
        held = sorted(
            r.value for r in (Role.DATA_OWNER, Role.DPO, Role.LEGAL) if caller.has_role(org, r)
        )
        if held:
            return Verdict(True, f"{held[0]} of {org!r}, whose data is asked for")
    return Verdict(
        False,
        "only legal (or whom a finding names) in an organisation whose data is asked for "
        "may override",
    )


def can_steward_agreement(caller: Caller, owners: Iterable[str], transition: Transition) -> Verdict:
    if caller.operator:
        return Verdict(True, "local operator")
    for org in owners:
        for role in transition.roles:
            if caller.has_role(org, role):
                return Verdict(True, f"{role.value} of {org!r}")
    roles = ", ".join(sorted(r.value for r in transition.roles))
    return Verdict(
        False, f"only a {roles} of the data-owning organisation may {transition.action} it"
    )


def can_view_request(caller: Caller, request: RequestRecord) -> Verdict:
    if caller.operator:
        return Verdict(True, "local operator")
    if caller.has_role(caller.platform_org, Role.AUDITOR, Role.ADMIN):
        return Verdict(True, "platform auditor or admin")
    parties = {request.document.requesting_organisation, *request.document.owner_organisations()}
    if caller.principal is not None and caller.principal.organisations_with(*Role) & parties:
        return Verdict(True, "member of a party to the request")
    return Verdict(False, "only the parties to a request and platform auditors may see it")


def can_view_agreement(caller: Caller, parties: Iterable[str]) -> Verdict:
    """An agreement's full policy and decision record: its parties and platform auditors.

    The public register shows every agreement's headline facts to anyone.
    """
    if caller.operator:
        return Verdict(True, "local operator")
    if caller.has_role(caller.platform_org, Role.AUDITOR, Role.ADMIN):
        return Verdict(True, "platform auditor or admin")
    if caller.principal is not None and caller.principal.organisations_with(*Role) & set(parties):
        return Verdict(True, "member of a party to the agreement")
    return Verdict(False, "only the parties to an agreement and platform auditors may see it")


def can_read_metrics(caller: Caller) -> Verdict:
    if caller.operator or caller.has_role(caller.platform_org, Role.AUDITOR, Role.ADMIN):
        return Verdict(True, "platform auditor or admin")
    if caller.principal is not None and caller.principal.organisations_with(
        Role.DPO, Role.DATA_OWNER
    ):
        return Verdict(True, "a data owner or DPO watches the queue")
    return Verdict(False, "governance metrics are for data owners, DPOs and platform auditors")


def can_read_dashboard(caller: Caller, organisation_id: str) -> Verdict:
    """An organisation's governance dashboard: its DPOs, admins and auditors, who answer
    for how fast it decides and what it has let lapse; and the platform's."""
    if caller.operator or caller.has_role(caller.platform_org, Role.AUDITOR, Role.ADMIN):
        return Verdict(True, "platform auditor or admin")
    if caller.has_role(organisation_id, Role.DPO, Role.ADMIN, Role.AUDITOR):
        return Verdict(True, f"DPO, admin or auditor of {organisation_id!r}")
    return Verdict(
        False, f"only the DPOs, admins and auditors of {organisation_id!r} see its dashboard"
    )
