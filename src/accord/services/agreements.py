"""Use cases for agreements: show, verify, export, suspend, reinstate, revoke, expire;
the public register; and the governance metrics."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date
from typing import Any

from accord.core.audit import AuditEvent, AuditRecord
from accord.core.governance.decision import DecisionRecord
from accord.core.governance.gateways import gateway as find_gateway
from accord.core.governance.odrl import policy_to_odrl
from accord.core.governance.permissions import (
    can_read_metrics,
    can_steward_agreement,
    can_view_agreement,
)
from accord.core.governance.records import AgreementRecord
from accord.core.governance.workflow import (
    AGREEMENT_TRANSITIONS,
    REQUEST_OWNERS,
    AgreementAction,
    AgreementState,
    RequestState,
    find_transition,
)
from accord.core.permissions import Caller, Verdict, can_read_catalogue
from accord.errors import ValidationError
from accord.keys import KeyStore
from accord.services.decisions import verify_agreement
from accord.services.guard import authorise, may_know_of, refuse
from accord.store import AuditFilter, Store
from accord.store.lifecycle_store import LifecycleStore

__all__ = ["AgreementService", "RegisterEntry", "SharedDomain"]

PLATFORM_TIMER = "platform:timer"

LIFECYCLE_ACTIONS = frozenset(
    {"agreement.activate", *(f"agreement.{action.value}" for action in AgreementAction)}
)
"""The audit actions that change an agreement version: its history is made of these."""


@dataclass(frozen=True, slots=True)
class SharedDomain:
    """A linkage domain an agreement pseudonymises into, and every agreement sharing it:
    datasets given to their recipients there link person by person."""

    domain: str
    owner_agreement: str
    agreements: tuple[str, ...]
    recipients: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RegisterEntry:
    """What a public register of data-sharing agreements publishes about each."""

    agreement: str
    version: int
    state: str
    data_owners: tuple[str, ...]
    recipient: str
    purpose: str
    legal_power: str
    lawful_basis: str
    valid_from: str
    valid_to: str
    expected_benefits: str
    tier: int
    linkage_domains: tuple[SharedDomain, ...] = ()
    """The linkage domains it pseudonymises into, with the agreements sharing each."""


def decision_from_json(text: str) -> DecisionRecord:
    return DecisionRecord.from_json(text)


class AgreementService:
    def __init__(self, store: Store, keys: KeyStore) -> None:
        self.store = store
        self.keys = keys

    def get(self, agreement_id: str, version: int | None = None) -> AgreementRecord:
        self.expire_due()
        return self.store.get_agreement(agreement_id, version)

    def show(
        self, caller: Caller, agreement_id: str, version: int | None = None
    ) -> AgreementRecord:
        """An agreement for its parties and platform auditors; the access is audited."""
        record = self.get(agreement_id, version)
        authorise(
            self.store,
            caller,
            can_view_agreement(caller, (*record.policy.data_owners, record.policy.recipient)),
            action="agreement.show",
            obj=f"agreement:{record.id}:v{record.version}",
            organisation=record.policy.recipient,
        )
        return record

    def list_for(self, caller: Caller) -> list[AgreementRecord]:
        """The latest version of each agreement the caller's organisations are party to
        (of every agreement, for platform auditors), newest first."""
        authorise(
            self.store,
            caller,
            can_read_catalogue(caller),
            action="agreement.list",
            obj="agreements",
        )
        self.expire_due()
        latest: dict[str, AgreementRecord] = {}
        for agreement in self.store.list_agreements():
            if agreement.id not in latest or agreement.version > latest[agreement.id].version:
                latest[agreement.id] = agreement
        visible = [
            a
            for a in latest.values()
            if can_view_agreement(caller, (*a.policy.data_owners, a.policy.recipient)).allowed
        ]
        return sorted(visible, key=lambda a: (a.created_at, a.id), reverse=True)

    def versions(self, caller: Caller, agreement_id: str) -> list[AgreementRecord]:
        """Every version of an agreement, oldest first, for those who may see it."""
        self.show(caller, agreement_id)
        return self.store.agreement_versions(agreement_id)

    def history(self, caller: Caller, agreement_id: str) -> list[AuditRecord]:
        """What happened to each version, oldest first: made, suspended, reinstated,
        revoked, expired or superseded, with who did it, when and why (from the audit
        log, where each change was written in the same transaction as the change)."""
        events = []
        for version in self.versions(caller, agreement_id):
            events += self.store.audit_events(
                AuditFilter(
                    object=f"agreement:{agreement_id}:v{version.version}",
                    decision="allow",
                    newest_first=False,
                    limit=1000,
                )
            )
        return sorted((e for e in events if e.action in LIFECYCLE_ACTIONS), key=lambda e: e.seq)

    def verify(self, agreement: AgreementRecord) -> bool:
        """The decision record names this exact policy and every data owner's signature
        over it verifies."""
        return verify_agreement(self.keys, agreement).valid

    def export_odrl(self, agreement_id: str, version: int | None = None) -> dict[str, Any]:
        return policy_to_odrl(self.get(agreement_id, version).policy)

    def _steward(
        self, caller: Caller, agreement_id: str, action: AgreementAction, reason: str
    ) -> AgreementRecord:
        if not reason.strip():
            raise ValidationError(f"say why the agreement is to {action.value} (--reason)")
        current = self.get(agreement_id)
        obj = f"agreement:{current.id}:v{current.version}"
        # Who may know of it comes before what its state allows: a stranger told "cannot
        # revoke from state revoked" would learn that the agreement exists, and its state.
        if not caller.operator and not may_know_of(self.store, caller, obj):
            raise refuse(
                self.store,
                caller,
                f"agreement.{action.value}",
                obj,
                current.policy.recipient,
                "not a party to the agreement",
            )
        transition = find_transition(AGREEMENT_TRANSITIONS, current.state, action)
        event = authorise(
            self.store,
            caller,
            can_steward_agreement(caller, current.policy.data_owners, transition),
            action=f"agreement.{action.value}",
            obj=f"agreement:{current.id}:v{current.version}",
            organisation=current.policy.recipient,
            note=reason,
            **{"from": current.state.value, "to": transition.target},
        )
        return self.store.set_agreement_state(
            current, AgreementState(transition.target), audit=event
        )

    def suspend(self, caller: Caller, agreement_id: str, reason: str) -> AgreementRecord:
        return self._steward(caller, agreement_id, AgreementAction.SUSPEND, reason)

    def reinstate(self, caller: Caller, agreement_id: str, reason: str) -> AgreementRecord:
        return self._steward(caller, agreement_id, AgreementAction.REINSTATE, reason)

    def revoke(self, caller: Caller, agreement_id: str, reason: str) -> AgreementRecord:
        return self._steward(caller, agreement_id, AgreementAction.REVOKE, reason)

    def expire_due(self, today: date | None = None) -> list[AgreementRecord]:
        """Move agreements past their end date to ``expired``: the platform's own transition."""
        today = today or self.store.clock().date()
        expired = []
        for state in (AgreementState.ACTIVE, AgreementState.SUSPENDED):
            for agreement in self.store.list_agreements(state=state):
                if agreement.policy.valid_to < today:
                    find_transition(AGREEMENT_TRANSITIONS, agreement.state, AgreementAction.EXPIRE)
                    event = AuditEvent(
                        actor=PLATFORM_TIMER,
                        action="agreement.expire",
                        object=f"agreement:{agreement.id}:v{agreement.version}",
                        organisation=agreement.policy.recipient,
                        reason=f"valid to {agreement.policy.valid_to.isoformat()}",
                    )
                    expired.append(
                        self.store.set_agreement_state(
                            agreement, AgreementState.EXPIRED, audit=event
                        )
                    )
        return expired

    def register(self) -> list[RegisterEntry]:
        """The public register: every agreement's current version, without any data."""
        self.expire_due()
        entries = []
        domains = self.shared_domains()
        for agreement in self.store.list_agreements():
            if agreement.state is AgreementState.SUPERSEDED:
                continue
            policy = agreement.policy
            gw = find_gateway(policy.gateway) if policy.gateway else None
            entries.append(
                RegisterEntry(
                    agreement=agreement.id,
                    version=agreement.version,
                    state=agreement.state.value,
                    data_owners=policy.data_owners,
                    recipient=policy.recipient,
                    purpose=policy.purpose,
                    legal_power=gw.title if gw else (policy.gateway or "not required (tier 1-3)"),
                    lawful_basis=policy.lawful_basis.value if policy.lawful_basis else "",
                    valid_from=policy.valid_from.isoformat(),
                    valid_to=policy.valid_to.isoformat(),
                    expected_benefits=policy.public_benefit,
                    tier=policy.tier,
                    linkage_domains=domains.get(agreement.id, ()),
                )
            )
        return entries

    def shared_domains(self) -> dict[str, tuple[SharedDomain, ...]]:
        """By agreement id: each linkage domain the agreement is in, with who shares it."""
        by_agreement: dict[str, list[SharedDomain]] = {}
        for ownership in self.store.linkage_domains().values():
            shared = SharedDomain(
                ownership.domain,
                ownership.owner.agreement,
                ownership.agreements,
                tuple(dict.fromkeys(m.recipient for m in ownership.members)),
            )
            for agreement in ownership.agreements:
                by_agreement.setdefault(agreement, []).append(shared)
        return {k: tuple(v) for k, v in by_agreement.items()}

    def metrics_for(self, caller: Caller) -> dict[str, Any]:
        authorise(
            self.store,
            caller,
            can_read_metrics(caller),
            action="governance.metrics",
            obj="requests",
        )
        return self.metrics()

    def metrics(self) -> dict[str, Any]:
        """Time from submission to decision, and the open queue by state and owning role."""
        requests = self.store.list_requests()
        hours = [
            (r.decided_at - r.submitted_at).total_seconds() / 3600
            for r in requests
            if r.decided_at is not None and r.submitted_at is not None
        ]
        queue: dict[str, dict[str, Any]] = {}
        for state in RequestState:
            owners = REQUEST_OWNERS[state]
            if not owners:
                continue
            count = sum(1 for r in requests if r.state is state)
            queue[state.value] = {"count": count, "owner_roles": sorted(r.value for r in owners)}
        decided = {s.value: sum(1 for r in requests if r.state is s) for s in RequestState}
        return {
            "requests": len(requests),
            "by_state": decided,
            "decided": len(hours),
            "hours_to_decision": {
                "median": round(statistics.median(hours), 2) if hours else None,
                "mean": round(statistics.fmean(hours), 2) if hours else None,
                "max": round(max(hours), 2) if hours else None,
            },
            "open_queue": queue,
            # Copies marked for destruction whose holder has not certified it in time.
            "destruction_overdue": len(
                LifecycleStore(self.store).overdue_items(self.store.clock())
            ),
        }

    @staticmethod
    def verdict_for(agreement: AgreementRecord) -> Verdict:
        if agreement.state is AgreementState.ACTIVE:
            return Verdict(True, "active")
        return Verdict(False, f"agreement {agreement.id} is {agreement.state.value}")
