"""Access reviews: recertify who has access, suspend access when a review lapses.

The release path asks :func:`standing_of` for the recipient's standing under an
agreement and decides with it (:func:`accord.core.plan.authorise.can_use`), so a lapsed
review refuses every channel the moment its date passes, whether or not :meth:`check`
has run. :meth:`ReviewService.check` (``accord reviews check``, run daily) records each
lapse once, telling the data owners and the organisation, and queues a reminder once per
period in the week before a review is due. :meth:`ReviewService.recertify` is the
organisation admin's confirmation of each principal with access, kept or removed: it
restores access at once, and revokes the removed principals' share tokens for the
agreement.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from accord.core.audit import AuditEvent
from accord.core.governance.records import AgreementRecord
from accord.core.governance.workflow import AgreementState
from accord.core.lifecycle.notices import Notice, NoticeKind
from accord.core.lifecycle.reviews import (
    AccessStanding,
    Recertification,
    ReviewStatus,
    can_list_reviews,
    can_recertify,
    can_run_review_check,
    can_see_reviews,
    check_confirmation,
    organisations_under_review,
    principals_with_access,
    standing,
)
from accord.core.permissions import Caller
from accord.errors import NotFoundError, ValidationError
from accord.services.guard import authorise, refuse
from accord.services.outbox import new_notice
from accord.store import Store
from accord.store.reviews_store import ReviewsStore

if TYPE_CHECKING:
    from accord.services.app import Accord

__all__ = [
    "CheckReport",
    "ReviewService",
    "ReviewView",
    "processor_standing",
    "standing_of",
    "with_access",
]

MAX_PRINCIPALS = 500
"""At most this many principals are named in one recertification."""


def standing_of(
    store: Store, agreement: AgreementRecord, organisation: str | None = None
) -> AccessStanding:
    """The organisation's (default: the recipient's) access-review standing: a fact for
    the release path. An agreement that requires no reviews needs no look-up."""
    organisation = organisation or agreement.policy.recipient
    last = None
    if agreement.policy.access_review_days is not None:
        last = ReviewsStore(store).last_recertification(agreement.id, organisation)
    return standing(agreement, organisation, last)


def with_access(store: Store, agreement: AgreementRecord, organisation: str) -> tuple[str, ...]:
    """Principals of ``organisation`` with access under the agreement: a use role there,
    or a live share token for it."""
    now = store.clock()
    holders = [
        t.principal_id
        for t in store.list_share_tokens(agreement_id=agreement.id)
        if t.revoked_at is None and now < t.expires_at
    ]
    return principals_with_access(organisation, store.list_principals(), holders)


def processor_standing(
    store: Store, agreement: AgreementRecord, processor: str | None
) -> AccessStanding | None:
    """The standing of a declared processor that is under review (a processor named in
    the agreement, other than the recipient, with principals who have access), else None."""
    policy = agreement.policy
    if (
        processor is None
        or policy.access_review_days is None
        or processor == policy.recipient
        or processor not in policy.processors
        or not with_access(store, agreement, processor)
    ):
        return None
    return standing_of(store, agreement, processor)


@dataclass(frozen=True)
class ReviewView:
    """One organisation's review under one agreement, as the CLI, API and pages show it."""

    agreement_id: str
    title: str
    organisation: str
    data_owners: tuple[str, ...]
    every_days: int | None
    status: ReviewStatus
    due_on: date | None
    lapses_on: date | None
    with_access: tuple[str, ...]
    removed: tuple[str, ...]
    history: tuple[Recertification, ...] = ()
    may_recertify: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "agreement": self.agreement_id,
            "title": self.title,
            "organisation": self.organisation,
            "data_owners": list(self.data_owners),
            "every_days": self.every_days,
            "status": self.status.value,
            "due_on": self.due_on.isoformat() if self.due_on else None,
            "lapses_on": self.lapses_on.isoformat() if self.lapses_on else None,
            "with_access": list(self.with_access),
            "removed": list(self.removed),
            "may_recertify": self.may_recertify,
            "history": [
                {
                    "id": r.id,
                    "on": r.on.isoformat(),
                    "by": r.by,
                    "kept": list(r.kept),
                    "removed": list(r.removed),
                    "note": r.note,
                }
                for r in self.history
            ],
        }


@dataclass
class CheckReport:
    """What one sweep found and recorded."""

    reviewed: int = 0
    lapsed: list[str] = field(default_factory=list)
    """``agreement/organisation`` whose lapse this run recorded."""
    reminded: list[str] = field(default_factory=list)
    still_lapsed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "reviewed": self.reviewed,
            "lapsed": self.lapsed,
            "reminded": self.reminded,
            "still_lapsed": self.still_lapsed,
        }


class ReviewService:
    def __init__(self, store: Store, platform_org: str) -> None:
        self.store = store
        self.platform_org = platform_org
        self.repository = ReviewsStore(store)

    @classmethod
    def of(cls, app: Accord) -> ReviewService:
        return cls(app.store, app.platform_org)

    # -- looking ---------------------------------------------------------------------

    def _agreement(self, caller: Caller, agreement_id: str, action: str) -> AgreementRecord:
        """The agreement, or a recorded refusal: not found for a non-party (and for a
        missing one), the reason for a party without the role."""
        try:
            agreement = self.store.get_agreement(agreement_id)
        except NotFoundError:
            raise refuse(
                self.store, caller, action, f"agreement:{agreement_id}", "", "no such agreement"
            ) from None
        return agreement

    def with_access(self, agreement: AgreementRecord, organisation: str) -> tuple[str, ...]:
        """Principals of ``organisation`` with access under the agreement."""
        return with_access(self.store, agreement, organisation)

    def _organisations(self, agreement: AgreementRecord) -> tuple[str, ...]:
        policy = agreement.policy
        access = {o: self.with_access(agreement, o) for o in policy.processors}
        return organisations_under_review(agreement, access)

    def _view(
        self, agreement: AgreementRecord, organisation: str, caller: Caller | None, today: date
    ) -> ReviewView:
        facts = standing_of(self.store, agreement, organisation)
        history = tuple(self.repository.recertifications(agreement.id, organisation, limit=20))
        return ReviewView(
            agreement_id=agreement.id,
            title=agreement.policy.title,
            organisation=organisation,
            data_owners=agreement.policy.data_owners,
            every_days=facts.every_days,
            status=facts.status(today),
            due_on=facts.due_on,
            lapses_on=facts.lapses_on,
            with_access=self.with_access(agreement, organisation),
            removed=tuple(sorted(facts.removed)),
            history=history,
            may_recertify=caller is not None
            and bool(can_recertify(caller, agreement, organisation)),
        )

    def review(self, caller: Caller, agreement_id: str, organisation: str) -> ReviewView:
        """One organisation's review under one agreement (its admin, the data owners)."""
        action = "access_review.show"
        agreement = self._agreement(caller, agreement_id, action)
        obj = f"agreement:{agreement.id}"
        authorise(
            self.store,
            caller,
            can_see_reviews(caller, agreement, organisation),
            action=action,
            obj=obj,
            organisation=organisation,
        )
        if organisation not in self._organisations(agreement):
            raise ValidationError(
                f"organisation: {organisation!r} is not under access review for agreement "
                f"{agreement.id} (under review: "
                + (", ".join(self._organisations(agreement)) or "none")
                + ")"
            )
        return self._view(agreement, organisation, caller, self.store.clock().date())

    def reviews(self, caller: Caller, organisation: str | None = None) -> list[ReviewView]:
        """Every review the caller may see: of the agreements their organisations
        receive or process (admins), and of the agreements on their data (data owners,
        DPOs, admins); narrowed to one organisation under review with ``organisation``."""
        authorise(
            self.store,
            caller,
            can_list_reviews(caller),
            action="access_review.show",
            obj="access_review:list",
        )
        today = self.store.clock().date()
        found: list[ReviewView] = []
        for agreement in self.store.list_agreements(state=AgreementState.ACTIVE):
            if agreement.policy.access_review_days is None:
                continue
            for org in self._organisations(agreement):
                if organisation not in (None, org):
                    continue
                if can_see_reviews(caller, agreement, org):
                    found.append(self._view(agreement, org, caller, today))
        return found

    # -- recertifying ----------------------------------------------------------------

    def recertify(
        self,
        caller: Caller,
        agreement_id: str,
        organisation: str,
        *,
        keep: Sequence[str],
        remove: Sequence[str] = (),
        note: str = "",
    ) -> ReviewView:
        """The admin's confirmation of each principal with access: restores access at
        once; the removed are refused under the agreement and their share tokens revoked."""
        action = "access_review.recertify"
        agreement = self._agreement(caller, agreement_id, action)
        obj = f"agreement:{agreement.id}"
        allowed = authorise(
            self.store,
            caller,
            can_recertify(caller, agreement, organisation),
            action=action,
            obj=obj,
            organisation=organisation,
        )
        if len(keep) + len(remove) > MAX_PRINCIPALS:
            raise ValidationError(
                f"keep and remove: at most {MAX_PRINCIPALS} principals in one recertification"
            )
        listed = self.with_access(agreement, organisation)
        problem = check_confirmation(listed, keep, remove, note)
        if problem:
            raise ValidationError(problem)
        today = self.store.clock().date()
        before = standing_of(self.store, agreement, organisation)
        was = before.status(today)
        recertification = Recertification(
            id=f"rcf-{secrets.token_hex(6)}",
            agreement_id=agreement.id,
            organisation=organisation,
            by=caller.principal.id if caller.principal else caller.actor,
            on=today,
            kept=tuple(sorted(keep)),
            removed=tuple(sorted(remove)),
            note=note,
        )
        tokens = [
            t.id
            for t in self.store.list_share_tokens(agreement_id=agreement.id)
            if t.principal_id in set(remove) and t.revoked_at is None
        ]
        events = [
            AuditEvent(
                actor=allowed.actor,
                action=action,
                object=obj,
                organisation=organisation,
                reason=allowed.reason,
                details={
                    **allowed.details,
                    "recertification": recertification.id,
                    "kept": list(recertification.kept),
                    "removed": list(recertification.removed),
                    "share_tokens_revoked": tokens,
                    "next_due": (today + _days(before)).isoformat(),
                },
            )
        ]
        notices: list[Notice] = []
        lapsed_due = before.due_on if was is ReviewStatus.LAPSED else None
        if lapsed_due is not None:
            if not self.repository.review_events(agreement.id, organisation, "lapsed"):
                # No sweep recorded the lapse: it is recorded (and told) now, with its end.
                events.append(self._lapse_event(agreement, before))
                notices += self._lapse_notices(agreement, before)
            events.append(
                AuditEvent(
                    actor=allowed.actor,
                    action="access_review.restore",
                    object=obj,
                    organisation=organisation,
                    reason=f"access of {organisation} under agreement {agreement.id} restored "
                    f"by recertification {recertification.id}; it had lapsed on "
                    f"{before.lapses_on}",
                    details={"recertification": recertification.id},
                )
            )
            notices += self._told(
                agreement,
                organisation,
                NoticeKind.ACCESS_RESTORED,
                f"Access restored: agreement {agreement.id}",
                f"{organisation} recertified who has access under agreement {agreement.id} on "
                f"{today}; its access, suspended since {before.lapses_on}, is restored. The "
                f"next review is due on {today + _days(before)}.",
            )
        self.repository.recertify(
            recertification,
            lapsed_due=lapsed_due,
            revoke_tokens=tokens,
            notices=notices,
            audit=events,
        )
        return self._view(agreement, organisation, caller, today)

    # -- the sweep -------------------------------------------------------------------

    def check(self, caller: Caller, *, today: date | None = None) -> CheckReport:
        """Record each lapse once and queue each period's reminder once; safe to rerun."""
        authorise(
            self.store,
            caller,
            can_run_review_check(caller),
            action="access_review.check",
            obj="access_review:check",
            organisation=self.platform_org,
        )
        today = today or self.store.clock().date()
        report = CheckReport()
        for agreement in self.store.list_agreements(state=AgreementState.ACTIVE):
            if agreement.policy.access_review_days is None:
                continue
            for org in self._organisations(agreement):
                report.reviewed += 1
                facts = standing_of(self.store, agreement, org)
                status = facts.status(today)
                due = facts.due_on
                assert due is not None
                if status is ReviewStatus.LAPSED:
                    if self._record_lapse(agreement, facts):
                        report.lapsed.append(f"{agreement.id}/{org}")
                    else:
                        report.still_lapsed += 1
                elif status is ReviewStatus.DUE_SOON and self._remind(agreement, facts):
                    report.reminded.append(f"{agreement.id}/{org}")
        return report

    def _lapse_event(self, agreement: AgreementRecord, facts: AccessStanding) -> AuditEvent:
        return AuditEvent(
            actor="accord:access-review",
            action="access_review.lapse",
            object=f"agreement:{agreement.id}",
            organisation=facts.organisation,
            reason=f"the access review of {facts.organisation} under agreement {agreement.id} "
            f"was due on {facts.due_on} and was not recertified: its access is suspended "
            f"from {facts.lapses_on}",
            details={"due_on": str(facts.due_on), "lapsed_on": str(facts.lapses_on)},
        )

    def _record_lapse(self, agreement: AgreementRecord, facts: AccessStanding) -> bool:
        due = facts.due_on
        assert due is not None
        return self.repository.record_event(
            agreement.id,
            facts.organisation,
            "lapsed",
            due,
            notices=self._lapse_notices(agreement, facts),
            audit=self._lapse_event(agreement, facts),
        )

    def _lapse_notices(self, agreement: AgreementRecord, facts: AccessStanding) -> list[Notice]:
        return self._told(
            agreement,
            facts.organisation,
            NoticeKind.ACCESS_REVIEW_LAPSED,
            f"Access review lapsed: agreement {agreement.id}",
            f"The access review of {facts.organisation} under agreement {agreement.id} was due "
            f"on {facts.due_on} and has not been recertified. Its access to the data is "
            f"suspended from {facts.lapses_on} until an admin of {facts.organisation} "
            "recertifies who has access.",
        )

    def _remind(self, agreement: AgreementRecord, facts: AccessStanding) -> bool:
        due = facts.due_on
        assert due is not None
        notice = new_notice(
            facts.organisation,
            NoticeKind.ACCESS_REVIEW_DUE,
            f"Access review due by {due}: agreement {agreement.id}",
            f"An admin of {facts.organisation} must recertify who has access under agreement "
            f"{agreement.id} by {due}, or access is suspended from {facts.lapses_on}.",
            f"agreement:{agreement.id}",
        )
        return self.repository.record_event(
            agreement.id,
            facts.organisation,
            "reminded",
            due,
            notices=[notice],
            audit=AuditEvent(
                actor="accord:access-review",
                action="access_review.remind",
                object=f"agreement:{agreement.id}",
                organisation=facts.organisation,
                reason=f"the access review of {facts.organisation} under agreement "
                f"{agreement.id} is due on {due}",
                details={"due_on": str(due)},
            ),
        )

    @staticmethod
    def _told(
        agreement: AgreementRecord, organisation: str, kind: NoticeKind, subject: str, body: str
    ) -> list[Notice]:
        """The organisation under review and each data owner, told the same."""
        told = dict.fromkeys((organisation, *agreement.policy.data_owners))
        return [new_notice(o, kind, subject, body, f"agreement:{agreement.id}") for o in told]


def _days(facts: AccessStanding) -> timedelta:
    return timedelta(days=facts.every_days or 0)
