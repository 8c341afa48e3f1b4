"""A DPO's dashboard: how fast an organisation decides, what waits on whom, and what
is about to lapse (agreements, security assurances, certificates of destruction).

The figures are about one organisation: the requests it made or was asked for, the
agreements it is party to, and the copies of its data held elsewhere. The platform-wide
numbers stay in :meth:`AgreementService.metrics`; this reads the same store the same
way, scoped, so a DPO sees their own organisation's governance and nobody else's.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from accord.core.governance.permissions import (
    can_read_dashboard,
    outstanding_seats,
    required_seats,
)
from accord.core.governance.records import AgreementRecord, RequestRecord
from accord.core.governance.workflow import (
    AgreementState,
    RequestAction,
    RequestState,
    required_roles,
)
from accord.core.identity import Assurance, Role
from accord.core.lifecycle.deletion import RetentionItem
from accord.core.permissions import Caller
from accord.errors import NotFoundError, ValidationError
from accord.services.guard import authorise
from accord.store import Store
from accord.store.lifecycle_store import LifecycleStore

__all__ = [
    "EXPIRY_WINDOWS",
    "OPEN_STATES",
    "PERIODS",
    "AssuranceDue",
    "Dashboard",
    "DashboardService",
    "DecisionTimes",
    "Expiring",
    "QueueLine",
    "percentile",
]

PERIODS = (30, 90, 365)
"""The periods, in days, over which the time to decision may be measured."""
EXPIRY_WINDOWS = (30, 60, 90)
"""Agreements and assurances ending within these many days are shown."""
OPEN_STATES = (RequestState.SUBMITTED, RequestState.IN_REVIEW, RequestState.CHANGES_REQUESTED)
"""Requests in the governance process: submitted and not yet decided or withdrawn."""


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The ``fraction`` quantile by linear interpolation between closest ranks (the
    spreadsheet PERCENTILE.INC), so that a DPO can check it by hand; None for none."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True, slots=True)
class DecisionTimes:
    """Days from submission to decision of the requests decided in the period."""

    period_days: int
    decided: int
    median_days: float | None
    p90_days: float | None


@dataclass(frozen=True, slots=True)
class QueueLine:
    """Open requests in one state, and which of the organisation's roles they wait on."""

    state: RequestState
    count: int
    waiting_on: dict[Role, int]


@dataclass(frozen=True, slots=True)
class Expiring:
    agreement: AgreementRecord
    counterparty: str
    days_left: int


@dataclass(frozen=True, slots=True)
class AssuranceDue:
    organisation_id: str
    organisation_name: str
    assurance: Assurance
    days_left: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    organisation_id: str
    today: date
    decisions: DecisionTimes
    queue: tuple[QueueLine, ...]
    expiring: tuple[Expiring, ...]
    assurances: tuple[AssuranceDue, ...]
    overdue: tuple[RetentionItem, ...]

    def expiring_within(self, days: int) -> int:
        return sum(1 for e in self.expiring if e.days_left <= days)


def _concerns(request: RequestRecord, organisation_id: str) -> bool:
    document = request.document
    return (
        document.requesting_organisation == organisation_id
        or organisation_id in document.owner_organisations()
    )


class DashboardService:
    def __init__(self, store: Store) -> None:
        self.store = store

    def for_organisation(
        self, caller: Caller, organisation_id: str, *, period_days: int = 90
    ) -> Dashboard:
        if period_days not in PERIODS:
            raise ValidationError(
                f"period must be one of {', '.join(map(str, PERIODS))} days, not {period_days}"
            )
        authorise(
            self.store,
            caller,
            can_read_dashboard(caller, organisation_id),
            action="dashboard.show",
            obj=f"organisation:{organisation_id}",
            organisation=organisation_id,
        )
        self.store.get_organisation(organisation_id)
        now = self.store.clock()
        today = now.date()
        requests = [r for r in self.store.list_requests() if _concerns(r, organisation_id)]
        agreements = self.store.list_agreements(state=AgreementState.ACTIVE)
        ours = [
            a
            for a in agreements
            if a.policy.recipient == organisation_id or organisation_id in a.policy.data_owners
        ]
        return Dashboard(
            organisation_id=organisation_id,
            today=today,
            decisions=self._decisions(requests, now, period_days),
            queue=self._queue(requests, organisation_id),
            expiring=self._expiring(ours, organisation_id, today),
            assurances=self._assurances(ours, organisation_id, today),
            overdue=self._overdue(organisation_id, now),
        )

    @staticmethod
    def _decisions(
        requests: Sequence[RequestRecord], now: datetime, period_days: int
    ) -> DecisionTimes:
        since = now - timedelta(days=period_days)
        days = [
            (r.decided_at - r.submitted_at).total_seconds() / 86_400
            for r in requests
            if r.decided_at is not None and r.submitted_at is not None and r.decided_at >= since
        ]
        return DecisionTimes(
            period_days,
            len(days),
            statistics.median(days) if days else None,
            percentile(days, 0.9),
        )

    def _queue(
        self, requests: Sequence[RequestRecord], organisation_id: str
    ) -> tuple[QueueLine, ...]:
        lines = []
        for state in OPEN_STATES:
            in_state = [r for r in requests if r.state is state]
            waiting: dict[Role, int] = {}
            for request in in_state:
                for role in self._waiting_on(request, organisation_id):
                    waiting[role] = waiting.get(role, 0) + 1
            lines.append(QueueLine(state, len(in_state), waiting))
        return tuple(lines)

    def _waiting_on(self, request: RequestRecord, organisation_id: str) -> tuple[Role, ...]:
        """The organisation's roles a request waits on: its requester to submit or revise,
        its data owner to start a review, its approvers not yet heard from."""
        document = request.document
        if request.state is RequestState.CHANGES_REQUESTED:
            mine = document.requesting_organisation == organisation_id
            return (Role.REQUESTER,) if mine else ()
        if organisation_id not in document.owner_organisations():
            return ()
        if request.state is RequestState.SUBMITTED:
            return (Role.DATA_OWNER,)
        approvals = [
            r
            for r in self.store.list_reviews(request.id, request.revision)
            if r.action == RequestAction.APPROVE.value
        ]
        seats = required_seats((organisation_id,), required_roles(request.tier or 1))
        return tuple(role for _, role in outstanding_seats(seats, approvals))

    @staticmethod
    def _expiring(
        agreements: Sequence[AgreementRecord], organisation_id: str, today: date
    ) -> tuple[Expiring, ...]:
        horizon = today + timedelta(days=max(EXPIRY_WINDOWS))
        found = []
        for agreement in agreements:
            ends = agreement.policy.valid_to
            if today <= ends <= horizon:
                policy = agreement.policy
                other = (
                    ", ".join(policy.data_owners)
                    if policy.recipient == organisation_id
                    else policy.recipient
                )
                found.append(Expiring(agreement, other, (ends - today).days))
        return tuple(sorted(found, key=lambda e: (e.days_left, e.agreement.id)))

    def _assurances(
        self, agreements: Sequence[AgreementRecord], organisation_id: str, today: date
    ) -> tuple[AssuranceDue, ...]:
        """Its own assurances, and those of every recipient of its data: a recipient's
        lapsed assurance stops extracts under its agreements."""
        horizon = today + timedelta(days=max(EXPIRY_WINDOWS))
        organisations = {organisation_id} | {
            a.policy.recipient for a in agreements if organisation_id in a.policy.data_owners
        }
        due = []
        for org_id in sorted(organisations):
            try:
                organisation = self.store.get_organisation(org_id)
            except NotFoundError:
                continue
            for assurance in organisation.assurances:
                if assurance.expires_on <= horizon:
                    due.append(
                        AssuranceDue(
                            org_id,
                            organisation.name,
                            assurance,
                            (assurance.expires_on - today).days,
                        )
                    )
        return tuple(sorted(due, key=lambda d: (d.days_left, d.organisation_id)))

    def _overdue(self, organisation_id: str, now: datetime) -> tuple[RetentionItem, ...]:
        """Copies marked for destruction and not certified in time, held by the
        organisation or holding its data."""
        items = LifecycleStore(self.store).overdue_items(now)
        owners: dict[str, tuple[str, ...]] = {}
        found = []
        for item in items:
            if item.agreement_id not in owners:
                try:
                    agreement = self.store.get_agreement(item.agreement_id)
                    owners[item.agreement_id] = agreement.policy.data_owners
                except NotFoundError:
                    owners[item.agreement_id] = ()
            if item.holder == organisation_id or organisation_id in owners[item.agreement_id]:
                found.append(item)
        return tuple(found)
