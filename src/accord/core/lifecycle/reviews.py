"""Access reviews: who still has access is recertified, or access is suspended. Pure.

Seed 003 (paragraph 6): "Audits are undertaken every 30 days to ensure the right people
have access." An agreement with ``access_review_days`` asks each recipient organisation
(the recipient, and each processor with principals who have access) to have its admin
recertify, at least that often, every principal with access: each one kept or removed,
none kept by doing nothing.

The review runs from the agreement's activation, then from each recertification. It is
*due* on the last day of the period, *due soon* in the seven days before, and *lapsed*
from the day after. A lapse is computed from dates alone, so it suspends access even if
no job has run: :func:`access_review_current` is a term of the one release path
(:func:`accord.core.plan.authorise.can_use`), with the organisation's standing passed in
as a fact. Recertifying starts a new period at once; principals removed at the latest
recertification stay refused under the agreement.

Lifecycle of one organisation's review (the owner of each state in brackets)::

    current (recipient admin) --date passes due--> lapsed (recipient admin)
    current/due soon/lapsed --recertify--> current
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from accord.core.governance.records import AgreementRecord
from accord.core.identity import Principal, Role
from accord.core.permissions import Caller, Verdict

__all__ = [
    "DUE_SOON_DAYS",
    "MAX_NOTE_CHARS",
    "USE_ROLES",
    "AccessStanding",
    "Recertification",
    "ReviewStatus",
    "access_review_current",
    "can_list_reviews",
    "can_recertify",
    "can_run_review_check",
    "can_see_reviews",
    "check_confirmation",
    "organisations_under_review",
    "principals_with_access",
    "standing",
]

DUE_SOON_DAYS = 7
"""A reminder is due this many days before the review is."""
USE_ROLES = (Role.REQUESTER, Role.ANALYST)
"""The roles through which a principal uses an agreement (as in the release path)."""
MAX_NOTE_CHARS = 2000


class ReviewStatus(StrEnum):
    NOT_REQUIRED = "not required"
    CURRENT = "current"
    DUE_SOON = "due soon"
    LAPSED = "lapsed"


@dataclass(frozen=True, slots=True)
class Recertification:
    """An admin's confirmation of who keeps access to an agreement in an organisation."""

    id: str
    agreement_id: str
    organisation: str
    by: str
    """The admin's principal id."""
    on: date
    kept: tuple[str, ...]
    removed: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class AccessStanding:
    """The facts a decision about one organisation's review needs, looked up by a service."""

    agreement_id: str
    organisation: str
    every_days: int | None
    """The agreement's ``access_review_days``; None: no reviews required."""
    activated_on: date
    last: Recertification | None = None

    @property
    def since(self) -> date:
        """When the current review period began."""
        return self.last.on if self.last is not None else self.activated_on

    @property
    def due_on(self) -> date | None:
        """The last day of the period: the review must be recertified by then."""
        if self.every_days is None:
            return None
        return self.since + timedelta(days=self.every_days)

    @property
    def lapses_on(self) -> date | None:
        """The first day without a current review."""
        due = self.due_on
        return None if due is None else due + timedelta(days=1)

    @property
    def removed(self) -> frozenset[str]:
        return frozenset(self.last.removed) if self.last is not None else frozenset()

    def status(self, today: date) -> ReviewStatus:
        due = self.due_on
        if due is None:
            return ReviewStatus.NOT_REQUIRED
        if today > due:
            return ReviewStatus.LAPSED
        if today >= due - timedelta(days=DUE_SOON_DAYS):
            return ReviewStatus.DUE_SOON
        return ReviewStatus.CURRENT


def standing(
    agreement: AgreementRecord, organisation: str, last: Recertification | None
) -> AccessStanding:
    """The standing of ``organisation`` under ``agreement``, its review period counted
    from the later of the agreement's creation (activation) and its start date."""
    activated = max(agreement.created_at.date(), agreement.policy.valid_from)
    return AccessStanding(
        agreement.id, organisation, agreement.policy.access_review_days, activated, last
    )


def _who_recertifies(organisation: str) -> str:
    return (
        f"an admin of {organisation} recertifies its access "
        "(Access reviews page, or `accord reviews recertify`)"
    )


def access_review_current(facts: AccessStanding, principal_id: str | None, today: date) -> Verdict:
    """The release path's term: the organisation's review is current, and the caller
    was not removed at its latest recertification."""
    if facts.every_days is None:
        return Verdict(True, f"agreement {facts.agreement_id} requires no access reviews")
    due, lapses = facts.due_on, facts.lapses_on
    if due is None or lapses is None or today >= lapses:
        return Verdict(
            False,
            f"the access review of {facts.organisation} under agreement {facts.agreement_id} "
            f"was due on {due} and lapsed on {lapses}: access is suspended until "
            + _who_recertifies(facts.organisation),
        )
    last = facts.last
    if last is not None and principal_id is not None and principal_id in last.removed:
        return Verdict(
            False,
            f"{principal_id} was removed from access under agreement {facts.agreement_id} "
            f"at the access review of {facts.organisation} on {last.on} by {last.by}",
        )
    return Verdict(True, f"access review of {facts.organisation} current until {due.isoformat()}")


def principals_with_access(
    organisation: str,
    principals: Iterable[Principal],
    token_holders: Iterable[str] = (),
) -> tuple[str, ...]:
    """Principals of ``organisation`` holding a use role there, or a live share token on
    the agreement (``token_holders``) while a member of it; sorted by id."""
    holders = set(token_holders)
    found = {
        p.id
        for p in principals
        if any(m.organisation_id == organisation and m.role in USE_ROLES for m in p.memberships)
        or (p.id in holders and organisation in p.organisations_with(*Role))
    }
    return tuple(sorted(found))


def organisations_under_review(
    agreement: AgreementRecord, with_access: dict[str, tuple[str, ...]]
) -> tuple[str, ...]:
    """The recipient, and each processor whose principals have access (``with_access``:
    organisation -> its principals with access). None when the agreement needs none."""
    policy = agreement.policy
    if policy.access_review_days is None:
        return ()
    processors = [p for p in policy.processors if p != policy.recipient and with_access.get(p)]
    return (policy.recipient, *processors)


def can_recertify(caller: Caller, agreement: AgreementRecord, organisation: str) -> Verdict:
    """Only an admin of the organisation under review recertifies its access."""
    label = f"agreement {agreement.id}"
    policy = agreement.policy
    if policy.access_review_days is None:
        return Verdict(False, f"{label} requires no access reviews")
    if organisation != policy.recipient and organisation not in policy.processors:
        return Verdict(False, f"{organisation!r} is not the recipient or a processor under {label}")
    if not caller.has_role(organisation, Role.ADMIN):
        return Verdict(
            False,
            f"only an admin of {organisation!r} may recertify its access under {label}",
        )
    return Verdict(True, f"an admin of {organisation} recertifies its access under {label}")


def can_list_reviews(caller: Caller) -> Verdict:
    """Anyone in an organisation may ask which reviews they can see (perhaps none)."""
    if caller.operator or caller.is_platform_admin:
        return Verdict(True, "the platform's operator or admin")
    if caller.principal is not None and caller.principal.memberships:
        return Verdict(True, "a member of an organisation")
    return Verdict(False, "only members of an organisation see access reviews")


def can_see_reviews(caller: Caller, agreement: AgreementRecord, organisation: str) -> Verdict:
    """An organisation's admins see its own review; the data owners' data owners, DPOs
    and admins see every review of agreements on their data (read only)."""
    policy = agreement.policy
    if caller.has_role(organisation, Role.ADMIN):
        return Verdict(True, f"an admin of {organisation}")
    for org in policy.data_owners:
        if caller.has_role(org, Role.DATA_OWNER, Role.DPO, Role.ADMIN):
            return Verdict(True, f"a data owner, DPO or admin of {org}")
    if caller.is_platform_admin:
        return Verdict(True, "a platform admin")
    return Verdict(
        False,
        f"only the admins of {organisation!r}, and the data owners, DPOs and admins of "
        f"{', '.join(policy.data_owners)}, see the access review of {organisation!r} under "
        f"agreement {agreement.id}",
    )


def check_confirmation(
    listed: tuple[str, ...], kept: Iterable[str], removed: Iterable[str], note: str
) -> str:
    """Why a recertification is incomplete or wrong, or ``""``: every principal listed
    with access is either kept or removed, once, and nobody else is named."""
    kept_t, removed_t = tuple(kept), tuple(removed)
    if len(note) > MAX_NOTE_CHARS:
        return f"note: at most {MAX_NOTE_CHARS} characters (it has {len(note)})"
    both = sorted(set(kept_t) & set(removed_t))
    if both:
        return "keep and remove both name " + ", ".join(both) + ": choose one for each"
    for name, chosen in (("keep", kept_t), ("remove", removed_t)):
        twice = sorted({p for p in chosen if chosen.count(p) > 1})
        if twice:
            return f"{name} names " + ", ".join(twice) + " more than once"
        unknown = sorted(set(chosen) - set(listed))
        if unknown:
            return (
                f"{name}: "
                + ", ".join(unknown)
                + " do not have access to review (those with access: "
                + (", ".join(listed) or "none")
                + ")"
            )
    missing = sorted(set(listed) - set(kept_t) - set(removed_t))
    if missing:
        return (
            "confirm each principal with access: keep or remove "
            + ", ".join(missing)
            + " (none is kept by saying nothing)"
        )
    return ""


def can_run_review_check(caller: Caller) -> Verdict:
    """The sweep records lapses across every agreement: the operator or a platform admin."""
    if caller.operator:
        return Verdict(True, "local operator")
    if caller.is_platform_admin:
        return Verdict(True, "admin of the platform organisation")
    return Verdict(False, "only the local operator or a platform admin may run the review check")
