"""Requests, their submitted revisions, reviews, overrides, decision records and
agreement versions.

State changes are compare-and-set on the state the service decided from, so two
reviewers acting at once cannot both move a request on from the same state. A
decision record and its signatures are written in the transaction that records the
decision.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from accord.core.audit import AuditEvent
from accord.core.governance.agreement import AgreementPolicy
from accord.core.governance.decision import Charge, DecisionOutcome, OwnerSignature
from accord.core.governance.domains import (
    DomainMember,
    DomainOwnership,
    joins,
    pseudonymised_domains,
)
from accord.core.governance.records import (
    AgreementRecord,
    DecisionEntry,
    Override,
    RequestRecord,
    Review,
    RevisionRecord,
)
from accord.core.governance.request import SharingRequest
from accord.core.governance.stored import StoredAssessment
from accord.core.governance.workflow import AgreementState, RequestState
from accord.errors import ConflictError, NotFoundError, not_found
from accord.store.base import StoreBase
from accord.store.governance_models import (
    AgreementRow,
    DecisionRow,
    DecisionSignatureRow,
    LinkageDomainMemberRow,
    LinkageDomainRow,
    OverrideRow,
    RequestRow,
    ReviewRow,
    RevisionRow,
)

__all__ = ["GOVERNANCE_READ_METHODS", "GovernanceStore", "missing_request"]

GOVERNANCE_READ_METHODS = frozenset(
    {
        "get_request",
        "list_requests",
        "list_reviews",
        "list_overrides",
        "get_revision",
        "list_revisions",
        "get_decision",
        "list_decisions",
        "get_agreement",
        "list_agreements",
        "agreement_versions",
        "linkage_domains",
    }
)


def missing_request(request_id: str) -> NotFoundError:
    """The one answer for a request that does not exist *or* that the caller may not see:
    the same type and message, so a refusal never confirms that an id exists."""
    return not_found("request", request_id)


def missing_decision(decision_id: str) -> NotFoundError:
    return NotFoundError(
        f"no decision record {decision_id!r}; `accord request decisions` lists them"
    )


def _request(row: Row[Any]) -> RequestRecord:
    return RequestRecord(
        id=row.id,
        revision=row.revision,
        state=RequestState(row.state),
        document=SharingRequest.model_validate_json(row.document),
        requester=row.requester,
        created_at=row.created_at,
        updated_at=row.updated_at,
        submitted_at=row.submitted_at,
        decided_at=row.decided_at,
        tier=row.tier,
    )


def _review(r: Row[Any]) -> Review:
    return Review(
        r.request_id,
        r.revision,
        r.action,
        r.principal_id,
        r.organisation_id,
        r.role,
        r.note,
        r.at,
        assessment_sha256=r.assessment_sha256 or "",
        conditions=tuple(json.loads(r.conditions)) if r.conditions else (),
        charge=(
            Charge(r.organisation_id, r.charge_pence, r.charge_basis or "")
            if r.charge_pence is not None
            else None
        ),
    )


def _signatures(conn: Connection, decision_id: str) -> tuple[OwnerSignature, ...]:
    query = (
        select(DecisionSignatureRow)
        .where(DecisionSignatureRow.decision_id == decision_id)
        .order_by(DecisionSignatureRow.organisation)
    )
    return tuple(
        OwnerSignature(r.organisation, r.key_fingerprint, r.signature) for r in conn.execute(query)
    )


def _agreement(conn: Connection, row: Row[Any]) -> AgreementRecord:
    if row.decision_id:
        signatures = _signatures(conn, row.decision_id)
    else:  # signed before every owner signed: the one signature it carries
        signatures = (OwnerSignature(row.signed_by, row.key_fingerprint, row.signature),)
    return AgreementRecord(
        id=row.id,
        version=row.version,
        state=AgreementState(row.state),
        policy=AgreementPolicy.model_validate_json(row.policy),
        request_id=row.request_id,
        decision_record=row.decision_record,
        signatures=signatures,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _decision(conn: Connection, row: Row[Any]) -> DecisionEntry:
    return DecisionEntry(
        id=row.id,
        request_id=row.request_id,
        revision=row.revision,
        outcome=DecisionOutcome(row.outcome),
        record_json=row.record,
        signatures=_signatures(conn, row.id),
        decided_at=row.decided_at,
        agreement_id=row.agreement_id or "",
        agreement_version=row.agreement_version or 0,
    )


class GovernanceStore(StoreBase):
    # -- requests ------------------------------------------------------------------

    def add_request(self, record: RequestRecord, *, audit: AuditEvent) -> RequestRecord:
        def change(conn: Connection) -> None:
            conn.execute(
                insert(RequestRow).values(
                    id=record.id,
                    revision=record.revision,
                    state=record.state.value,
                    title=record.document.title,
                    requesting_organisation=record.document.requesting_organisation,
                    requester=record.requester,
                    document=record.document.model_dump_json(),
                    tier=record.tier,
                    created_at=record.created_at,
                    updated_at=record.updated_at,
                )
            )

        self._write(audit, change)
        return record

    def _load_request(self, conn: Connection, request_id: str) -> RequestRecord:
        row = conn.execute(select(RequestRow).where(RequestRow.id == request_id)).first()
        if row is None:
            raise not_found("request", request_id)
        return _request(row)

    def get_request(self, request_id: str) -> RequestRecord:
        with self._read() as conn:
            return self._load_request(conn, request_id)

    def list_requests(
        self, *, state: RequestState | None = None, organisation: str | None = None
    ) -> list[RequestRecord]:
        query = select(RequestRow).order_by(RequestRow.created_at, RequestRow.id)
        if state is not None:
            query = query.where(RequestRow.state == state.value)
        if organisation is not None:
            query = query.where(RequestRow.requesting_organisation == organisation)
        with self._read() as conn:
            return [_request(row) for row in conn.execute(query)]

    def _move_request(
        self, conn: Connection, current: RequestRecord, values: dict[str, Any]
    ) -> None:
        done = conn.execute(
            update(RequestRow)
            .where(
                RequestRow.id == current.id,
                RequestRow.state == current.state.value,
                RequestRow.revision == current.revision,
            )
            .values(**values)
        )
        if done.rowcount != 1:
            raise ConflictError(
                f"request {current.id} changed while this action was being decided; look again"
            )

    def update_request(
        self,
        current: RequestRecord,
        *,
        state: RequestState | None = None,
        document: SharingRequest | None = None,
        revision: int | None = None,
        tier: int | None = None,
        submitted_at: datetime | None = None,
        decided_at: datetime | None = None,
        review: Review | None = None,
        submitted: RevisionRecord | None = None,
        decision: DecisionEntry | None = None,
        audit: AuditEvent | Sequence[AuditEvent],
    ) -> RequestRecord:
        """Move a request on from ``current`` (compare-and-set), with what the step
        records: a review, the submitted revision with its assessment, a decision record."""
        values: dict[str, Any] = {"updated_at": self.clock()}
        if state is not None:
            values["state"] = state.value
        if document is not None:
            values["document"] = document.model_dump_json()
            values["title"] = document.title
        for name, value in (
            ("revision", revision),
            ("tier", tier),
            ("submitted_at", submitted_at),
            ("decided_at", decided_at),
        ):
            if value is not None:
                values[name] = value

        def change(conn: Connection) -> RequestRecord:
            self._move_request(conn, current, values)
            if review is not None:
                self._insert_review(conn, review)
            if submitted is not None:
                self._insert_revision(conn, submitted)
            if decision is not None:
                self._insert_decision(conn, decision)
            return self._load_request(conn, current.id)

        return self._write(audit, change)

    @staticmethod
    def _insert_review(conn: Connection, review: Review) -> None:
        conn.execute(
            insert(ReviewRow).values(
                request_id=review.request_id,
                revision=review.revision,
                action=review.action,
                principal_id=review.principal_id,
                organisation_id=review.organisation_id,
                role=review.role,
                note=review.note,
                at=review.at,
                assessment_sha256=review.assessment_sha256 or None,
                conditions=json.dumps(list(review.conditions)) if review.conditions else None,
                charge_pence=review.charge.amount_pence if review.charge else None,
                charge_basis=review.charge.basis if review.charge else None,
            )
        )

    def list_reviews(self, request_id: str, revision: int | None = None) -> list[Review]:
        query = select(ReviewRow).where(ReviewRow.request_id == request_id).order_by(ReviewRow.id)
        if revision is not None:
            query = query.where(ReviewRow.revision == revision)
        with self._read() as conn:
            return [_review(r) for r in conn.execute(query)]

    # -- submitted revisions -------------------------------------------------------

    @staticmethod
    def _insert_revision(conn: Connection, revision: RevisionRecord) -> None:
        exists = conn.execute(
            select(RevisionRow.revision).where(
                RevisionRow.request_id == revision.request_id,
                RevisionRow.revision == revision.revision,
            )
        ).first()
        if exists is not None:
            raise ConflictError(
                f"revision {revision.revision} of {revision.request_id} was submitted already: "
                "edit the request to make a new revision"
            )
        conn.execute(
            insert(RevisionRow).values(
                request_id=revision.request_id,
                revision=revision.revision,
                document=revision.document.model_dump_json(),
                assessment=revision.assessment.body,
                assessment_sha256=revision.assessment.sha256,
                submitted_at=revision.submitted_at,
            )
        )

    @staticmethod
    def _revision(row: Row[Any]) -> RevisionRecord:
        return RevisionRecord(
            request_id=row.request_id,
            revision=row.revision,
            document=SharingRequest.model_validate_json(row.document),
            assessment=StoredAssessment(row.assessment, row.assessment_sha256),
            submitted_at=row.submitted_at,
        )

    def get_revision(self, request_id: str, revision: int) -> RevisionRecord | None:
        """The submitted revision with its stored assessment, or None if never submitted."""
        query = select(RevisionRow).where(
            RevisionRow.request_id == request_id, RevisionRow.revision == revision
        )
        with self._read() as conn:
            row = conn.execute(query).first()
            return None if row is None else self._revision(row)

    def list_revisions(self, request_id: str) -> list[RevisionRecord]:
        query = (
            select(RevisionRow)
            .where(RevisionRow.request_id == request_id)
            .order_by(RevisionRow.revision)
        )
        with self._read() as conn:
            return [self._revision(row) for row in conn.execute(query)]

    # -- decision records ----------------------------------------------------------

    @staticmethod
    def _insert_decision(conn: Connection, decision: DecisionEntry) -> None:
        conn.execute(
            insert(DecisionRow).values(
                id=decision.id,
                request_id=decision.request_id,
                revision=decision.revision,
                outcome=decision.outcome.value,
                record=decision.record_json,
                agreement_id=decision.agreement_id or None,
                agreement_version=decision.agreement_version or None,
                decided_at=decision.decided_at,
            )
        )
        for signature in decision.signatures:
            conn.execute(
                insert(DecisionSignatureRow).values(
                    decision_id=decision.id,
                    organisation=signature.organisation,
                    key_fingerprint=signature.key_fingerprint,
                    signature=signature.signature,
                )
            )

    def get_decision(self, decision_id: str) -> DecisionEntry:
        with self._read() as conn:
            row = conn.execute(select(DecisionRow).where(DecisionRow.id == decision_id)).first()
            if row is None:
                raise missing_decision(decision_id)
            return _decision(conn, row)

    def list_decisions(self, request_id: str | None = None) -> list[DecisionEntry]:
        query = select(DecisionRow).order_by(DecisionRow.decided_at, DecisionRow.id)
        if request_id is not None:
            query = query.where(DecisionRow.request_id == request_id)
        with self._read() as conn:
            return [_decision(conn, row) for row in conn.execute(query)]

    def add_override(self, override: Override, *, audit: AuditEvent) -> Override:
        def change(conn: Connection) -> None:
            conn.execute(
                insert(OverrideRow).values(
                    request_id=override.request_id,
                    revision=override.revision,
                    finding=override.finding,
                    organisation_id=override.organisation_id,
                    role=override.role,
                    principal_id=override.principal_id,
                    reason=override.reason,
                    at=override.at,
                )
            )

        self._write(audit, change)
        return override

    def list_overrides(self, request_id: str, revision: int) -> list[Override]:
        query = select(OverrideRow).where(
            OverrideRow.request_id == request_id, OverrideRow.revision == revision
        )
        with self._read() as conn:
            return [
                Override(
                    r.request_id,
                    r.revision,
                    r.finding,
                    r.principal_id,
                    r.reason,
                    r.at,
                    r.organisation_id,
                    r.role,
                )
                for r in conn.execute(query.order_by(OverrideRow.id))
            ]

    # -- agreements ----------------------------------------------------------------

    def approve_request(
        self,
        current: RequestRecord,
        review: Review,
        agreement: AgreementRecord,
        decision: DecisionEntry,
        *,
        supersedes: AgreementRecord | None,
        audit: Sequence[AuditEvent],
    ) -> AgreementRecord:
        """The final approval: request approved, agreement version active with its signed
        decision record, the old one superseded, all in one transaction with their audit
        events."""
        if not agreement.signatures:
            raise ConflictError(f"agreement {agreement.id} has no signature: nothing to activate")
        first = agreement.signatures[0]

        def change(conn: Connection) -> None:
            now = self.clock()
            self._move_request(
                conn,
                current,
                {"state": RequestState.APPROVED.value, "decided_at": now, "updated_at": now},
            )
            self._insert_review(conn, review)
            if supersedes is not None:
                self._move_agreement(conn, supersedes, AgreementState.SUPERSEDED)
            conn.execute(
                insert(AgreementRow).values(
                    id=agreement.id,
                    version=agreement.version,
                    state=agreement.state.value,
                    request_id=agreement.request_id,
                    recipient=agreement.policy.recipient,
                    policy=agreement.policy.model_dump_json(),
                    policy_sha256=agreement.policy.sha256(),
                    decision_record=agreement.decision_record,
                    signature=first.signature,
                    key_fingerprint=first.key_fingerprint,
                    signed_by=first.organisation,
                    created_at=agreement.created_at,
                    updated_at=agreement.updated_at,
                    decision_id=decision.id,
                )
            )
            self._insert_decision(conn, decision)
            self._record_domains(conn, agreement)

        self._write(audit, change)
        return agreement

    def _record_domains(self, conn: Connection, agreement: AgreementRecord) -> None:
        """The activating agreement owns each linkage domain it pseudonymises into that
        nobody holds yet, and joins each it is not yet in: in the activation's transaction,
        so ownership is never recorded for an agreement that did not activate."""
        policy = agreement.policy
        owned = self._domains(conn)
        now = self.clock()
        for name, member in joins(
            agreement.id,
            policy.recipient,
            policy.data_owners,
            pseudonymised_domains(policy.datasets),
            owned,
        ):
            if member.owner:
                conn.execute(
                    insert(LinkageDomainRow).values(
                        domain=name, owner_agreement=agreement.id, created_at=now
                    )
                )
            conn.execute(
                insert(LinkageDomainMemberRow).values(
                    domain=name,
                    agreement_id=agreement.id,
                    recipient=member.recipient,
                    data_owners=json.dumps(list(member.data_owners)),
                    joined_at=now,
                )
            )

    def linkage_domains(self) -> dict[str, DomainOwnership]:
        """Every owned linkage domain with the agreements that share it, owner first."""
        with self._read() as conn:
            return self._domains(conn)

    def _domains(self, conn: Connection) -> dict[str, DomainOwnership]:
        owners = {row.domain: row.owner_agreement for row in conn.execute(select(LinkageDomainRow))}
        members: dict[str, list[DomainMember]] = {name: [] for name in owners}
        query = select(LinkageDomainMemberRow).order_by(
            LinkageDomainMemberRow.joined_at, LinkageDomainMemberRow.agreement_id
        )
        for row in conn.execute(query):
            members[row.domain].append(
                DomainMember(
                    row.agreement_id,
                    row.recipient,
                    tuple(json.loads(row.data_owners)),
                    owner=row.agreement_id == owners[row.domain],
                )
            )
        return {
            name: DomainOwnership(name, tuple(sorted(found, key=lambda m: not m.owner)))
            for name, found in sorted(members.items())
        }

    def _move_agreement(
        self, conn: Connection, current: AgreementRecord, state: AgreementState
    ) -> None:
        done = conn.execute(
            update(AgreementRow)
            .where(
                AgreementRow.id == current.id,
                AgreementRow.version == current.version,
                AgreementRow.state == current.state.value,
            )
            .values(state=state.value, updated_at=self.clock())
        )
        if done.rowcount != 1:
            raise ConflictError(f"agreement {current.id} v{current.version} changed meanwhile")

    def set_agreement_state(
        self, current: AgreementRecord, state: AgreementState, *, audit: AuditEvent
    ) -> AgreementRecord:
        def change(conn: Connection) -> AgreementRecord:
            self._move_agreement(conn, current, state)
            return self._load_agreement(conn, current.id, current.version)

        return self._write(audit, change)

    def _load_agreement(
        self, conn: Connection, agreement_id: str, version: int | None
    ) -> AgreementRecord:
        query = select(AgreementRow).where(AgreementRow.id == agreement_id)
        if version is not None:
            query = query.where(AgreementRow.version == version)
        row = conn.execute(query.order_by(AgreementRow.version.desc())).first()
        if row is None:
            if version is None:
                raise not_found("agreement", agreement_id)
            raise NotFoundError(f"no agreement {agreement_id!r} version {version}")
        return _agreement(conn, row)

    def get_agreement(self, agreement_id: str, version: int | None = None) -> AgreementRecord:
        """A version, or the latest one."""
        with self._read() as conn:
            return self._load_agreement(conn, agreement_id, version)

    def agreement_versions(self, agreement_id: str) -> list[AgreementRecord]:
        query = (
            select(AgreementRow)
            .where(AgreementRow.id == agreement_id)
            .order_by(AgreementRow.version)
        )
        with self._read() as conn:
            return [_agreement(conn, row) for row in conn.execute(query)]

    def list_agreements(
        self, *, recipient: str | None = None, state: AgreementState | None = None
    ) -> list[AgreementRecord]:
        query = select(AgreementRow).order_by(AgreementRow.created_at, AgreementRow.id)
        if recipient is not None:
            query = query.where(AgreementRow.recipient == recipient)
        if state is not None:
            query = query.where(AgreementRow.state == state.value)
        with self._read() as conn:
            return [_agreement(conn, row) for row in conn.execute(query)]
