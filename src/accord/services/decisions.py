"""Decision records: filled in from a request, its stored assessment and its reviews;
signed by every organisation that decided, each with its own key; verified only when
every one of those signatures is.

The one place that knows where an organisation's decision-signing key lives, so that
the request service (which signs) and the agreement service, CLI and API (which
verify) agree.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from accord.core.audit import AuditEvent, Decision
from accord.core.governance.agreement import AgreementPolicy
from accord.core.governance.decision import (
    ApprovalEntry,
    DecisionOutcome,
    DecisionRecord,
    SignatureCheck,
    considerations_entries,
    sign_record,
    verify_signatures,
)
from accord.core.governance.gateways import gateway as find_gateway
from accord.core.governance.permissions import can_view_request
from accord.core.governance.records import (
    AgreementRecord,
    DecisionEntry,
    Override,
    RequestRecord,
    Review,
)
from accord.core.governance.request import Channel, SharingRequest
from accord.core.governance.stored import StoredAssessment
from accord.core.permissions import Caller, can_read_catalogue
from accord.errors import ConfigurationError, NotFoundError
from accord.keys import KeyStore
from accord.services.guard import authorise
from accord.store import Store
from accord.store.governance_store import missing_decision

__all__ = [
    "DecisionService",
    "approval_conditions",
    "decision_record",
    "org_signing_key_name",
    "per_record_answers",
    "sign_decision",
    "verify_agreement",
    "verify_decision",
]


def org_signing_key_name(org_id: str) -> str:
    return f"org-{org_id}-signing"


def _public_keys(keys: KeyStore) -> Callable[[str], Ed25519PublicKey | None]:
    def public_key_for(org: str) -> Ed25519PublicKey | None:
        try:
            return keys.public_key(org_signing_key_name(org))
        except ConfigurationError:
            return None

    return public_key_for


def verify_decision(keys: KeyStore, decision: DecisionEntry) -> SignatureCheck:
    """A decision record verifies when every organisation that decided signed it."""
    return verify_signatures(decision.record_json, decision.signatures, _public_keys(keys))


def verify_agreement(keys: KeyStore, agreement: AgreementRecord) -> SignatureCheck:
    """An agreement's decision record names this exact policy, was decided by every data
    owner, and carries every owner's valid signature."""
    check = verify_signatures(agreement.decision_record, agreement.signatures, _public_keys(keys))
    if not check.valid:
        return check
    record = DecisionRecord.from_json(agreement.decision_record)
    if record.policy_sha256 != agreement.policy.sha256():
        return SignatureCheck(False, ("the decision record names a different policy",))
    missing = sorted(set(agreement.policy.data_owners) - set(record.decided_by))
    if missing:
        return SignatureCheck(False, (f"not decided by data owner(s) {', '.join(missing)}",))
    return check


def approval_conditions(
    overrides: Iterable[Override], approvals: Iterable[Review]
) -> tuple[str, ...]:
    """The conditions a share is approved on: each overridden finding with its reason,
    each approver's own conditions, and each owner's charge."""
    given = list(approvals)
    conditions = (
        *(
            f"{o.finding} accepted by {o.principal_id}"
            + (f" ({o.role or 'legal'} of {o.organisation_id})" if o.organisation_id else "")
            + f": {o.reason}"
            for o in overrides
        ),
        *(c for a in given for c in a.conditions),
        *(a.charge.label() for a in given if a.charge is not None),
    )
    return tuple(dict.fromkeys(conditions))


def per_record_answers(document: SharingRequest) -> bool:
    """Whether eligibility checks may answer per record: only under a gateway allowing it."""
    gw = find_gateway(document.gateway) if document.gateway else None
    return (
        gw is not None
        and gw.per_record
        and document.purpose_category in gw.purposes
        and Channel.ELIGIBILITY_CHECK in document.channels
    )


def sign_decision(keys: KeyStore, record: DecisionRecord, now: datetime) -> DecisionEntry:
    """The record signed by each organisation that decided, with its own key."""
    signatures = tuple(
        sign_record(record, keys.signing_key(org_signing_key_name(org), create=True), org)
        for org in record.decided_by
    )
    return DecisionEntry(
        id=record.decision_id,
        request_id=record.request_id,
        revision=record.request_revision,
        outcome=record.decision,
        record_json=record.canonical().decode(),
        signatures=signatures,
        decided_at=now,
        agreement_id=record.agreement_id,
        agreement_version=record.agreement_version,
    )


def decision_record(
    request: RequestRecord,
    stored: StoredAssessment,
    *,
    outcome: DecisionOutcome,
    decided_by: tuple[str, ...],
    reasons: str,
    reviews: list[Review],
    overridden: tuple[str, ...],
    conditions: tuple[str, ...],
    policy: AgreementPolicy | None,
    now: datetime,
) -> DecisionRecord:
    """The ICO decision form, filled in from the request, its stored assessment and
    the reviews; the same for every outcome."""
    document = request.document
    gw = find_gateway(document.gateway) if document.gateway else None
    warnings = [f["reason"] for f in stored.findings if f["severity"] == "warn"]
    return DecisionRecord(
        decision_id="dec-" + secrets.token_hex(4),
        request_id=request.id,
        request_revision=request.revision,
        request_title=document.title,
        requesting_organisation=document.requesting_organisation,
        data_owners=document.owner_organisations(),
        decision=outcome,
        decided_by=decided_by,
        decided_at=now.isoformat(),
        reasons=reasons + (f"; noted: {'; '.join(warnings)}" if warnings else ""),
        purpose=document.purpose,
        lawful_basis=document.lawful_basis.value if document.lawful_basis else "",
        legal_power=gw.title if gw else document.gateway,
        data_items=tuple(
            f"{d.dataset}.{f.name}:{f.transform.label()}"
            for d in document.datasets
            for f in d.fields
        ),
        tier=stored.tier,
        dpia_reference=document.dpia.reference,
        considerations=considerations_entries(document),
        conditions=conditions,
        overridden_findings=overridden,
        approvals=tuple(
            ApprovalEntry(
                a.principal_id,
                a.organisation_id,
                a.role,
                a.at.isoformat(),
                a.note,
                a.conditions,
            )
            for a in reviews
        ),
        charges=tuple(a.charge for a in reviews if a.charge is not None),
        review_date=document.end_date.isoformat(),
        assessment_sha256=stored.sha256,
        agreement_id=policy.id if policy else "",
        agreement_version=policy.version if policy else 0,
        policy_sha256=policy.sha256() if policy else "",
    )


class DecisionService:
    """Decision records of every outcome, for the parties to their requests.

    ``visible`` is the request service's own lookup, so that a request the caller may
    not see answers here exactly as it does there: as a missing one.
    """

    def __init__(
        self, store: Store, keys: KeyStore, visible: Callable[[Caller, str], RequestRecord]
    ) -> None:
        self.store = store
        self.keys = keys
        self.visible = visible

    def list(self, caller: Caller, request_id: str | None = None) -> list[DecisionEntry]:
        """The decision records of requests the caller may see (of one, if named)."""
        if request_id is not None:
            self.visible(caller, request_id)
        else:
            authorise(
                self.store,
                caller,
                can_read_catalogue(caller),
                action="decision.list",
                obj="decisions",
            )
        seen: dict[str, bool] = {}
        out = []
        for entry in self.store.list_decisions(request_id):
            if entry.request_id not in seen:
                request = self.store.get_request(entry.request_id)
                seen[entry.request_id] = can_view_request(caller, request).allowed
            if seen[entry.request_id]:
                out.append(entry)
        return out

    def _refuse(self, caller: Caller, decision_id: str, organisation: str, reason: str) -> None:
        details = {"via": caller.via} if caller.via else {}
        self.store.record(
            AuditEvent(
                actor=caller.actor,
                action="decision.show",
                object=f"decision:{decision_id}",
                organisation=organisation,
                decision=Decision.DENY,
                reason=reason,
                details=details,
            )
        )

    def get(self, caller: Caller, decision_id: str) -> DecisionEntry:
        """A decision record, for the parties to its request; to anyone else it answers
        exactly as a missing one, and the refusal is audited."""
        obj = f"decision:{decision_id}"
        authorise(self.store, caller, can_read_catalogue(caller), action="decision.show", obj=obj)
        try:
            entry = self.store.get_decision(decision_id)
        except NotFoundError:
            self._refuse(caller, decision_id, "", "no such decision")
            raise missing_decision(decision_id) from None
        request = self.store.get_request(entry.request_id)
        verdict = can_view_request(caller, request)
        if not verdict.allowed:
            self._refuse(
                caller, decision_id, request.document.requesting_organisation, verdict.reason
            )
            raise missing_decision(decision_id)
        return entry

    def verify(self, decision: DecisionEntry) -> SignatureCheck:
        """Whether every organisation that decided has signed the record, validly."""
        return verify_decision(self.keys, decision)
